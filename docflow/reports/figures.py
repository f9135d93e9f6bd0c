"""The figures of the statistics dashboard and the quarterly report (R7-1, R25, R26, R29, R31,
R38, R40), each a few SQL aggregates (GROUP BY venue and body, SUM(CASE ...)): nothing here loops
over appeals in Python, so a quarter over a million appeals is a handful of index scans.

What a period counts (the page says it too):

* appeals, channels, statuses and same-day registration: appeals **registered** in the period;
* briefs, replies and material requests: the deadlines that **fall** in the period (brief due,
  reply due, material due date), with what became of them as of ``today``;
* receptions (R7-1): entries of the published schedules dated in the period, per official.

Speed (bench-reports, 1,000,000 appeals): the statements of one venue and body read the
covering indexes of ``reports.models`` — index-only scans of the few thousand index entries of
that venue, body and period, then the engine row of each for its current state — never the
appeals' table pages. Why indexes and not a table of daily counts kept up to date by intake and
the workflow: half the figures depend on ``today`` (overdue, not yet due) and on each appeal's
current state, so such counts would need rewriting every day and on every transition (a write on
the busiest path, one hot row per venue and day) and could drift from the appeals; the indexes
are kept exact by PostgreSQL itself and give one venue and body's quarter in milliseconds. The
every-venue dashboard still joins each appeal of the period to its engine row (a scan of that
table); should it need to be instant, a summary by day, venue, body, channel and state refreshed
by a periodic job is the next step.

R11: the counts include restricted appeals (a number carries no personal data); nothing here
lists an appeal, so no list or drill-down can show one (``docflow.reports`` has none).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Date,
    DateTime,
    Integer,
    and_,
    case,
    column,
    exists,
    func,
    select,
    values,
)

from ..calendar import CalendarError
from ..calendar.store import current_calendar
from ..engine.content import Item
from ..engine.history import HistoryEntry
from ..extensions import db
from ..i18n import local_today
from ..reception.briefs import BRIEF_WORKING_DAYS, BriefProposal
from ..reception.intake import CHANNELS
from ..reception.materials import OPEN_STATES as MATERIAL_OPEN
from ..reception.materials import MaterialRequest
from ..reception.models import Appeal
from ..reception.queries import TERMINAL_STATES, late_reply_clause, overdue_clause
from ..reference.models import Body, Official, Venue

BRIEF_OPEN_STATES = ("registered", "in_review", "collecting")  # a brief may still come

A = Appeal.__table__
I = Item.__table__  # noqa: E741  (the engine's item row: state, restricted)


@dataclass(frozen=True)
class Scope:
    """What the figures cover: a period and optionally some venues and bodies (None = all)."""

    start: date
    end: date
    venue_ids: tuple[int, ...] | None = None
    body_ids: tuple[int, ...] | None = None
    today: date = field(default_factory=local_today)

    def where(self, table=A):
        clauses = []
        if self.venue_ids is not None:
            clauses.append(table.c.venue_id.in_(self.venue_ids))
        if self.body_ids is not None:
            clauses.append(table.c.body_id.in_(self.body_ids))
        return and_(True, *clauses)


def _n(expr):
    """COUNT of the rows where ``expr`` holds, as SUM(CASE) (the same SQL on both databases)."""
    return func.coalesce(func.sum(case((expr, 1), else_=0)), 0)


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _pairs(rows, keys) -> tuple[dict, dict]:
    """Rows (venue_id, body_id, *counts) -> totals and per (venue, body) dicts of ``keys``."""
    total = dict.fromkeys(keys, 0)
    per: dict[tuple[int, int], dict] = {}
    for venue_id, body_id, *counts in rows:
        bucket = per.setdefault((venue_id, body_id), dict.fromkeys(keys, 0))
        for key, value in zip(keys, counts, strict=True):
            bucket[key] += int(value or 0)
            total[key] += int(value or 0)
    return total, per


# -- appeals: channels and statuses ---------------------------------------------------------------

def appeals(scope: Scope) -> dict:
    """Appeals registered in the period by channel and by current status."""
    base = (A.c.registered_on >= scope.start) & (A.c.registered_on <= scope.end) & scope.where()
    by_channel = db.session.execute(
        select(A.c.venue_id, A.c.body_id, A.c.channel, func.count())
        .where(base).group_by(A.c.venue_id, A.c.body_id, A.c.channel)).all()
    by_status = db.session.execute(
        select(I.c.state, func.count()).select_from(A.join(I, I.c.id == A.c.id))
        .where(base).group_by(I.c.state)).all()
    channels = dict.fromkeys(CHANNELS, 0)
    per: dict[tuple[int, int], int] = {}
    for venue_id, body_id, channel, n in by_channel:
        channels[channel] = channels.get(channel, 0) + n
        per[(venue_id, body_id)] = per.get((venue_id, body_id), 0) + n
    return {"total": sum(channels.values()), "by_channel": channels,
            "by_status": {state: n for state, n in sorted(by_status)}, "per_pair": per}


# -- R25: registered the day it was received -----------------------------------------------------

def _zones(scope: Scope) -> tuple[list[tuple], dict[int, int]]:
    """Each distinct (time zone, closing time) of the venues in scope, numbered, and the number
    of each venue. Venues share a handful of these, so the day table below stays small."""
    stmt = select(Venue.id, Venue.timezone, Venue.closes)
    if scope.venue_ids is not None:
        stmt = stmt.where(Venue.id.in_(scope.venue_ids))
    combos: list[tuple] = []
    of_venue: dict[int, int] = {}
    for venue_id, tz, closes in db.session.execute(stmt.order_by(Venue.id)):
        key = (tz or "Asia/Almaty", closes or time(18, 30))
        if key not in combos:
            combos.append(key)
        of_venue[venue_id] = combos.index(key)
    return combos, of_venue


def _utc(day: date, at: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, at, zone).astimezone(UTC).replace(tzinfo=None)


def _day_table(scope: Scope, combos: list[tuple], first: date, last: date):
    """VALUES (zone, day, opens_utc, closes_utc, ends_utc) for each working day in [first, last].

    An appeal received at the UTC moment t is registered, by the rule of R4/R25 (calendar
    ``registered_on``), on the first working day whose closing moment is after t. So it was
    registered on its day exactly when close(previous working day) <= t < close(registered_on):
    ``opens_utc`` is the previous working day's closing moment, ``closes_utc`` the day's own.
    ``ends_utc`` is the day's local midnight, which a deadline "by that day" must beat.
    """
    calendar = current_calendar()
    rows = []
    for index, (tz, closes) in enumerate(combos):
        zone = ZoneInfo(tz)
        day = first
        while day <= last:
            if calendar.is_working_day(day):
                try:
                    previous = calendar.shift(day, -1)
                except CalendarError:  # the calendar's first year: the day before will do
                    previous = day - timedelta(days=1)
                rows.append((index, day, _utc(previous, closes, zone), _utc(day, closes, zone),
                             _utc(day + timedelta(days=1), time(0), zone)))
            day += timedelta(days=1)
    if not rows:  # an empty VALUES is not SQL; a row no appeal can match stands in
        rows.append((-1, first, datetime(1970, 1, 1), datetime(1970, 1, 1), datetime(1970, 1, 1)))
    return values(column("zone", Integer), column("day", Date), column("opens_utc", DateTime),
                  column("closes_utc", DateTime), column("ends_utc", DateTime),
                  name="report_days").data(rows).cte("report_days")


def _zone_of(of_venue: dict[int, int], venue_col):
    if not of_venue:
        return -1
    return case(of_venue, value=venue_col, else_=-1)


def registration(scope: Scope) -> dict:
    """R25: of the appeals registered in the period, how many on the day they were received
    (or the next working day when received after hours or on a day off)."""
    combos, of_venue = _zones(scope)
    days = _day_table(scope, combos, scope.start, scope.end)
    joined = A.outerjoin(days, and_(days.c.zone == _zone_of(of_venue, A.c.venue_id),
                                    days.c.day == A.c.registered_on))
    same_day = (A.c.received_at >= days.c.opens_utc) & (A.c.received_at < days.c.closes_utc)
    rows = db.session.execute(
        select(A.c.venue_id, A.c.body_id, func.count(), _n(same_day)).select_from(joined)
        .where(A.c.registered_on >= scope.start, A.c.registered_on <= scope.end, scope.where())
        .group_by(A.c.venue_id, A.c.body_id)).all()
    total, per = _pairs(rows, ("total", "same_day"))
    total["late"] = total["total"] - total["same_day"]
    total["rate"] = _rate(total["same_day"], total["total"])
    for bucket in per.values():
        bucket["rate"] = _rate(bucket["same_day"], bucket["total"])
    return {**total, "per_pair": per}


# -- R26: the reference brief five working days before the reception ----------------------------

def _brief_due_table(first: date, last: date):
    """VALUES (reception day, brief due day) for receptions whose brief is due in [first, last]:
    brief due = reception − 5 working days (R26), from the calendar."""
    calendar = current_calendar()
    rows, day = [], first
    horizon = calendar.shift(last, BRIEF_WORKING_DAYS) + timedelta(days=1)
    while day <= horizon:
        try:
            due = calendar.shift(day, -BRIEF_WORKING_DAYS)
        except CalendarError:  # due before the calendar's first year: before the period too
            due = None
        if due is not None and first <= due <= last:
            rows.append((day, due))
        day += timedelta(days=1)
    if not rows:
        rows.append((date(1970, 1, 1), date(1970, 1, 1)))
    return values(column("reception_day", Date), column("due_day", Date),
                  name="report_brief_due").data(rows).cte("report_brief_due")


def briefs(scope: Scope) -> dict:
    """R26: briefs due in the period (the latest proposal's reception − 5 working days) and
    whether the brief went to the head (the last ``submit_brief``) by the end of that day."""
    from ..schedules.models import ScheduleEntry

    combos, of_venue = _zones(scope)
    days = _day_table(scope, combos, scope.start, scope.end)
    due_map = _brief_due_table(scope.start, scope.end)
    bp, se, h = BriefProposal.__table__, ScheduleEntry.__table__, HistoryEntry.__table__
    # From the period's receptions to their proposals (few rows), never over every proposal or
    # every history row: the latest proposal and the last submission are looked up per appeal.
    newer = bp.alias("newer_proposal")
    latest = ~exists(select(newer.c.id).where(newer.c.appeal_id == bp.c.appeal_id,
                                              newer.c.entry_id.is_not(None),
                                              newer.c.id > bp.c.id))
    submitted_at = (select(func.max(h.c.at)).where(h.c.item_id == A.c.id,
                                                   h.c.transition == "submit_brief")
                    .correlate(A).scalar_subquery())
    inner = (select(A.c.venue_id, A.c.body_id, I.c.state, due_map.c.due_day,
                    days.c.ends_utc, submitted_at.label("at"))
             .select_from(se.join(due_map, due_map.c.reception_day == se.c.date)
                          .join(bp, bp.c.entry_id == se.c.id)
                          .join(A, A.c.id == bp.c.appeal_id)
                          .join(I, I.c.id == A.c.id)
                          .join(days, and_(days.c.zone == _zone_of(of_venue, A.c.venue_id),
                                           days.c.day == due_map.c.due_day)))
             .where(latest, scope.where()).subquery())
    done = inner.c.at.is_not(None)
    waiting = ~done & inner.c.state.in_(BRIEF_OPEN_STATES)
    rows = db.session.execute(
        select(inner.c.venue_id, inner.c.body_id, func.count(),
               _n(done & (inner.c.at < inner.c.ends_utc)),
               _n(done & (inner.c.at >= inner.c.ends_utc)),
               _n(waiting & (inner.c.due_day < scope.today)),
               _n(waiting & (inner.c.due_day >= scope.today)))
        .group_by(inner.c.venue_id, inner.c.body_id)).all()
    keys = ("due", "on_time", "late", "overdue", "pending")
    total, per = _pairs(rows, keys)
    return _deadline_totals(total, per)


def _deadline_totals(total: dict, per: dict) -> dict:
    """Add ``not_needed`` (closed without it) and the on-time rate over deadlines decided."""
    for bucket in (total, *per.values()):
        decided = bucket["on_time"] + bucket["late"] + bucket["overdue"]
        bucket["not_needed"] = bucket["due"] - decided - bucket["pending"]
        bucket["rate"] = _rate(bucket["on_time"], decided)
    return {**total, "per_pair": per}


# -- R29: the reply within 15 working days -------------------------------------------------------

def replies(scope: Scope) -> dict:
    """R29: replies due in the period — sent by the due date, sent late, overdue (not sent, due
    passed, case open), pending (not due yet) — with the rules of ``reception.queries``."""
    open_unsent = A.c.replied_on.is_(None) & I.c.state.notin_(TERMINAL_STATES)
    rows = db.session.execute(
        select(A.c.venue_id, A.c.body_id, func.count(),
               _n(A.c.replied_on.is_not(None) & (A.c.replied_on <= A.c.reply_due)),
               _n(late_reply_clause()),
               _n(overdue_clause(scope.today)),
               _n(open_unsent & (A.c.reply_due >= scope.today)))
        .select_from(A.join(I, I.c.id == A.c.id))
        .where(A.c.reply_due >= scope.start, A.c.reply_due <= scope.end, scope.where())
        .group_by(A.c.venue_id, A.c.body_id)).all()
    total, per = _pairs(rows, ("due", "on_time", "late", "overdue", "pending"))
    return _deadline_totals(total, per)


# -- R31: material requests -----------------------------------------------------------------------

def materials(scope: Scope) -> dict:
    """R31: material requests of the scope's appeals due in the period: answered on time or late,
    overdue (still open past the due date), open (not due yet), waived."""
    mr = MaterialRequest.__table__
    mi = I.alias("material_item")
    state = mi.c.state
    rows = db.session.execute(
        select(A.c.venue_id, A.c.body_id, func.count(),
               _n((state == "answered") & (mr.c.answered_on <= mr.c.due_on)),
               _n((state == "answered") & (mr.c.answered_on > mr.c.due_on)),
               _n(state.in_(MATERIAL_OPEN) & (mr.c.due_on < scope.today)),
               _n(state.in_(MATERIAL_OPEN) & (mr.c.due_on >= scope.today)),
               _n(state == "waived"))
        .select_from(mr.join(mi, mi.c.id == mr.c.id).join(A, A.c.id == mr.c.appeal_id))
        .where(mr.c.due_on >= scope.start, mr.c.due_on <= scope.end, scope.where())
        .group_by(A.c.venue_id, A.c.body_id)).all()
    keys = ("due", "answered_on_time", "answered_late", "overdue", "open", "waived")
    total, per = _pairs(rows, keys)
    total["late_or_overdue"] = total["answered_late"] + total["overdue"]
    return {**total, "per_pair": per}


# -- R7-1: receptions per official, at least once a month ---------------------------------------

def months_of(start: date, end: date) -> list[date]:
    """First days of the months the period touches."""
    out, month = [], start.replace(day=1)
    while month <= end:
        out.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    return out


def receptions(scope: Scope) -> dict:
    """R7-1: per official, the receptions in the published schedules of the scope's venues dated
    in the period, by month, how many of them are past (held), and the months in which the
    official received at no citizen reception center at all (``schedules.r71_gaps``)."""
    from ..schedules import r71_gaps
    from ..schedules.models import Schedule, ScheduleEntry

    s, se, si = Schedule.__table__, ScheduleEntry.__table__, I.alias("schedule_item")
    where = [si.c.state == "published", se.c.date >= scope.start, se.c.date <= scope.end]
    if scope.venue_ids is not None:
        where.append(s.c.venue_id.in_(scope.venue_ids))
    if scope.body_ids is not None:
        where.append(se.c.body_id.in_(scope.body_ids))
    rows = db.session.execute(
        select(se.c.official_id, s.c.month, func.count(), _n(se.c.date <= scope.today))
        .select_from(se.join(s, s.c.id == se.c.schedule_id).join(si, si.c.id == s.c.id))
        .where(*where).group_by(se.c.official_id, s.c.month)).all()
    months = months_of(scope.start, scope.end)
    gaps = {m: {o.id for o in r71_gaps(m)} for m in months}
    officials = select(Official).where(Official.active.is_(True),
                                       Official.rank.in_(("first_head", "deputy")))
    if scope.body_ids is not None:
        officials = officials.where(Official.body_id.in_(scope.body_ids))
    wanted = {o.id: o for o in db.session.execute(officials).scalars()}
    counted = {r[0] for r in rows} - set(wanted)
    if counted:
        wanted.update({o.id: o for o in db.session.execute(
            select(Official).where(Official.id.in_(counted))).scalars()})
    by_official: dict[int, dict] = {
        oid: {"official": o, "by_month": dict.fromkeys(months, 0), "total": 0, "held": 0}
        for oid, o in wanted.items()}
    for official_id, month, n, held in rows:
        entry = by_official[official_id]
        entry["by_month"][month] = entry["by_month"].get(month, 0) + n
        entry["total"] += n
        entry["held"] += int(held or 0)
    out = []
    for entry in by_official.values():
        official = entry["official"]
        entry["months_without"] = [m for m in months if official.id in gaps[m]]
        entry["meets_r71"] = not entry["months_without"]
        out.append(entry)
    out.sort(key=lambda e: (e["official"].body_id, e["official"].rank != "first_head",
                            e["official"].last_name_ru, e["official"].id))
    return {"months": months, "officials": out, "total": sum(e["total"] for e in out),
            "held": sum(e["held"] for e in out),
            "officials_meeting_r71": sum(1 for e in out if e["meets_r71"]),
            "officials_counted": len(out)}


# -- R38: satisfaction (from the surveys area, when it is installed) ---------------------------

def satisfaction(scope: Scope) -> dict | None:
    """Calls made, applicants reached, response rate and average score of the period's telephone
    surveys, from ``docflow.surveys.stats.satisfaction`` (its ``total``); None when the surveys
    area is not installed (the page then shows "—", not zero)."""
    try:
        from ..surveys.stats import satisfaction as survey_satisfaction
    except ImportError:
        return None
    data = survey_satisfaction(db.session, venue_ids=scope.venue_ids, body_ids=scope.body_ids,
                               start=scope.start, end=scope.end)
    total = (data or {}).get("total", data) or {}
    return {key: total.get(key) for key in ("called", "reached", "response_rate",
                                            "average_score")}


# -- everything -----------------------------------------------------------------------------------

def compute(scope: Scope) -> dict:
    """Every figure of the period; each part is independent and a few SQL statements."""
    return {"scope": scope, "appeals": appeals(scope), "registration": registration(scope),
            "briefs": briefs(scope), "replies": replies(scope), "materials": materials(scope),
            "receptions": receptions(scope), "satisfaction": satisfaction(scope)}


def names(kind, ids, locale: str | None = None) -> dict[int, str]:
    """Names of venues or bodies by id (for the per-pair table)."""
    model = {"venue": Venue, "body": Body}[kind]
    if not ids:
        return {}
    return {row.id: row.name(locale) for row in db.session.execute(
        select(model).where(model.id.in_(sorted(ids)))).scalars()}
