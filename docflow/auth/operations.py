"""Creating users and tokens: one place, called by the CLI, the demo loader and the admin pages."""
from ..extensions import db
from ..reference.models import Body, Venue
from .models import ApiToken, RoleAssignment, User
from .roles import ROLES


class UserError(ValueError):
    """A user cannot be created as asked; the message says why."""


def create_user(login: str, role: str, *, venue_code: str | None = None,
                body_code: str | None = None, password: str | None = None,
                cleared_restricted: bool = False, full_name: str = "",
                email: str | None = None) -> User:
    """Create a user holding ``role`` at a venue and/or a body. Flushes, never commits."""
    login = login.strip()
    if not login:
        raise UserError("The login must not be empty.")
    if role not in ROLES:
        raise UserError(f"Unknown role {role!r}. Roles: {', '.join(ROLES)}.")
    if db.session.execute(db.select(User.id).where(User.login == login)).first():
        raise UserError(f"A user with the login {login!r} already exists; nothing was changed.")
    venue = body = None
    if venue_code:
        venue = db.session.execute(db.select(Venue).where(Venue.code == venue_code)).scalar()
        if venue is None:
            raise UserError(f"No venue with the code {venue_code!r}.")
    if body_code:
        body = db.session.execute(db.select(Body).where(Body.code == body_code)).scalar()
        if body is None:
            raise UserError(f"No body with the code {body_code!r}.")
    if cleared_restricted and venue is None:
        raise UserError("--cleared-restricted clears a user at a venue: give --venue too.")
    user = User(login=login, full_name=full_name or login, email=email)
    if password:
        user.set_password(password)
    user.roles.append(RoleAssignment(role=role, venue=venue, body=body,
                                     cleared_restricted=cleared_restricted))
    db.session.add(user)
    db.session.flush()
    return user


def create_token(login: str) -> str:
    user = db.session.execute(db.select(User).where(User.login == login)).scalar()
    if user is None:
        raise UserError(f"No user with the login {login!r}.")
    _, token = ApiToken.issue(user)
    db.session.flush()
    return token
