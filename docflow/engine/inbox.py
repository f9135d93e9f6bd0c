"""The in-app inbox: what waits on each user (rules' notify actions, reminders, escalations)."""
from flask import (
    Blueprint,
    abort,
    g,
    has_app_context,
    has_request_context,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from sqlalchemy import event
from sqlalchemy.orm import Session

from ..extensions import db
from .content import Item, utcnow
from .core import current_engine
from .rules import Notification

bp = Blueprint("inbox", __name__, url_prefix="/inbox")


def unread_of(user_id_column):
    """A scalar subquery: the user's unread notifications (the header's count on every page)."""
    return (db.select(db.func.count(Notification.id))
            .where(Notification.user_id == user_id_column, Notification.read_at.is_(None))
            .scalar_subquery())


_UNREAD = "docflow_inbox_unread"  # g: (request, user id, count) read with the signed-in user


def remember_unread(user_id: int, count: int) -> None:
    """The count a statement of this request read (docflow.auth reads it with the user): the
    header then asks no more, unless a notification is written meanwhile (see below)."""
    if has_request_context():
        setattr(g, _UNREAD, (request._get_current_object(), user_id, count))


def unread_count(user) -> int:
    if has_request_context():
        known = g.get(_UNREAD)
        if known is not None and known[0] is request._get_current_object() \
                and known[1] == user.id:
            return known[2]
    return db.session.execute(db.select(unread_of(user.id))).scalar()


@event.listens_for(Session, "after_flush")
def _notifications_flushed(session, flush_context) -> None:
    """A notification written (or read) in this request: the count read with the user is old."""
    if has_app_context() and _UNREAD in g and any(
            isinstance(obj, Notification)
            for obj in (*session.new, *session.dirty, *session.deleted)):
        g.pop(_UNREAD, None)


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
