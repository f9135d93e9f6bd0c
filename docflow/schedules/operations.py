"""Changing schedules: each function flushes and never commits; the caller commits once.

Refusals: :class:`ScheduleError` (a rule of this area, with a field), :class:`~.checks.EntryError`
(an entry's fields), and the engine's ``PermissionDenied`` / ``TransitionRefused`` family.
"""
from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select

from ..engine.content import create_item, flush_item, touch
from ..engine.errors import PermissionDenied
from ..engine.events import item_event
from ..engine.security import can
from ..engine.workflow import transition
from ..extensions import db
from ..jobs import enqueue
from ..reference.models import Venue
from .checks import EntryData, check_entry
from .models import Schedule, ScheduleEntry
from .policy import may_prepare, schedule_places
from .queries import OPEN_STATES, first_of_month, previous_published, r71_gaps


class ScheduleError(ValueError):
    """A refused change of a schedule; ``field`` names the form field when there is one."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message, self.field = message, field


def _title(venue: Venue, month: date, number: int) -> str:
    return f"{venue.code} {month:%Y-%m} v{number}"


def create_schedule(venue: Venue, month: date, actor) -> Schedule:
    """Start version 1 of a venue's month (R7-1: at least one schedule a month)."""
    if not may_prepare(actor, venue):
        raise PermissionDenied(_("You may not prepare schedules for %(venue)s.",
                                 venue=venue.name()))
    month = first_of_month(month)
    if db.session.execute(select(Schedule.id).where(Schedule.venue_id == venue.id,
                                                    Schedule.month == month)).first():
        raise ScheduleError(_("%(venue)s already has a schedule for %(month)s; open it, or make "
                              "a new version of the published one.", venue=venue.name(),
                              month=f"{month:%Y-%m}"), field="month")
    return create_item(Schedule, title=_title(venue, month, 1), owner=actor,
                       places=schedule_places(venue), venue_id=venue.id, venue=venue,
                       month=month, number=1, prepared_by_id=actor.id)


def _require_edit(schedule: Schedule, actor) -> None:
    if not can(actor, "edit", schedule):
        raise PermissionDenied(_("Receptions can be changed only in a draft, by the venue's "
                                 "staff."))


def add_entry(schedule: Schedule, actor, data: EntryData) -> ScheduleEntry:
    _require_edit(schedule, actor)
    check_entry(schedule, data)
    entry = ScheduleEntry(schedule=schedule, official_id=data.official.id,
                          official=data.official, body_id=data.official.body_id,
                          date=data.date, start=data.start, end=data.end,
                          slot_minutes=data.slot_minutes, capacity=data.capacity)
    db.session.add(entry)
    touch(schedule, actor)
    flush_item(schedule)
    return entry


def update_entry(entry: ScheduleEntry, actor, data: EntryData) -> ScheduleEntry:
    """Change an entry in place: it keeps its ``key``, so the change shows as a move."""
    schedule = entry.schedule
    _require_edit(schedule, actor)
    check_entry(schedule, data, entry=entry)
    entry.official, entry.official_id, entry.body_id = (data.official, data.official.id,
                                                        data.official.body_id)
    entry.date, entry.start, entry.end = data.date, data.start, data.end
    entry.slot_minutes, entry.capacity = data.slot_minutes, data.capacity
    touch(schedule, actor)
    flush_item(schedule)
    return entry


def remove_entry(entry: ScheduleEntry, actor) -> None:
    schedule = entry.schedule
    _require_edit(schedule, actor)
    schedule.entries.remove(entry)
    touch(schedule, actor)
    flush_item(schedule)


def submit(schedule: Schedule, actor, comment: str | None = None):
    return transition(schedule, "submit", actor, comment)


def return_for_corrections(schedule: Schedule, actor, reason: str):
    return transition(schedule, "return", actor, reason)


def approve(schedule: Schedule, actor, *, comment: str | None = None, acknowledge: bool = False,
            reason: str | None = None):
    """The Head of the Office of the Government approves (R7-1). At a reception center, while
    the R7-1 list is not empty the approval needs ``acknowledge`` and a ``reason``; the list,
    the acknowledgment and the reason go into the history row."""
    gaps = (r71_gaps(schedule.month, including=schedule)
            if schedule.venue.kind == "reception_center" else [])
    reason = (reason or "").strip() or None
    data = {"r71_gaps": [o.code for o in gaps]}
    if gaps:
        data.update(acknowledged=bool(acknowledge), acknowledgment_reason=reason)
    return transition(schedule, "approve", actor, comment or (reason if gaps else None), **data)


def publish(schedule: Schedule, actor):
    """Publish (R8). What follows any publication, from this page or the engine's item page
    (the earlier version superseded, the poster enqueued), is done by :func:`after_transition`."""
    return transition(schedule, "publish", actor)


@item_event.connect
def after_transition(item, *, event: str, actor, **payload) -> None:
    """In the transaction of a schedule's transition, whoever fired it and from where:

    * approve — who approved and when, and the R7-1 list with its acknowledgment (from the
      history row's data) on the schedule;
    * publish — the month's earlier published version superseded (kept), and the poster job
      enqueued (``docflow.schedules.jobs.render_poster``, key ``poster:<id>``).
    """
    if event != "transitioned" or not isinstance(item, Schedule):
        return
    name, entry = payload.get("transition"), payload.get("entry")
    if name == "approve":
        data = entry.data or {}
        item.approved_by_id, item.approved_at = getattr(actor, "id", None), entry.at
        item.r71_gaps = list(data.get("r71_gaps") or [])
        item.r71_acknowledged = bool(item.r71_gaps and data.get("acknowledged"))
        item.r71_reason = data.get("acknowledgment_reason") if item.r71_acknowledged else None
        flush_item(item)
    elif name == "publish":
        item.published_at = entry.at
        flush_item(item)
        older = previous_published(item)
        if older is not None and older.state == "published":
            transition(older, "supersede", actor,
                       _("Replaced by version %(number)s.", number=item.number))
        enqueue("docflow.schedules.jobs.render_poster", item.id, queue="documents",
                key=f"poster:{item.id}", title=f"poster {item.title}")


def new_version(schedule: Schedule, actor) -> Schedule:
    """Copy a published version into a new draft; entries keep their keys (R8: a change after
    publication is a new version, approved and published again)."""
    venue = schedule.venue
    if not may_prepare(actor, venue):
        raise PermissionDenied(_("You may not prepare schedules for %(venue)s.",
                                 venue=venue.name()))
    if schedule.state != "published":
        raise ScheduleError(_("Only the published version can be changed by a new version."))
    open_version = db.session.execute(select(Schedule).where(
        Schedule.venue_id == venue.id, Schedule.month == schedule.month,
        Schedule.state.in_(OPEN_STATES))).scalars().first()
    if open_version is not None:
        raise ScheduleError(_("Version %(number)s of this month is already being prepared.",
                              number=open_version.number))
    number = 1 + db.session.execute(select(func.max(Schedule.number)).where(
        Schedule.venue_id == venue.id, Schedule.month == schedule.month)).scalar_one()
    copy = create_item(Schedule, title=_title(venue, schedule.month, number), owner=actor,
                       places=schedule_places(venue), venue_id=venue.id, venue=venue,
                       month=schedule.month, number=number, prepared_by_id=actor.id)
    for e in schedule.entries:
        copy.entries.append(ScheduleEntry(
            key=e.key, official_id=e.official_id, body_id=e.body_id, date=e.date,
            start=e.start, end=e.end, slot_minutes=e.slot_minutes, capacity=e.capacity))
    db.session.flush()
    return copy
