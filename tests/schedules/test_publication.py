"""R8: the published schedule without login — HTML in kk and ru, JSON, iCalendar, the A4 poster
rendered by a worker job — and a change after publication as a new version (diff by key, the
old version kept, SEQUENCE up, UID stable)."""
import io
import json
from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from pypdf import PdfReader

from docflow.engine.files import files_of
from docflow.extensions import db
from docflow.jobs import OutboxJob, run_job
from docflow.reference.models import Official
from docflow.schedules import (
    affected_by_change,
    changes_since_previous,
    entry_slots,
    moved_or_removed,
    published_entries,
)
from docflow.schedules import operations as ops
from docflow.schedules.jobs import render_poster
from tests.conftest import csrf_token
from tests.schedules.conftest import MONTH, PASSWORD

KAZAKH = "әғқңөұүһі"
ALMATY = ZoneInfo("Asia/Almaty")


@pytest.fixture
def published(world):
    return world.schedule("CRC-AST", [
        world.entry("MLSPP-MIN", 1), world.entry("MLSPP-DEP1", 2, start=(15, 0), end=(17, 0)),
        world.entry("MZ-MIN", 3, slot=20, capacity=6),
        world.entry("MLSPP-DEP1", 4, start=(9, 0), end=(10, 0), capacity=2)], state="published")


def republish(world, schedule):
    """Version 2: MLSPP-MIN moved to 8 Dec, MZ-MIN unchanged, the 2 Dec entry removed, the
    4 Dec entry gets more places (same slots), MZ-MIN added on 9 Dec."""
    admin = world.user("admin")
    v2 = ops.new_version(schedule, admin)
    by_day = {e.date.day: e for e in v2.entries}
    ops.update_entry(by_day[1], admin, world.entry("MLSPP-MIN", 8))
    ops.remove_entry(by_day[2], admin)
    ops.update_entry(by_day[4], admin, world.entry("MLSPP-DEP1", 4, start=(9, 0),
                                                   end=(10, 30), capacity=3))
    ops.add_entry(v2, admin, world.entry("MZ-MIN", 9))
    ops.submit(v2, admin)
    ops.approve(v2, world.user("government_office"), acknowledge=True, reason="test")
    ops.publish(v2, admin)
    db.session.commit()
    return v2


def test_public_html_in_kazakh_by_default_and_in_russian(published, client, world):
    kk = client.get("/schedules/CRC-AST/2026-12")
    ru = client.get("/schedules/CRC-AST/2026-12?lang=ru")
    assert kk.status_code == ru.status_code == 200
    kk, ru = kk.get_data(True), ru.get_data(True)
    assert '<html lang="kk">' in kk and '<html lang="ru">' in ru
    for code in ("MLSPP-MIN", "MLSPP-DEP1", "MZ-MIN"):
        o = world.official(code)
        assert o.full_name("kk") in kk and o.position_kk in kk and o.body.name_kk in kk
        assert o.full_name("ru") in ru and o.body.name_ru in ru
        assert o.full_name("ru") not in kk
    # surname, name and patronymic when there is one (R8): the deputy has none
    assert "Сейітов Ерғали" in kk and "Әбілқасымова Әйгерім Нұрланқызы" in kk
    # times in the venue's zone, machine-readable with the offset
    assert 'datetime="2026-12-01T10:00:00+05:00"' in kk and ">10:00</time>–<time" in kk
    assert "@media print" in client.get("/static/css/schedules.css").get_data(True)


def test_json_for_the_websites(published, client):
    response = client.get("/schedules/CRC-AST/2026-12.json")
    assert response.status_code == 200 and response.is_json
    data = response.get_json()
    assert (data["month"], data["version"], data["venue"]["code"]) == ("2026-12", 1, "CRC-AST")
    assert len(data["entries"]) == 4
    first = data["entries"][0]
    assert first["official"]["full_name_kk"] == "Әбілқасымова Әйгерім Нұрланқызы"
    assert first["official"]["full_name_ru"] == "Абылкасымова Айгерим Нурлановна"
    assert first["body"]["code"] == "MLSPP" and first["sequence"] == 0
    assert (first["date"], first["start"], first["end"]) == ("2026-12-01", "10:00", "12:00")
    assert first["starts_at"] == "2026-12-01T10:00:00+05:00"
    assert data["entries"][1]["official"]["patronymic_kk"] is None


def parse_ics(client, url="/schedules/CRC-AST/2026-12.ics") -> Calendar:
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    return Calendar.from_ical(response.get_data())


