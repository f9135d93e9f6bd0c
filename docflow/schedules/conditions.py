"""Named guards of the schedule workflow (``workflows/schedule.toml``)."""
from sqlalchemy import select

from ..engine import engine
from ..extensions import db
from .models import Schedule
from .queries import r71_gaps


@engine.condition("schedule_has_entries", "the schedule has at least one reception")
def schedule_has_entries(item: Schedule, actor, data) -> bool:
    return bool(item.entries)


@engine.condition("r71_covered_or_acknowledged",
                  "some first heads or deputies of central state bodies have no reception at a "
                  "citizen reception center this month (R7-1); acknowledge this with a reason")
def r71_covered_or_acknowledged(item: Schedule, actor, data) -> bool:
    """R7-1 binds citizen reception centers; a room's schedule is not checked."""
    if item.venue.kind != "reception_center" or not r71_gaps(item.month, including=item):
        return True
    reason = data.get("acknowledgment_reason")
    return bool(data.get("acknowledged")) and isinstance(reason, str) and bool(reason.strip())


@engine.condition("newer_version_published", "a newer version of this month is published")
def newer_version_published(item: Schedule, actor, data) -> bool:
    return db.session.execute(select(Schedule.id).where(
        Schedule.venue_id == item.venue_id, Schedule.month == item.month,
        Schedule.number > item.number, Schedule.state == "published")).first() is not None
