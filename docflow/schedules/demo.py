"""Demo schedules for ``make run``: a published schedule for each demo venue for this month and
the next, one reception for each demo official (the room RR-MLSPP only for MLSPP's officials,
the center CRC-AST for the central bodies' officials, R2-1). Loading twice changes nothing."""
from datetime import date, time

from sqlalchemy import select

from ..auth.models import User
from ..calendar.store import current_calendar
from ..extensions import db
from ..reference.models import Body, Official, Venue
from . import operations as ops
from .checks import EntryData
from .models import Schedule
from .queries import first_of_month, next_month

PREPARER, APPROVER = "demo-admin", "demo-government-office"
# (venue code, time of day): the center receives in the morning, the room in the afternoon
VENUES = (("CRC-AST", time(10), time(12)), ("RR-MLSPP", time(15), time(17)))
SLOT_MINUTES, CAPACITY = 30, 4


def _user(login: str) -> User:
    user = db.session.execute(select(User).where(User.login == login)).scalar()
    if user is None:
        raise LookupError(f"The demo user {login} is missing; load the demo users first.")
    return user


def _working_days(month: date) -> list[date]:
    calendar, d, days = current_calendar(), month, []
    while d.month == month.month:
        if calendar.is_working_day(d):
            days.append(d)
        d = date.fromordinal(d.toordinal() + 1)
    return days


def _officials(venue: Venue) -> list[Official]:
    stmt = (select(Official).join(Body).where(Official.active.is_(True))
            .order_by(Official.code))
    if venue.kind == "reception_room":
        stmt = stmt.where(Official.body_id == venue.body_id)
    else:
        stmt = stmt.where(Body.kind == "central")
    return list(db.session.execute(stmt).scalars())


def load_demo_schedules(today: date) -> list[Schedule]:
    """Create and publish what is missing; returns the schedules created. Commits."""
    preparer, approver = _user(PREPARER), _user(APPROVER)
    created = []
    for month in (first_of_month(today), next_month(today)):
        for code, start, end in VENUES:
            venue = db.session.execute(select(Venue).where(Venue.code == code)).scalar()
            if venue is None or db.session.execute(select(Schedule.id).where(
                    Schedule.venue_id == venue.id, Schedule.month == month)).first():
                continue
            days = _working_days(month)
            schedule = ops.create_schedule(venue, month, preparer)
            for i, official in enumerate(_officials(venue)):
                day = days[(3 * i + 1) % len(days)]
                ops.add_entry(schedule, preparer, EntryData(official, day, start, end,
                                                            SLOT_MINUTES, CAPACITY))
            ops.submit(schedule, preparer)
            ops.approve(schedule, approver, acknowledge=True,
                        reason="Demo data: the other officials receive next month.")
            ops.publish(schedule, preparer)
            created.append(schedule)
    db.session.commit()
    return created
