"""Handlers for the item pages: load (404 when invisible), check (403), act, commit once."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..extensions import db
from .audit import audit_download, audit_view
from .content import Item, get_by_uid
from .core import current_engine
from .errors import EngineError
from .files import FileVersion, files_of, read_version
from .security import can, explain_access, grant, local_roles, revoke
from .workflow import allowed_transitions, history, transition


def load_item(uid: str, permission: str = "view") -> Item:
    """The item if the user may see it (404 otherwise: a restricted item gives no hint), then 403
    when they can see it but lack ``permission``."""
    item = get_by_uid(uid)
    if item is None or item.type not in current_engine().types or \
            not can(current_user, "view", item):
        abort(404)
    if permission != "view" and not can(current_user, permission, item):
        abort(403)
    return item


@login_required
def item_view(uid):
    item = load_item(uid)
    if audit_view(item, current_user):
        db.session.commit()
    workflow = current_engine().workflow_for(item)
    state = workflow.states.get(item.state)
    return render_template("engine/item.html", item=item, workflow=workflow, state=state,
                           history=history(item),
                           transitions=allowed_transitions(item, current_user),
                           can_share=can(current_user, "manage_sharing", item))


@login_required
def transition_view(uid):
    item = load_item(uid)
    name = request.form.get("transition", "").strip()
    if not name:
        flash(_("Choose a transition."), "error")
        return redirect(url_for(".item", uid=uid))
    try:
        transition(item, name, current_user, comment=request.form.get("comment") or None)
        db.session.commit()
        flash(_("Done: %(transition)s.", transition=name), "success")
    except EngineError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    return redirect(url_for(".item", uid=uid), 303)


@login_required
def sharing_view(uid):
    item = load_item(uid, "manage_sharing")
    roles = sorted(current_engine().workflow_for(item).roles - {"owner"})
    if request.method == "POST":
        _change_sharing(item, roles)
        return redirect(url_for(".sharing", uid=uid), 303)
    return render_template("engine/sharing.html", item=item, roles=roles,
                           grants=local_roles(item))


def _change_sharing(item: Item, roles: list[str]) -> None:
    """Grant or revoke from the sharing form; the principal is a login or ``group:<name>``."""
    from ..auth.models import User

    who = request.form.get("principal", "").strip()
    role = request.form.get("role", "").strip()
    if role not in roles:
        flash(_("Role: choose one of %(roles)s.", roles=", ".join(roles)), "error")
        return
    if who.startswith(("group:", "user:")):
        principal = who
    else:
        user = db.session.execute(db.select(User).where(User.login == who)).scalar()
        if user is None:
            flash(_("Principal: no user with the login %(login)s.", login=who or "''"), "error")
            return
        principal = f"user:{user.id}"
    try:
        if request.form.get("action") == "revoke":
            if not revoke(item, principal, role, current_user):
                flash(_("There was no such local role on this item."), "error")
                return
        else:
            grant(item, principal, role, current_user)
        db.session.commit()
        flash(_("Sharing saved."), "success")
    except EngineError as exc:
        db.session.rollback()
        flash(str(exc), "error")


@login_required
def access_view(uid):
    item = load_item(uid, "manage_sharing")
    return render_template("engine/access.html", item=item, access=explain_access(item))


@login_required
def files_view(uid):
    item = load_item(uid)
    return render_template("engine/files.html", item=item, files=files_of(item))


@login_required
def download_view(uid, version_id):
    item = load_item(uid)
    version = db.session.get(FileVersion, version_id)
    if version is None or version.file.item_id != item.id:
        abort(404)
    data = read_version(version)
    audit_download(version, current_user)
    db.session.commit()
    from io import BytesIO
    return send_file(BytesIO(data), mimetype=version.media_type, as_attachment=True,
                     download_name=version.safe_name)
