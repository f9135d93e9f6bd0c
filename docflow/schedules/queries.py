"""Reading schedules: the published entries, their slots, what changed between versions, and the
R7-1 check. Case work (placing approved appeals on slots, R28/R29) reads through these."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, exists, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..reference.models import Body, Official, Venue
from .models import Schedule, ScheduleEntry

OPEN_STATES = ("draft", "submitted", "approved")
EVER_PUBLISHED = ("published", "superseded")
R71_COUNTED = ("approved", "published")
R71_RANKS = ("first_head", "deputy")


def first_of_month(d: date) -> date:
    return d.replace(day=1)


def next_month(d: date) -> date:
    return (d.replace(day=28) + timedelta(days=4)).replace(day=1)


def published_schedule(venue_id: int, month: date) -> Schedule | None:
    """The version of a venue's month in force for the public (the latest published one)."""
    return db.session.execute(select(Schedule).where(
        Schedule.venue_id == venue_id, Schedule.month == first_of_month(month),
        Schedule.state == "published").order_by(Schedule.number.desc())).scalars().first()


def published_entries(venue_id: int, *, official_id: int | None = None,
                      body_id: int | None = None,
                      date_from: date | None = None) -> list[ScheduleEntry]:
    """Entries of the venue's currently published versions (every month), by date and start."""
    stmt = (select(ScheduleEntry).join(Schedule, Schedule.id == ScheduleEntry.schedule_id)
            .where(Schedule.venue_id == venue_id, Schedule.state == "published")
            .options(selectinload(ScheduleEntry.official), selectinload(ScheduleEntry.body))
            .order_by(ScheduleEntry.date, ScheduleEntry.start, ScheduleEntry.id))
    if official_id is not None:
        stmt = stmt.where(ScheduleEntry.official_id == official_id)
    if body_id is not None:
        stmt = stmt.where(ScheduleEntry.body_id == body_id)
    if date_from is not None:
        stmt = stmt.where(ScheduleEntry.date >= date_from)
    return list(db.session.execute(stmt).scalars())


def entry_slots(entry: ScheduleEntry) -> list[datetime]:
    """The aware start times (venue's zone) of the entry's ``capacity`` slots."""
    zone = ZoneInfo(entry.schedule.venue.timezone)
    first = datetime.combine(entry.date, entry.start, tzinfo=zone)
    return [first + timedelta(minutes=entry.slot_minutes * i) for i in range(entry.capacity)]


def entry_bounds(entry: ScheduleEntry) -> tuple[datetime, datetime]:
    """Aware start and end of the whole entry in the venue's zone."""
    zone = ZoneInfo(entry.schedule.venue.timezone)
    return (datetime.combine(entry.date, entry.start, tzinfo=zone),
            datetime.combine(entry.date, entry.end, tzinfo=zone))


def affected_by_change(old_entry: ScheduleEntry, new_entry: ScheduleEntry | None) -> bool:
    """Would an applicant placed on ``old_entry`` need a new reply (R29)?

    Yes when the entry is gone, the official or venue changed, or one of the old slot times no
    longer exists (moved day or hours, a different slot length, fewer places). A larger capacity
    alone keeps every old slot, so it affects nobody.
    """
    if new_entry is None:
        return True
    if (old_entry.official_id != new_entry.official_id
            or old_entry.schedule.venue_id != new_entry.schedule.venue_id):
        return True
    return not set(entry_slots(old_entry)) <= set(entry_slots(new_entry))


@dataclass(frozen=True)
class Change:
    """One line of the diff between a version and the one it replaces, matched by ``key``."""

    kind: str  # "added" | "moved" | "removed"
    key: str
    old: ScheduleEntry | None
    new: ScheduleEntry | None


def previous_published(schedule: Schedule) -> Schedule | None:
    """The last version before ``schedule`` that was published (the one it replaces)."""
    return db.session.execute(select(Schedule).where(
        Schedule.venue_id == schedule.venue_id, Schedule.month == schedule.month,
        Schedule.number < schedule.number, Schedule.state.in_(EVER_PUBLISHED))
        .order_by(Schedule.number.desc())).scalars().first()


def diff(old: Schedule | None, new: Schedule) -> list[Change]:
    """Entries added, moved (same key, different date/time/official/capacity) or removed."""
    before = {e.key: e for e in (old.entries if old is not None else [])}
    after = {e.key: e for e in new.entries}
    changes = [Change("added", k, None, e) for k, e in after.items() if k not in before]
    changes += [Change("moved", k, before[k], e) for k, e in after.items()
                if k in before and before[k].signature() != e.signature()]
    changes += [Change("removed", k, e, None) for k, e in before.items() if k not in after]
    order = lambda c: ((c.new or c.old).date, (c.new or c.old).start)  # noqa: E731
    return sorted(changes, key=order)


def changes_since_previous(schedule: Schedule) -> list[Change]:
    return diff(previous_published(schedule), schedule)


def moved_or_removed(schedule: Schedule) -> list[Change]:
    """For a (re)published version: the entries of the version it replaced whose applicants need
    a new reply — moved (``affected_by_change``) or removed, matched by key. ``old`` is the
    entry applicants were placed on, ``new`` its replacement or None."""
    return [c for c in changes_since_previous(schedule)
            if c.kind == "removed" or (c.kind == "moved" and affected_by_change(c.old, c.new))]


def sequences(schedule: Schedule) -> dict[str, int]:
    """ICS SEQUENCE per entry key: how many published versions up to ``schedule`` changed it."""
    versions = db.session.execute(select(Schedule).where(
        Schedule.venue_id == schedule.venue_id, Schedule.month == schedule.month,
        Schedule.number <= schedule.number, Schedule.state.in_(EVER_PUBLISHED))
        .order_by(Schedule.number)).scalars().all()
    seen: dict[str, tuple] = {}
    counts: dict[str, int] = {}
    for version in versions:
        for entry in version.entries:
            sig = entry.signature()
            if entry.key in seen and seen[entry.key] != sig:
                counts[entry.key] = counts.get(entry.key, 0) + 1
            seen[entry.key] = sig
    return {e.key: counts.get(e.key, 0) for e in schedule.entries}


def r71_gaps(month: date, *, including: Schedule | None = None) -> list[Official]:
    """R7-1: the first heads and deputies of central state bodies with no entry at any citizen
    reception center in the month's approved or published schedules (``including`` — the
    schedule being approved — counts too). Ordered by body and surname."""
    month = first_of_month(month)
    counted = Schedule.state.in_(R71_COUNTED)
    if including is not None and including.id is not None:
        counted = counted | (Schedule.id == including.id)
    received = exists(select(ScheduleEntry.id)
                      .join(Schedule, Schedule.id == ScheduleEntry.schedule_id)
                      .join(Venue, Venue.id == Schedule.venue_id)
                      .where(ScheduleEntry.official_id == Official.id, Schedule.month == month,
                             Venue.kind == "reception_center", counted))
    stmt = (select(Official).join(Body, Body.id == Official.body_id)
            .where(and_(Body.kind == "central", Body.active.is_(True),
                        Official.active.is_(True), Official.rank.in_(R71_RANKS)), ~received)
            .order_by(Body.code, Official.last_name_ru, Official.code))
    return list(db.session.execute(stmt).scalars())
