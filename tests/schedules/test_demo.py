"""The demo loader: published schedules for each demo venue this month and next, one reception
per demo official (the room only for its body's officials), every entry keeping the rules."""
from datetime import date

from docflow.extensions import db
from docflow.schedules import published_schedule, r71_gaps
from docflow.schedules.checks import EntryData, check_entry
from docflow.schedules.demo import load_demo_schedules
from docflow.schedules.models import Schedule


def test_demo_schedules(world):
    created = load_demo_schedules(date(2026, 11, 26))
    assert len(created) == 4
    assert load_demo_schedules(date(2026, 11, 26)) == []  # idempotent
    assert db.session.execute(db.select(db.func.count(Schedule.id))).scalar_one() == 4
    for code in ("CRC-AST", "RR-MLSPP"):
        for month in (date(2026, 11, 1), date(2026, 12, 1)):
            schedule = published_schedule(world.venue(code).id, month)
            assert schedule is not None and schedule.entries
            for e in schedule.entries:
                # each entry still passes every rule (working day, hours, lunch, no clash)
                check_entry(schedule, EntryData(e.official, e.date, e.start, e.end,
                                                e.slot_minutes, e.capacity), entry=e)
            bodies = {e.body.code for e in schedule.entries}
            if code == "RR-MLSPP":
                assert bodies == {"MLSPP"}
            else:
                assert bodies == {"MLSPP", "MZ"}  # central bodies only (R2-1)
        assert r71_gaps(date(2026, 12, 1)) == []
