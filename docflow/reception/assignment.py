"""Hand-over of a new appeal to a responsible employee (R25), by the rule in assignment.toml."""
import tomllib
from functools import cache
from pathlib import Path

from sqlalchemy import bindparam
from sqlalchemy.orm import lazyload

from ..auth.models import User
from ..extensions import db
from .models import Appeal, AssignmentLog

RULES_FILE = Path(__file__).with_name("assignment.toml")
STRATEGIES = ("least_loaded", "fixed")


class AssignmentError(ValueError):
    """Refused (re)assignment; ``field`` names the input at fault."""

    def __init__(self, message: str, field: str = "login"):
        super().__init__(message)
        self.field = field


@cache
def rules() -> dict:
    data = tomllib.loads(RULES_FILE.read_text(encoding="utf-8"))
    for name, rule in [("default", data["default"]), *data.get("bodies", {}).items()]:
        if rule.get("strategy", data["default"]["strategy"]) not in STRATEGIES:
            raise AssignmentError(f"{RULES_FILE}: {name}: unknown strategy {rule['strategy']!r}")
    return data


def rule_for(body_code: str) -> dict:
    data = rules()
    return {**data["default"], **data.get("bodies", {}).get(body_code, {})}


def choose_responsible(body) -> User | None:
    """The employee the rule picks for a new appeal of ``body``; None when the body has none.

    The user's roles are not loaded with it (the intake does not need them)."""
    return _choose(body, entity=True)


def choose_responsible_row(body) -> tuple[int, str] | None:
    """:func:`choose_responsible` (the same rule) as ``(user id, login)``, no ORM object.

    Least loaded: the body's open loads are read from the counter (reception.load), its rows
    locked until the transaction ends — on PostgreSQL after zero rows are made for holders that
    have none, so the lock covers every candidate (SQLite has one writer at a time)."""
    return _choose(body, entity=False)


def _choose(body, entity: bool):
    rule = rule_for(body.code)
    if rule["strategy"] == "fixed":
        result = db.session.execute(_fixed_stmt(not entity), {"login": rule["login"]})
        return result.scalar() if entity else result.first()
    if db.session.get_bind().dialect.name == "postgresql":
        from .load import ensure_rows_stmt
        db.session.execute(ensure_rows_stmt(rule["role"]), {"body_id": body.id})
    result = db.session.execute(_least_loaded_stmt(rule["role"], entity), {"body_id": body.id})
    return result.scalar() if entity else result.first()


@cache
def _fixed_stmt(columns: bool = False):
    if columns:
        return db.select(User.id, User.login).where(User.login == bindparam("login"))
    return (db.select(User).where(User.login == bindparam("login"))
            .options(lazyload(User.roles)))


@cache
def _least_loaded_stmt(role: str, entity: bool = False):
    """The active holder of ``role`` at the body with the fewest open appeals (the counter
    reception.load keeps for the rule's ``open_states``); ties go to the name, then the login.
    Built once per role; the body is a bound parameter. ``entity``: the User (its roles not
    loaded), else its id and login."""
    from .load import least_loaded_select
    if entity:
        return least_loaded_select(role, [User]).options(lazyload(User.roles))
    return least_loaded_select(role, [User.id, User.login])


def assign(appeal: Appeal, user: User | None, by: User | None, reason: str) -> None:
    """Make ``user`` responsible for ``appeal``, with a logged reason. Flushes, never commits."""
    if not reason.strip():
        from flask_babel import gettext as _
        raise AssignmentError(_("A reassignment needs a reason."), "reason")
    appeal.responsible_id = user.id if user else None
    log_assignment(appeal, by, reason)
    db.session.flush()


def reassign(appeal: Appeal, login: str, by: User, reason: str) -> User:
    """Hand the appeal to another responsible employee of its body, with a reason."""
    from flask_babel import gettext as _

    user = db.session.execute(db.select(User).where(User.login == login.strip())).scalar()
    if user is None or not any(r.role == "responsible" and r.body_id == appeal.body_id
                               for r in user.roles):
        raise AssignmentError(_("%(login)s is not a responsible employee of this body.",
                                login=login))
    assign(appeal, user, by, reason)
    return user


def log_assignment(appeal: Appeal, by: User | None, reason: str) -> None:
    """Record who is responsible now, by whom and why (the appeal's responsible_id is set)."""
    from ..engine.content import utcnow

    db.session.add(AssignmentLog(appeal_id=appeal.id, user_id=appeal.responsible_id,
                                 by_id=getattr(by, "id", None), at=utcnow(), reason=reason))
