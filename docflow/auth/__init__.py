"""Sign-in, users, roles and API tokens."""
from flask_babel import lazy_gettext as _l

from ..extensions import db, login_manager
from .models import ApiToken, RoleAssignment, User

__all__ = ["ApiToken", "RoleAssignment", "User", "init_app"]


@login_manager.user_loader
def _load_user(user_id: str):
    """Every signed-in request: the user, their roles and where they hold them (the header shows
    the venue or body) in one statement instead of three."""
    if not user_id.isdigit():
        return None
    return db.session.execute(
        db.select(User).where(User.id == int(user_id)).options(
            db.joinedload(User.roles).joinedload(RoleAssignment.venue),
            db.joinedload(User.roles).joinedload(RoleAssignment.body))
        .execution_options(docflow_prepare=True)  # prepared on the server (dbprepared)
    ).unique().scalar_one_or_none()


def init_app(app) -> None:
    from . import principals  # noqa: F401  (registers the engine's principal loader)
    from .cli import tokens_cli, users_cli
    from .limits import limiter
    from .routes import bp
    from .sessions import check_idle

    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to open this page.")
    app.register_blueprint(bp)
    limiter.init_app(app)
    app.before_request(check_idle)
    app.cli.add_command(users_cli)
    app.cli.add_command(tokens_cli)
