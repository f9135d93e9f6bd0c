"""The rules an entry must keep before it is saved; each broken rule names its form field.

An official cannot be in two places at once (this schedule and every other venue's current
version of the month), receptions are held on working days (the calendar) within the venue's
hours and outside its lunch break (R4), and the slots must fit in the time given.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time

from flask_babel import gettext as _
from sqlalchemy import func, select

from ..calendar.core import UnknownYear
from ..calendar.store import current_calendar
from ..extensions import db
from ..reference.models import Official, Venue
from .models import Schedule, ScheduleEntry


class EntryError(ValueError):
    """The entry was refused; ``errors`` maps form fields to messages."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(m for msgs in errors.values() for m in msgs))
        self.errors = errors


@dataclass(frozen=True)
class EntryData:
    official: Official
    date: date
    start: time
    end: time
    slot_minutes: int
    capacity: int


def _minutes(t: time) -> int:
    return t.hour * 60 + t.minute


def _hm(t: time) -> str:
    return t.strftime("%H:%M")


def current_versions(month: date):
    """Per (venue, month): the latest version that is not superseded — the one in force or
    about to be. A select of Schedule."""
    latest = (select(Schedule.venue_id, func.max(Schedule.number).label("number"))
              .where(Schedule.month == month, Schedule.state != "superseded")
              .group_by(Schedule.venue_id).subquery())
    return select(Schedule).join(latest, (latest.c.venue_id == Schedule.venue_id)
                                 & (latest.c.number == Schedule.number)).where(
        Schedule.month == month)


def check_entry(schedule: Schedule, data: EntryData, *,
                entry: ScheduleEntry | None = None) -> None:
    """Raise :class:`EntryError` listing every broken rule, or return None."""
    errors: dict[str, list[str]] = {}

    def fail(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    venue: Venue = schedule.venue
    official = data.official
    if not official.active:
        fail("official", _("%(name)s no longer receives citizens (retired record).",
                           name=official.full_name()))
    if venue.kind == "reception_room" and venue.body_id not in (None, official.body_id):
        fail("official", _("Only officials of %(body)s receive in this reception room.",
                           body=venue.body.name()))
    if (data.date.year, data.date.month) != (schedule.month.year, schedule.month.month):
        fail("date", _("The date must be in %(month)s, the schedule's month.",
                       month=schedule.month_code))
    else:
        try:
            working = current_calendar().is_working_day(data.date)
        except UnknownYear:
            working = False
            fail("date", _("The calendar has no data for %(year)s yet.", year=data.date.year))
        else:
            if not working:
                fail("date", _("%(date)s is not a working day.", date=data.date.isoformat()))
    if data.end <= data.start:
        fail("end", _("The end (%(end)s) must be after the start (%(start)s).",
                      end=_hm(data.end), start=_hm(data.start)))
    else:
        if data.start < venue.opens:
            fail("start", _("The venue opens at %(opens)s.", opens=_hm(venue.opens)))
        if data.end > venue.closes:
            fail("end", _("The venue closes at %(closes)s.", closes=_hm(venue.closes)))
        if data.start < venue.lunch_end and data.end > venue.lunch_start:
            fail("start", _("The reception overlaps the lunch break (%(start)s–%(end)s).",
                            start=_hm(venue.lunch_start), end=_hm(venue.lunch_end)))
        available = _minutes(data.end) - _minutes(data.start)
        if data.slot_minutes < 1:
            fail("slot_minutes", _("A slot lasts at least one minute."))
        elif data.capacity < 1:
            fail("capacity", _("At least one applicant must fit."))
        elif data.capacity * data.slot_minutes > available:
            fail("capacity", _("%(n)s applicants of %(m)s minutes need %(need)s minutes; the "
                               "reception lasts %(have)s.", n=data.capacity,
                               m=data.slot_minutes, need=data.capacity * data.slot_minutes,
                               have=available))
        clash = _clash(schedule, data, entry)
        if clash is not None:
            fail("official", clash)
    if errors:
        raise EntryError(errors)


def _clash(schedule: Schedule, data: EntryData, entry: ScheduleEntry | None) -> str | None:
    """An overlapping entry of the same official in this schedule or another venue's current
    version of the month (the official cannot be in two places at once)."""
    versions = current_versions(schedule.month).where(Schedule.venue_id != schedule.venue_id)
    schedule_ids = [schedule.id, *db.session.execute(
        versions.with_only_columns(Schedule.id)).scalars()]
    stmt = (select(ScheduleEntry).where(
        ScheduleEntry.schedule_id.in_(schedule_ids),
        ScheduleEntry.official_id == data.official.id, ScheduleEntry.date == data.date,
        ScheduleEntry.start < data.end, ScheduleEntry.end > data.start))
    if entry is not None and entry.id is not None:
        stmt = stmt.where(ScheduleEntry.id != entry.id)
    other = db.session.execute(stmt.order_by(ScheduleEntry.start)).scalars().first()
    if other is None:
        return None
    return _("%(name)s already receives at %(venue)s on %(date)s from %(start)s to %(end)s.",
             name=data.official.full_name(), venue=other.schedule.venue.name(),
             date=other.date.isoformat(), start=_hm(other.start), end=_hm(other.end))

