"""Case work fixtures: demo data, appeals registered through intake, users per role, and a
published schedule served through receptions.schedule_source (docflow.schedules' interface:
published_entries, entry_slots) — a small stand-in while the schedules area is being built."""
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from docflow.auth.operations import create_user
from docflow.extensions import db
from docflow.reception import receptions
from docflow.reception.intake import IntakeSchema
from docflow.reception.operations import register_appeal
from docflow.reference.models import Body, Official, Venue
from tests.api.test_appeals_api import body as intake_body

ALMATY = ZoneInfo("Asia/Almaty")


@dataclass
class Entry:
    id: int
    venue_id: int
    body_id: int
    official_id: int | None
    date: date
    start: time = time(10, 0)
    end: time = time(11, 0)
    slot_minutes: int = 20
    capacity: int | None = None
    key: str = field(default="")


class Schedule:
    """Published entries in memory, answering the calls docflow.schedules offers."""

    def __init__(self):
        self.entries: list[Entry] = []

    def add(self, venue_code="CRC-AST", body_code="MLSPP", official_code="MLSPP-DEP1", *,
            day: date, start=time(10, 0), end=time(11, 0), slot_minutes=20, capacity=None):
        venue = db.session.execute(db.select(Venue).where(Venue.code == venue_code)).scalar_one()
        body = db.session.execute(db.select(Body).where(Body.code == body_code)).scalar_one()
        official = db.session.execute(db.select(Official).where(
            Official.code == official_code)).scalar()
        entry = Entry(len(self.entries) + 101, venue.id, body.id,
                      official.id if official else None, day, start, end, slot_minutes,
                      capacity, key=f"E{len(self.entries) + 1}")
        self.entries.append(entry)
        return entry

    def published_entries(self, venue_id, *, official_id=None, body_id=None, date_from=None):
        return sorted((e for e in self.entries if e.venue_id == venue_id
                       and (official_id is None or e.official_id == official_id)
                       and (body_id is None or e.body_id == body_id)
                       and (date_from is None or e.date >= date_from)),
                      key=lambda e: (e.date, e.start, e.id))

    def entry_slots(self, entry):
        at = datetime.combine(entry.date, entry.start, ALMATY)
        end = datetime.combine(entry.date, entry.end, ALMATY)
        out = []
        while at < end:
            out.append(at)
            at += timedelta(minutes=entry.slot_minutes)
        return out


@pytest.fixture(autouse=True)
def thursday(writing_day):
    """These cases are written for Thursday 26 November 2026 (appeals received on the 25th,
    receptions in December): a due date in working days counts from it, on whatever day the
    tests run (tests/conftest.py's writing_day)."""
    return writing_day


@pytest.fixture
def schedule(monkeypatch):
    fake = Schedule()
    monkeypatch.setattr(receptions, "schedule_source", fake)
    return fake


@pytest.fixture
def case(demo):
    """A factory: register an appeal through intake (the responsible employee is assigned)."""
    counter = iter(range(1, 10_000))

    def make(received_at="2026-11-25T10:15:00+05:00", **over):
        over = {"external_id": f"CW-{next(counter)}", **over}
        data = intake_body(received_at=received_at, **over)
        appeal = register_appeal(IntakeSchema().load(data), None).appeal
        db.session.commit()
        return appeal
    return make


@pytest.fixture
def users(demo):
    """demo-<role> users by role id."""
    from docflow.auth.models import User
    return {u.login.removeprefix("demo-").replace("-", "_"): u
            for u in db.session.execute(db.select(User).where(User.login.like("demo-%"))).scalars()}


@pytest.fixture
def mz_other_body(demo):
    user = create_user("mz-rep", "other_body", body_code="MZ", password="secret-pass-1",
                       full_name="MZ Representative", email="rep@mz.test")
    db.session.commit()
    return user


@pytest.fixture(autouse=True)
def english(request):
    """Messages raised outside a request (operations called directly) read in English here;
    outside a request the locale is otherwise the state language."""
    from flask_babel import force_locale
    request.getfixturevalue("pg_app" if "pg_app" in request.fixturenames else "app")
    with force_locale("en"):
        yield
