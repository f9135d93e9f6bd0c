"""Registration numbers (R25): unique per venue and year, sequential, with no gaps.

The counter row is created or incremented inside the intake's own transaction by one statement
(INSERT ... ON CONFLICT DO UPDATE ... RETURNING), so the row lock serialises concurrent intakes
for one venue and year, and a rolled-back intake rolls its number back too: no number is ever
burnt. Other venues are not blocked.
"""
from functools import cache

from sqlalchemy import bindparam
from sqlalchemy.dialects import postgresql, sqlite

from ..extensions import db


class RegistrationCounter(db.Model):
    __tablename__ = "registration_counter"

    scope = db.Column(db.String(64), primary_key=True)  # a venue code
    year = db.Column(db.Integer, primary_key=True)
    last = db.Column(db.Integer, nullable=False, default=0)


def next_number(scope: str, year: int) -> int:
    """The next registration number for a venue and year, taken in the current transaction.

    One statement: the first number of a venue and year creates the counter row at 1, later
    ones increment it; either way the row stays locked until the transaction ends.
    """
    stmt = _upsert(db.session.get_bind().dialect.name)
    return db.session.connection().execute(stmt, {"scope": scope, "year": year}).scalar_one()


@cache
def _upsert(dialect: str):
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect]  # docflow's two
    counter = RegistrationCounter.__table__  # Core: no ORM bulk-insert machinery per intake
    stmt = insert(counter).values(scope=bindparam("scope"), year=bindparam("year"), last=1)
    return stmt.on_conflict_do_update(
        index_elements=[counter.c.scope, counter.c.year],
        set_={"last": counter.c.last + 1}).returning(counter.c.last)


def format_number(venue_code: str, year: int, number: int) -> str:
    """How the number is printed on letters: CRC-AST-2026-000042."""
    return f"{venue_code}-{year}-{number:06d}"


#: The number's CTE inside the lean intake's one PostgreSQL statement (same upsert as
#: :func:`next_number`: the counter row stays locked until that statement's transaction ends),
#: returning the number and its digits as :func:`format_number` prints them (6, zero-padded).
PG_NUMBER_CTE = ("num AS (INSERT INTO registration_counter (scope, year, last) "
                 "VALUES (CAST(:n_scope AS VARCHAR), CAST(:n_year AS INTEGER), 1) "
                 "ON CONFLICT (scope, year) DO UPDATE SET last = registration_counter.last + 1 "
                 "RETURNING last, CASE WHEN last < 1000000 THEN lpad(CAST(last AS TEXT), 6, '0') "
                 "ELSE CAST(last AS TEXT) END AS digits)")
PG_NUMBER_SEQ = "(SELECT last FROM num)"
PG_NUMBER_DIGITS = "(SELECT digits FROM num)"


def pg_number_params(scope: str, year: int) -> dict:
    return {"n_scope": scope, "n_year": year}
