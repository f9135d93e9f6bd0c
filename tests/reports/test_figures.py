"""The figures of Q1 2025 over the hand-built fixture (tests/reports/fixture.py), on SQLite and
PostgreSQL. Every expected number is a literal worked out from the fixture's description."""
import shutil
import sys
import types
from datetime import date

import pytest
from sqlalchemy import event, text

from docflow import create_app
from docflow.extensions import db
from docflow.reports import figures
from tests.conftest import _config
from tests.reports import fixture
from tests.reports.fixture import Q1, TODAY


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def built(request, tmp_path_factory):
    """The hand-built fixture, built once per database for the module: the tests that use it
    only read it (they compute figures). Built per test it cost 2.5-6.5 s a test."""
    folder = tmp_path_factory.mktemp("figures")
    if request.param == "sqlite":
        shutil.copyfile(request.getfixturevalue("_sqlite_schema"), folder / "test.sqlite3")
        app = create_app(_config(folder))
    else:
        app = create_app(_config(folder,
                                 SQLALCHEMY_DATABASE_URI=request.getfixturevalue("_pg_schema")))
    with app.app_context():
        yield fixture.build()
        db.session.remove()
        if request.param == "postgresql":  # as pg_app leaves the session's database
            tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
            with db.engine.begin() as conn:
                conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.engine.dispose()


def scope(built, venue=None, body=None, start=Q1[0], end=Q1[1]):
    return figures.Scope(start, end,
                         (built.venue[venue].id,) if venue else None,
                         (built.body[body].id,) if body else None, today=TODAY)


def test_appeals_and_registration(built):
    assert built.appeals == 260
    a = figures.appeals(scope(built, "CRC-AST", "MLSPP"))
    assert a["total"] == 200  # restricted ones (29) included: counts carry no personal data
    assert a["by_channel"] == {"egov_portal": 34, "e_appeals": 34, "paper": 33,
                               "hand_delivered": 33, "oral": 33, "call_center": 33}
    assert a["by_status"] == {"approved": 20, "brief_ready": 20, "closed": 20, "collecting": 20,
                              "consulted": 20, "held": 20, "in_review": 20, "notified": 20,
                              "registered": 40}


def test_appeals_all_scopes(built):
    everything = figures.appeals(scope(built))
    assert everything["total"] == 240
    assert everything["by_channel"] == {"egov_portal": 34, "e_appeals": 34, "paper": 63,
                                        "hand_delivered": 33, "oral": 43, "call_center": 33}
    v, b = built.venue, built.body
    assert everything["per_pair"] == {(v["CRC-AST"].id, b["MLSPP"].id): 200,
                                      (v["CRC-AST"].id, b["MZ"].id): 30,
                                      (v["RR-MLSPP"].id, b["MLSPP"].id): 10}
    assert figures.appeals(scope(built, "CRC-AST"))["total"] == 230
    assert figures.appeals(scope(built, body="MLSPP"))["total"] == 210
    reg = figures.registration(scope(built, "CRC-AST", "MLSPP"))
    assert (reg["total"], reg["same_day"], reg["late"], reg["rate"]) == (200, 120, 80, 0.6)
    venue = figures.registration(scope(built, "CRC-AST"))
    assert (venue["total"], venue["same_day"]) == (230, 150)
    every = figures.registration(scope(built))
    assert (every["total"], every["same_day"]) == (240, 160)


