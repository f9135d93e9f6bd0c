"""Creating users and tokens: one place, called by the CLI, the demo loader and the admin pages.

Also the sign-in lockout (issue 10): after ``LOGIN_LOCKOUT_ATTEMPTS`` failed sign-ins in a row an
account refuses every sign-in, even with the right password, for ``LOGIN_LOCKOUT_MINUTES``.
"""
from datetime import timedelta

from flask import current_app

from ..engine.audit import record
from ..extensions import db
from ..reference.models import Body, Venue
from .models import ApiToken, RoleAssignment, User, utcnow
from .passwords import password_problems
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
    if password and (problems := password_problems(password, login)):
        raise UserError(" ".join(problems))
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


def set_password(user: User, password: str) -> None:
    """Give ``user`` a new password that satisfies the policy (UserError naming what not)."""
    problems = password_problems(password, user.login)
    if problems:
        raise UserError(" ".join(problems))
    user.set_password(password)
    user.failed_logins = 0
    user.locked_until = None
    record("password_changed", actor=user, detail={"login": user.login})


def is_locked(user: User) -> bool:
    return user.locked_until is not None and user.locked_until > utcnow()


def sign_in_failed(user: User) -> None:
    """Count a failed sign-in; the Nth in a row locks the account (audited). Flushes."""
    attempts = current_app.config["LOGIN_LOCKOUT_ATTEMPTS"]
    if is_locked(user):
        return
    user.failed_logins = (user.failed_logins or 0) + 1
    if attempts and user.failed_logins >= attempts:
        minutes = current_app.config["LOGIN_LOCKOUT_MINUTES"]
        user.locked_until = utcnow() + timedelta(minutes=minutes)
        user.failed_logins = 0
        record("account_locked", actor=user,
               detail={"login": user.login, "attempts": attempts, "minutes": minutes})
    db.session.flush()


def sign_in_succeeded(user: User) -> None:
    user.failed_logins = 0
    user.locked_until = None
