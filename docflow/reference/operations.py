"""Creating and changing reference records: one place, called by the admin pages and the import.

Every function validates what no single form field can (unique codes, a venue's hours and its
body), applies the values, flushes and never commits: the caller commits or rolls back, so a
refused change leaves nothing half-saved.
"""
from flask_babel import gettext as _

from ..extensions import db
from . import rules
from .models import Body, Division, Official, Venue


class ReferenceDataError(ValueError):
    """The change is refused; ``errors`` maps each field name to its messages."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        super().__init__("; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in errors.items()))


def find(model, code: str):
    """The record of ``model`` with ``code``, or None."""
    return db.session.execute(db.select(model).where(model.code == code)).scalar_one_or_none()


def differs(record, values: dict) -> bool:
    """True when saving ``values`` would change ``record``."""
    return any(getattr(record, name) != value for name, value in values.items())


def apply_values(record, values: dict) -> bool:
    """Set the attributes that differ; True when anything changed."""
    changed = False
    for name, value in values.items():
        if getattr(record, name) != value:
            setattr(record, name, value)
            changed = True
    return changed


def _duplicate_code(model, code: str, record) -> str | None:
    other = find(model, code)
    if other is not None and other is not record:
        return _("The code %(code)s is already used by another record; codes must be unique.",
                 code=code)
    return None


def _save(model, record, values: dict, problems: dict[str, str]):
    duplicate = _duplicate_code(model, values["code"], record)
    if duplicate:
        problems = {"code": duplicate, **problems}
    if problems:
        raise ReferenceDataError({field: [msg] for field, msg in problems.items()})
    if record is None:
        record = model()
        db.session.add(record)
    apply_values(record, values)
    db.session.flush()
    return record


def save_body(values: dict, body: Body | None = None) -> Body:
    """Create a body (``body`` None) or change it. ``values``: the Body columns."""
    return _save(Body, body, values, {})


def save_division(values: dict, division: Division | None = None) -> Division:
    """Create or change a division. ``values`` has ``body`` (a Body) and the Division columns."""
    return _save(Division, division, values, {})


def venue_problems(values: dict) -> dict[str, str]:
    problems = rules.hours_problems(*(values[name] for name in rules.HOUR_FIELDS))
    body_problem = rules.venue_body_problem(values["kind"], values.get("body") is not None)
    if body_problem:
        problems["body"] = body_problem
    return problems


def save_venue(values: dict, venue: Venue | None = None) -> Venue:
    """Create or change a venue; refused when its hours or its body break R2/R4."""
    return _save(Venue, venue, values, venue_problems(values))


def save_official(values: dict, official: Official | None = None) -> Official:
    """Create or change an official (R2: a first head or a deputy of one body)."""
    return _save(Official, official, values, {})