def test_deadlines_briefs_replies_materials(built):
    br = figures.briefs(scope(built, "CRC-AST", "MLSPP"))
    assert {k: br[k] for k in ("due", "on_time", "late", "overdue", "pending", "not_needed")} \
        == {"due": 140, "on_time": 60, "late": 20, "overdue": 40, "pending": 0, "not_needed": 20}
    assert br["rate"] == 0.5
    rep = figures.replies(scope(built, "CRC-AST", "MLSPP"))
    # group A (200 due) and group D (12 due 2025-01-15: 6 on time, 6 overdue)
    assert {k: rep[k] for k in ("due", "on_time", "late", "overdue", "pending", "not_needed")} \
        == {"due": 212, "on_time": 46, "late": 20, "overdue": 126, "pending": 0,
            "not_needed": 20}
    assert rep["rate"] == 0.2396  # 46 / (46 + 20 + 126)
    q2 = figures.replies(scope(built, "CRC-AST", "MLSPP", date(2025, 4, 1), date(2025, 6, 30)))
    assert (q2["due"], q2["pending"], q2["overdue"]) == (8, 8, 0)  # group E, due 2025-05-28
    every = figures.replies(scope(built))
    assert (every["due"], every["overdue"]) == (252, 166)
    mat = figures.materials(scope(built, "CRC-AST", "MLSPP"))
    assert {k: mat[k] for k in ("due", "answered_on_time", "answered_late", "overdue", "open",
                                "waived", "late_or_overdue")} == {
        "due": 35, "answered_on_time": 15, "answered_late": 10, "overdue": 5, "open": 0,
        "waived": 5, "late_or_overdue": 15}
    every = figures.materials(scope(built))
    assert (every["due"], every["overdue"]) == (38, 8)  # group B's three overdue requests


def test_receptions_per_official(built):
    rec = figures.receptions(scope(built, "CRC-AST", "MLSPP"))
    rows = {e["official"].code: e for e in rec["officials"]}
    assert sorted(rows) == ["MLSPP-DEP1", "MLSPP-MIN"]
    jan, feb, mar = date(2025, 1, 1), date(2025, 2, 1), date(2025, 3, 1)
    assert rows["MLSPP-MIN"]["by_month"] == {jan: 2, feb: 1, mar: 0}  # v1 superseded: not counted
    assert rows["MLSPP-DEP1"]["by_month"] == {jan: 1, feb: 1, mar: 2}
    assert rows["MLSPP-MIN"]["months_without"] == [mar]  # a room and a draft do not count
    assert rows["MLSPP-DEP1"]["months_without"] == []
    assert (rec["total"], rec["held"], rec["officials_meeting_r71"], rec["officials_counted"]) \
        == (7, 7, 1, 2)
    by_body = {e["official"].code: e["total"]
               for e in figures.receptions(scope(built, body="MLSPP"))["officials"]}
    assert by_body == {"MLSPP-MIN": 4, "MLSPP-DEP1": 4}  # + the room's 01-28
    held_by_feb = figures.receptions(figures.Scope(Q1[0], Q1[1], (built.venue["CRC-AST"].id,),
                                                   (built.body["MLSPP"].id,),
                                                   today=date(2025, 2, 15)))
    assert held_by_feb["held"] == 4  # MIN 01-15, 01-22, 02-12; DEP1 01-16

    # aggregates, not loops: the whole computation is a fixed number of statements
    count = {"n": 0}

    def on_execute(*args):
        count["n"] += 1

    engine = db.engine
    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        figures.compute(scope(built, "CRC-AST", "MLSPP"))
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
    assert count["n"] <= 16


def test_satisfaction_without_and_with_surveys(app, monkeypatch):
    monkeypatch.setitem(sys.modules, "docflow.surveys.stats", None)  # import fails
    assert figures.satisfaction(figures.Scope(*Q1, today=TODAY)) is None
    seen = {}

    def satisfaction(session, venue_ids=None, body_ids=None, start=None, end=None):
        seen.update(venue_ids=venue_ids, body_ids=body_ids, start=start, end=end)
        return {"start": start, "end": end, "venues": {},
                "total": {"called": 20, "reached": 17, "not_reached": 3, "response_rate": 0.85,
                          "average_score": 4.2, "scores": {}}}

    fake = types.ModuleType("docflow.surveys.stats")
    fake.satisfaction = satisfaction
    monkeypatch.setitem(sys.modules, "docflow.surveys", types.ModuleType("docflow.surveys"))
    monkeypatch.setitem(sys.modules, "docflow.surveys.stats", fake)
    got = figures.satisfaction(figures.Scope(*Q1, (3,), None, today=TODAY))
    assert got == {"called": 20, "reached": 17, "response_rate": 0.85, "average_score": 4.2}
    assert seen == {"venue_ids": (3,), "body_ids": None, "start": Q1[0], "end": Q1[1]}
