"""Registration numbers (R25): unique per venue and year, sequential, with no gaps.

The counter row is incremented inside the intake's own transaction (UPDATE ... RETURNING), so
the row lock serialises concurrent intakes for one venue and year, and a rolled-back intake
rolls its number back too: no number is ever burnt. Other venues are not blocked.
"""
from sqlalchemy import insert, update
from sqlalchemy.dialects import postgresql, sqlite

from ..extensions import db


class RegistrationCounter(db.Model):
    __tablename__ = "registration_counter"

    scope = db.Column(db.String(64), primary_key=True)  # a venue code
    year = db.Column(db.Integer, primary_key=True)
    last = db.Column(db.Integer, nullable=False, default=0)


def _insert_ignore(scope: str, year: int):
    dialect = db.session.get_bind().dialect.name
    values = {"scope": scope, "year": year, "last": 0}
    if dialect == "postgresql":
        return postgresql.insert(RegistrationCounter).values(**values).on_conflict_do_nothing()
    if dialect == "sqlite":
        return sqlite.insert(RegistrationCounter).values(**values).on_conflict_do_nothing()
    return insert(RegistrationCounter).values(**values)


def next_number(scope: str, year: int) -> int:
    """The next registration number for a venue and year, taken in the current transaction."""
    db.session.execute(_insert_ignore(scope, year))
    return db.session.execute(
        update(RegistrationCounter)
        .where(RegistrationCounter.scope == scope, RegistrationCounter.year == year)
        .values(last=RegistrationCounter.last + 1)
        .returning(RegistrationCounter.last)
    ).scalar_one()


def format_number(venue_code: str, year: int, number: int) -> str:
    """How the number is printed on letters: CRC-AST-2026-000042."""
    return f"{venue_code}-{year}-{number:06d}"