def test_ics_one_event_per_entry_in_almaty_time(published, client):
    cal = parse_ics(client)
    events = cal.walk("VEVENT")
    assert len(events) == len(published.entries) == 4
    assert [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == ["Asia/Almaty"]
    first = min(events, key=lambda e: e.decoded("DTSTART"))
    assert first["DTSTART"].params["TZID"] == "Asia/Almaty"
    assert first.decoded("DTSTART") == datetime(2026, 12, 1, 10, tzinfo=ALMATY)
    assert first.decoded("DTEND") == datetime(2026, 12, 1, 12, tzinfo=ALMATY)
    assert str(first["UID"]).startswith(published.entries[0].key)
    assert "Әбілқасымова Әйгерім Нұрланқызы" in str(first["SUMMARY"])
    assert {int(e["SEQUENCE"]) for e in events} == {0}


def test_republishing_keeps_the_old_version_and_shows_the_change(world, published, client):
    old_keys = {e.date.day: e.key for e in published.entries}
    v2 = republish(world, published)
    db.session.expire_all()
    assert (published.state, v2.state, v2.number) == ("superseded", "published", 2)
    assert len(published.entries) == 4  # the old version is kept as it was
    changes = {(c.kind, (c.old or c.new).date.day) for c in changes_since_previous(v2)}
    assert changes == {("moved", 1), ("removed", 2), ("moved", 4), ("added", 9)}
    # case work: applicants placed on these entries need a new reply
    affected = {(c.kind, c.key) for c in moved_or_removed(v2)}
    assert affected == {("moved", old_keys[1]), ("removed", old_keys[2])}
    # the public pages show only the latest published version
    data = client.get("/schedules/CRC-AST/2026-12.json").get_json()
    assert data["version"] == 2
    assert sorted(int(e["date"][-2:]) for e in data["entries"]) == [3, 4, 8, 9]
    assert sorted(e.date.day for e in published_entries(v2.venue_id)) == [3, 4, 8, 9]


def test_the_staff_page_shows_the_diff(world, published, client, login):
    v2 = republish(world, published)
    login("demo-registrar", PASSWORD)
    html = client.get(f"/manage/schedules/{v2.id}").get_data(True)
    table = html.split('data-testid="changes"', 1)[1].split("</table>", 1)[0]
    assert table.count('class="change-moved"') == 2
    assert table.count('class="change-removed"') == 1 and table.count('class="change-added"') == 1
    old = client.get(f"/manage/schedules/{published.id}").get_data(True)
    assert "superseded" in old.lower() or "Superseded" in old or published.state == "superseded"


def test_ics_sequence_counts_changes_and_uid_is_stable(world, published, client):
    before = {str(e["UID"]): int(e["SEQUENCE"]) for e in parse_ics(client).walk("VEVENT")}
    v2 = republish(world, published)
    after = {str(e["UID"]): (int(e["SEQUENCE"]), e.decoded("DTSTART"))
             for e in parse_ics(client).walk("VEVENT")}
    key = {e.date.day: e.key for e in v2.entries}
    uid = {day: next(u for u in after if u.startswith(k)) for day, k in key.items()}
    assert after[uid[8]] == (1, datetime(2026, 12, 8, 10, tzinfo=ALMATY))  # moved from 1 Dec
    assert uid[8] in before  # the same UID as before the move: calendars update the event
    assert after[uid[3]][0] == 0 and after[uid[4]][0] == 1 and after[uid[9]][0] == 0
    assert len(after) == 4  # the removed entry is gone
    # a third version moving it again: SEQUENCE 2
    v3 = ops.new_version(v2, world.user("admin"))
    moved = next(e for e in v3.entries if e.key == key[8])
    ops.update_entry(moved, world.user("admin"), world.entry("MLSPP-MIN", 10))
    ops.submit(v3, world.user("admin"))
    ops.approve(v3, world.user("government_office"), acknowledge=True, reason="test")
    ops.publish(v3, world.user("admin"))
    db.session.commit()
    again = {str(e["UID"]): int(e["SEQUENCE"]) for e in parse_ics(client).walk("VEVENT")}
    assert again[uid[8]] == 2 and again[uid[3]] == 0


def test_slots_of_an_entry(world, published):
    entry = next(e for e in published.entries if e.official.code == "MZ-MIN")
    slots = entry_slots(entry)
    assert len(slots) == 6 and slots[0] == datetime(2026, 12, 3, 10, tzinfo=ALMATY)
    assert slots[1] - slots[0] == (slots[5] - slots[0]) / 5
    assert slots[-1].timetz() == time(11, 40, tzinfo=ALMATY)
    assert all(s.utcoffset().total_seconds() == 5 * 3600 for s in slots)


def test_published_entries_filters(world, published):
    venue_id = published.venue_id
    mz = world.official("MZ-MIN")
    assert [e.official_id for e in published_entries(venue_id, official_id=mz.id)] == [mz.id]
    assert {e.body.code for e in published_entries(venue_id, body_id=mz.body_id)} == {"MZ"}
    assert [e.date.day for e in published_entries(
        venue_id, date_from=published.month.replace(day=3))] == [3, 4]
    draft = world.schedule("RR-MLSPP", [world.entry("MLSPP-MIN", 7)])
    assert published_entries(draft.venue_id) == []


@pytest.mark.parametrize("change, affected", [
    ({}, False),
    ({"capacity": 4, "end": (12, 0)}, False),  # more places, the old slots remain
    ({"capacity": 2}, True),  # fewer places: the last slots are gone
    ({"day": 8}, True),
    ({"start": (10, 30), "end": (12, 0), "capacity": 3}, True),
    ({"slot": 20, "capacity": 3}, True),
    ({"code": "MLSPP-DEP1"}, True),
    (None, True),  # removed
])
def test_affected_by_change(world, change, affected):
    old = world.schedule("CRC-AST", [world.entry("MLSPP-MIN", 1, end=(11, 30), capacity=3)],
                         state="published")
    v2 = ops.new_version(old, world.user("admin"))
    new = v2.entries[0]
    if change is None:
        new = None
    elif change:
        change = {"end": (11, 30), "capacity": 3, **change}
        ops.update_entry(new, world.user("admin"), world.entry(
            change.pop("code", "MLSPP-MIN"), change.pop("day", 1), **change))
    assert affected_by_change(old.entries[0], new) is affected


def test_poster_rendered_by_the_job_with_both_languages(world, client):
    """The A4 poster read back: every official's full name in kk and ru, and the Kazakh
    letters (a deputy with һ in her names is added to the demo officials)."""
    db.session.add(Official(code="MZ-DEP1", body=world.official("MZ-MIN").body, rank="deputy",
                            last_name_kk="Шаһманова", first_name_kk="Күләш",
                            patronymic_kk="Һадиқызы", last_name_ru="Шахманова",
                            first_name_ru="Куляш", patronymic_ru="Хадиевна",
                            position_kk="Вице-министр", position_ru="Вице-министр"))
    month = MONTH.replace(month=11)
    schedule = world.schedule("CRC-AST", [
        world.entry(code, day, month=month) for code, day in
        (("MLSPP-MIN", 2), ("MLSPP-DEP1", 3), ("MZ-MIN", 4), ("MZ-DEP1", 5))],
        state="published", month=month)
    assert client.get("/schedules/CRC-AST/2026-11.pdf").status_code == 404  # not ready yet
    job = db.session.execute(db.select(OutboxJob).where(
        OutboxJob.key == f"poster:{schedule.id}")).scalar_one()
    assert (job.func, job.queue) == ("docflow.schedules.jobs.render_poster", "documents")
    assert run_job(job.id) == "done"
    response = client.get("/schedules/CRC-AST/2026-11.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages)
    text = " ".join(text.split())
    for code in ("MLSPP-MIN", "MLSPP-DEP1", "MZ-MIN", "MZ-DEP1"):
        o = world.official(code)
        assert o.full_name("kk") in text and o.full_name("ru") in text
    assert set(KAZAKH) <= set(text.lower())
    version = files_of(schedule)[0].versions[0]
    assert version.generated and set(version.meta) >= {"template_version", "data_hash"}


def test_poster_job_is_idempotent(world, published):
    first = render_poster(published.id)
    db.session.commit()
    again = render_poster(published.id)
    db.session.commit()
    assert first["status"] == "rendered" and again == {"status": "exists", "version": 1}
    assert [len(f.versions) for f in files_of(published)] == [1]


@pytest.mark.parametrize("url", [
    "/schedules/NOWHERE/2026-12", "/schedules/CRC-AST/2027-01", "/schedules/CRC-AST/2026-13",
    "/schedules/CRC-AST/2026-1", "/schedules/CRC-AST/december", "/schedules/CRC-AST/0000-00",
    "/schedules/CRC-AST/2026-12.xml", "/schedules/RR-MLSPP/2026-12.json",
    "/schedules/RR-MLSPP/2026-12.ics", "/schedules/NOWHERE/2026-12.pdf",
])
def test_unknown_malformed_or_unpublished_is_404(world, published, client, url):
    world.schedule("RR-MLSPP", [world.entry("MLSPP-MIN", 7)], state="approved")  # not published
    assert client.get(url).status_code == 404


def test_the_poster_404_says_it_is_being_prepared(published, client):
    response = client.get("/schedules/CRC-AST/2026-12.pdf?lang=en",
                          headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert "being prepared" in json.dumps(response.get_json())


def test_publishing_from_the_engines_item_page_does_the_same(world, published, client, login):
    """Publishing through /items/<uid>/transition supersedes the old version and enqueues the
    poster too: the side effects follow the transition, not the page it was fired from."""
    admin = world.user("admin")
    v2 = ops.new_version(published, admin)
    ops.submit(v2, admin)
    ops.approve(v2, world.user("government_office"), acknowledge=True, reason="test")
    db.session.commit()
    login("demo-admin", PASSWORD)
    page = client.get(f"/items/{v2.uid}")
    assert page.status_code == 200
    client.post(f"/items/{v2.uid}/transition", data={
        "transition": "publish", "csrf_token": csrf_token(page.get_data(True))})
    db.session.expire_all()
    assert (published.state, v2.state) == ("superseded", "published")
    assert db.session.execute(db.select(OutboxJob).where(
        OutboxJob.key == f"poster:{v2.id}")).scalar_one()
