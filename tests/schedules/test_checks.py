"""Each clash rule refuses the entry with a message on the field it concerns; nothing is saved."""
from datetime import time

import pytest

from docflow.extensions import db
from docflow.schedules import operations as ops
from docflow.schedules.checks import EntryError
from docflow.schedules.models import ScheduleEntry
from tests.conftest import csrf_token
from tests.schedules.conftest import PASSWORD


def count_entries() -> int:
    return db.session.execute(db.select(db.func.count(ScheduleEntry.id))).scalar_one()


# (case, venue, the entry's changes from a valid 10:00-12:00, 4 x 30 min on Tue 1 Dec, field)
CLASHES = [
    ("end before start", "CRC-AST", dict(start=(11, 0), end=(10, 0)), "end"),
    ("end equals start", "CRC-AST", dict(start=(11, 0), end=(11, 0)), "end"),
    ("public holiday (16 Dec)", "CRC-AST", dict(day=16), "date"),
    ("weekend (Sat 5 Dec)", "CRC-AST", dict(day=5), "date"),
    ("before opening (9:00)", "CRC-AST", dict(start=(8, 0), end=(10, 0)), "start"),
    ("after closing (18:30)", "CRC-AST", dict(start=(17, 0), end=(19, 0)), "end"),
    ("over the lunch break", "CRC-AST", dict(start=(12, 30), end=(13, 30), capacity=2), "start"),
    ("inside the lunch break", "CRC-AST", dict(start=(13, 30), end=(14, 0), capacity=1), "start"),
    ("more applicants than time", "CRC-AST", dict(capacity=5), "capacity"),
    ("longer slots than time", "CRC-AST", dict(slot=45, capacity=3), "capacity"),
    ("another body's official in a room", "RR-MLSPP", dict(code="MZ-MIN"), "official"),
]


@pytest.mark.parametrize("case, venue, change, field", CLASHES, ids=[c[0] for c in CLASHES])
def test_rule_refuses_with_field(world, case, venue, change, field):
    schedule = world.schedule(venue)
    data = world.entry(change.pop("code", "MLSPP-MIN"), change.pop("day", 1), **change)
    before = count_entries()
    with pytest.raises(EntryError) as refused:
        ops.add_entry(schedule, world.user("admin"), data)
    db.session.rollback()
    assert field in refused.value.errors, refused.value.errors
    assert count_entries() == before


def test_a_valid_entry_is_saved(world):
    schedule = world.schedule("CRC-AST")
    ops.add_entry(schedule, world.user("admin"), world.entry("MLSPP-MIN", 1, capacity=4))
    db.session.commit()
    assert [e.official.code for e in schedule.entries] == ["MLSPP-MIN"]


@pytest.mark.parametrize("where, state, times, clash", [
    ("same schedule", None, ((11, 0), (12, 0)), True),
    ("same schedule", None, ((12, 0), (13, 0)), False),  # back to back is fine
    ("room", "published", ((11, 30), (12, 30)), True),
    ("room", "draft", ((9, 0), (10, 30)), True),  # a version in preparation counts too
    ("room", "published", ((15, 0), (16, 0)), False),  # the same day, other hours
])
def test_official_in_two_places(world, where, state, times, clash):
    """An official cannot receive in two places at once: within this schedule, or against any
    venue's current version of the month. The center's entry is 10:00-12:00 on 1 December."""
    other = world.entry("MLSPP-MIN", 1, start=times[0], end=times[1], capacity=2)
    if where == "same schedule":
        schedule = world.schedule("CRC-AST", [world.entry("MLSPP-MIN", 1)])
        data = other
    else:
        world.schedule("RR-MLSPP", [other], state=state)
        schedule = world.schedule("CRC-AST")
        data = world.entry("MLSPP-MIN", 1)
    if clash:
        with pytest.raises(EntryError) as refused:
            ops.add_entry(schedule, world.user("admin"), data)
        message = refused.value.errors["official"][0]  # names who, and when they are busy
        busy = (10, 0) if where == "same schedule" else times[0]
        assert data.official.full_name() in message and f"{busy[0]:02d}:{busy[1]:02d}" in message
    else:
        ops.add_entry(schedule, world.user("admin"), data)
        db.session.commit()
        assert len(schedule.entries) == (2 if where == "same schedule" else 1)


