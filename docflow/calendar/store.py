"""The calendar in force: the shipped data plus the administrator's edits kept in the database.

A government order moving a day off is entered as an override (audited by the admin view); the
calendar is rebuilt when the overrides change, and deadlines that depend on it are recomputed by
the domain (see docflow.reception) — never silently left stale.
"""
from datetime import UTC, date, datetime

from flask import g, has_app_context
from flask.globals import _cv_app
from sqlalchemy import String, cast, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import GenericFunction

from ..dbprepared import statements_on
from ..extensions import db
from .core import Calendar, default_calendar


class CalendarOverride(db.Model):
    """One day whose verdict an administrator changed (a decree moving a day off, R26/R29)."""

    __tablename__ = "calendar_override"

    id = db.Column(db.Integer, primary_key=True)
    day = db.Column(db.Date, unique=True, nullable=False)
    working = db.Column(db.Boolean, nullable=False)
    reason = db.Column(db.String(500), nullable=False)
    created_by_id = db.Column(db.ForeignKey("user_account.id"), nullable=True)
    created_at = db.Column(db.DateTime, nullable=False,
                           default=lambda: datetime.now(UTC).replace(tzinfo=None))


_cache: dict[str, tuple[tuple, Calendar]] = {}
_NO_STAMP = object()


class _joined(GenericFunction):
    """Values aggregated into one string with a fixed ``|`` between them, the separator written
    into the SQL. (SQLAlchemy's ``aggregate_strings`` binds its separator as a literal rendered
    at execution time, so every statement holding it was compiled again on every run.)"""

    type = String()
    inherit_cache = True


@compiles(_joined)
def _joined_default(element, compiler, **kw):
    return f"group_concat({compiler.process(element.clauses, **kw)}, '|')"


@compiles(_joined, "postgresql")
def _joined_postgresql(element, compiler, **kw):
    return f"string_agg({compiler.process(element.clauses, **kw)}, '|')"


def overrides_stamp():
    """A scalar subquery: every override (day, verdict, reason) as one string, so a statement
    the caller runs anyway can tell :func:`current_calendar` whether the overrides changed —
    one statement fewer (the API intake adds it to its references statement)."""
    t = CalendarOverride.__table__
    row = (cast(t.c.day, String) + ":" + cast(t.c.working, String) + ":" + t.c.reason)
    return select(func.coalesce(_joined(row), "")).scalar_subquery()


def remember_stamp(stamp: str) -> None:
    """The :func:`overrides_stamp` a statement of this request read (docflow.auth reads it with
    the signed-in user): :func:`current_calendar` then reads no overrides in this request."""
    if has_app_context():
        g.pop("docflow_calendar", None)
        g.docflow_calendar_stamp = stamp


def current_calendar(stamp=_NO_STAMP, conn=None) -> Calendar:
    """The shipped calendar with the database's overrides applied (cached until they change).

    Read once per request: a worklist asks it for every row ("due in N working days").
    ``stamp``: the value of :func:`overrides_stamp` the caller read in this request; the
    calendar built for the same stamp is used without reading the overrides again. ``conn``: a
    :class:`~docflow.dbprepared.DriverConnection` to read them on (else the session)."""
    app_ctx = _cv_app.get(None)  # not the proxies: a worklist page asks this forty times
    if app_ctx is not None:
        known = app_ctx.g.__dict__.get("docflow_calendar")
        if known is not None:
            return known
    if stamp is _NO_STAMP and has_app_context():
        stamp = g.get("docflow_calendar_stamp", _NO_STAMP)  # read with the signed-in user
    if stamp is not _NO_STAMP:
        stamped = _cache.get("stamped")
        if stamped is not None and stamped[0] == stamp:
            if has_app_context():
                g.docflow_calendar = stamped[1]
            return stamped[1]
        calendar = _read_overrides(conn)
        _cache["stamped"] = (stamp, calendar)  # read after the stamp: never older than it
        return calendar
    return _read_overrides()


_OVERRIDES = (select(CalendarOverride.day, CalendarOverride.working, CalendarOverride.reason)
              .order_by(CalendarOverride.day))


def _read_overrides(conn=None) -> Calendar:
    rows = statements_on(conn).run_all(_OVERRIDES, {})
    key = tuple(tuple(row) for row in rows)
    cached = _cache.get("current")
    if cached is not None and cached[0] == key:
        calendar = cached[1]
    else:
        calendar = default_calendar().with_overrides(
            {"day": day, "working": working, "reason": reason} for day, working, reason in rows)
        _cache["current"] = (key, calendar)
    if has_app_context():
        g.docflow_calendar = calendar
    return calendar


def set_override(day: date, working: bool, reason: str, actor=None) -> CalendarOverride:
    """Record an administrator's edit of one day. Flushes, never commits."""
    if not reason.strip():
        raise ValueError("A reason (the decree or order) is required.")
    default_calendar().day_info(day)  # raises UnknownYear for a year without data
    row = db.session.execute(db.select(CalendarOverride).where(CalendarOverride.day == day)).scalar()
    if row is None:
        row = CalendarOverride(day=day)
        db.session.add(row)
    row.working, row.reason = working, reason.strip()
    row.created_by_id = getattr(actor, "id", None)
    db.session.flush()
    if has_app_context():
        g.pop("docflow_calendar", None)  # the rest of this request sees the change
        g.pop("docflow_calendar_stamp", None)
    return row
