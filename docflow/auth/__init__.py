"""Sign-in, users, roles and API tokens."""
from flask_babel import lazy_gettext as _l

from ..extensions import db, login_manager
from .models import ApiToken, RoleAssignment, User

__all__ = ["ApiToken", "RoleAssignment", "User", "init_app"]


@login_manager.user_loader
def _load_user(user_id: str):
    """Every signed-in request: ONE statement gives the user, their roles and where they hold
    them (the header shows the venue or body), and what every page would otherwise ask in
    statements of its own — the calendar overrides' stamp (docflow.calendar.store), the header's
    unread count (docflow.engine.inbox) and the user's local grants (docflow.engine.security):
    each is handed to its owner, which uses it for this request only and reads afresh when its
    own data is written meanwhile."""
    if not user_id.isdigit():
        return None
    row = db.session.execute(_signed_in_statement(), {
        "docflow_user_id": int(user_id), "docflow_principal": f"user:{int(user_id)}",
    }).unique().one_or_none()
    if row is None:
        return None
    user, stamp, unread, grants = row
    from ..calendar.store import remember_stamp
    from ..engine.inbox import remember_unread
    from ..engine.security import parse_local_grants, principal_for, remember_local_grants
    remember_stamp(stamp)
    remember_unread(user.id, unread)
    principals = tuple(principal_for(user).principals)
    if principals == (f"user:{user.id}",):  # what the statement read the grants of
        remember_local_grants(principals, parse_local_grants(grants))
    return user


_STATEMENT: list = []  # built once: the same statement object for every request


def _signed_in_statement():
    if not _STATEMENT:
        from sqlalchemy import bindparam

        from ..calendar.store import overrides_stamp
        from ..dbprepared import PREPARED
        from ..engine.inbox import unread_of
        from ..engine.security import local_grants_of
        user_id = bindparam("docflow_user_id", type_=db.Integer)
        _STATEMENT.append(
            db.select(User, overrides_stamp(), unread_of(user_id),
                      local_grants_of(bindparam("docflow_principal", type_=db.String)))
            .where(User.id == user_id).options(
                db.joinedload(User.roles).joinedload(RoleAssignment.venue),
                db.joinedload(User.roles).joinedload(RoleAssignment.body))
            .execution_options(**PREPARED))  # every page: kept prepared (docflow.dbprepared)
    return _STATEMENT[0]


def init_app(app) -> None:
    from . import principals  # noqa: F401  (registers the engine's principal loader)
    from .cli import tokens_cli, users_cli
    from .limits import limiter
    from .routes import bp
    from .sessions import SessionInterface, check_idle

    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to open this page.")
    app.register_blueprint(bp)
    limiter.init_app(app)
    app.before_request(check_idle)
    app.session_interface = SessionInterface()
    app.cli.add_command(users_cli)
    app.cli.add_command(tokens_cli)
