"""The in-app inbox: what waits on each user (rules' notify actions, reminders, escalations)."""
from flask import (
    Blueprint,
    abort,
    has_request_context,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required

from ..extensions import db
from .content import Item, utcnow
from .core import current_engine
from .rules import Notification

bp = Blueprint("inbox", __name__, url_prefix="/inbox")


def unread_count(user) -> int:
    """The user's unread notifications (the header's count): as a page's own statement already
    read it in this request (:func:`unread_column`, :func:`remember_unread`), else one query."""
    known = request.environ.get(_UNREAD) if has_request_context() else None
    if known is not None and known[0] == user.id:
        return known[1]
    return db.session.execute(db.select(db.func.count(Notification.id)).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))
        .execution_options(docflow_prepare=True)).scalar()  # every page: kept prepared


def unread_column(user_id):
    """The same count as a scalar subquery, for a page to read along with its own statement
    (``user_id``: a value or a bound parameter)."""
    return (db.select(db.func.count(Notification.id))
            .where(Notification.user_id == user_id, Notification.read_at.is_(None))
            .scalar_subquery())


def remember_unread(user, count: int) -> None:
    """The count read by :func:`unread_column` in this request: the header shows it (kept on
    the request itself, never for a later one)."""
    if has_request_context():
        request.environ[_UNREAD] = (user.id, int(count))


_UNREAD = "docflow.inbox_unread"


def item_url(item: Item) -> str:
    """The page of an item: the one its application registered, or the engine's own."""
    make = current_engine().item_urls.get(item.type)
    return make(item) if make else url_for("engine.item", uid=item.uid)


@bp.route("/")
@login_required
def index():
    rows = db.session.execute(
        db.select(Notification, Item).outerjoin(Item, Item.id == Notification.item_id)
        .where(Notification.user_id == current_user.id)
        .order_by(Notification.read_at.is_not(None), Notification.id.desc()).limit(200)).all()
    return render_template("engine/inbox.html", rows=rows, item_url=item_url)


@bp.route("/<int:notification_id>/read", methods=["POST"])
@login_required
def mark_read(notification_id):
    note = db.session.get(Notification, notification_id)
    if note is None or note.user_id != current_user.id:
        abort(404)
    note.read_at = note.read_at or utcnow()
    db.session.commit()
    return redirect(request.form.get("next") if request.form.get("next", "").startswith("/")
                    and not request.form.get("next", "").startswith("//")
                    else url_for(".index"), 303)