def test_superseded_versions_do_not_clash(world):
    """Only the current version of another venue counts: a moved entry frees its old time."""
    room = world.schedule("RR-MLSPP", [world.entry("MLSPP-MIN", 1)], state="published")
    v2 = ops.new_version(room, world.user("admin"))
    ops.update_entry(v2.entries[0], world.user("admin"), world.entry("MLSPP-MIN", 2))
    center = world.schedule("CRC-AST")
    ops.add_entry(center, world.user("admin"), world.entry("MLSPP-MIN", 1))  # v2 moved away


def test_editing_an_entry_does_not_clash_with_itself(world):
    schedule = world.schedule("CRC-AST", [world.entry("MLSPP-MIN", 1)])
    ops.update_entry(schedule.entries[0], world.user("admin"),
                     world.entry("MLSPP-MIN", 1, start=(10, 30), end=(12, 0), capacity=3))
    db.session.commit()
    assert schedule.entries[0].start == time(10, 30)


@pytest.mark.parametrize("form, field, message", [
    ({"official": "MLSPP-MIN", "date": "2026-12-16", "start": "10:00", "end": "12:00"},
     "date", "not a working day"),
    ({"official": "MLSPP-MIN", "date": "2026-12-01", "start": "12:30", "end": "13:30",
      "capacity": "2"}, "start", "lunch break"),
    ({"official": "NOBODY", "date": "2026-12-01", "start": "10:00", "end": "12:00"},
     "official", "There is no official"),
    ({"official": "MLSPP-MIN", "date": "1 Dec", "start": "10:00", "end": "12:00"},
     "date", "date"),
    ({"official": "MLSPP-MIN", "date": "2026-12-01", "start": "ten", "end": "12:00"},
     "start", "time"),
    ({"official": "MLSPP-MIN", "date": "2026-12-01", "start": "10:00", "end": "12:00",
      "capacity": "many"}, "capacity", "integer"),
])
def test_the_form_names_the_field_and_saves_nothing(world, client, login, form, field,
                                                    message):
    schedule = world.schedule("CRC-AST")
    login("demo-registrar", PASSWORD)
    page = client.get(f"/manage/schedules/{schedule.id}?lang=en")
    assert page.status_code == 200 and 'list="officials"' in page.get_data(True)
    data = {"slot_minutes": "30", "capacity": "4", **form,
            "csrf_token": csrf_token(page.get_data(True))}
    response = client.post(f"/manage/schedules/{schedule.id}/entries", data=data)
    html = response.get_data(True)
    assert response.status_code == 422
    error = html.split(f'id="{field}-error">', 1)[1].split("</p>", 1)[0]
    assert message.lower() in error.lower()
    assert count_entries() == 0


def test_the_form_adds_edits_and_removes(world, client, login):
    schedule = world.schedule("CRC-AST")
    login("demo-registrar", PASSWORD)
    token = csrf_token(client.get(f"/manage/schedules/{schedule.id}").get_data(True))
    added = client.post(f"/manage/schedules/{schedule.id}/entries", data={
        "csrf_token": token, "official": "MZ-MIN", "date": "2026-12-02", "start": "10:00",
        "end": "12:00", "slot_minutes": "20", "capacity": "6"})
    assert added.status_code == 303
    entry = db.session.execute(db.select(ScheduleEntry)).scalar_one()
    key = entry.key
    url = f"/manage/schedules/{schedule.id}/entries/{entry.id}"
    assert 'value="MZ-MIN"' in client.get(url).get_data(True)
    changed = client.post(url, data={
        "csrf_token": token, "official": "MZ-MIN", "date": "2026-12-03", "start": "15:00",
        "end": "17:00", "slot_minutes": "20", "capacity": "6"})
    assert changed.status_code == 303
    db.session.expire_all()
    entry = db.session.execute(db.select(ScheduleEntry)).scalar_one()
    assert (entry.date.day, entry.start, entry.key) == (3, time(15), key)
    removed = client.post(f"{url}/delete", data={"csrf_token": token})
    assert removed.status_code == 303 and count_entries() == 0
