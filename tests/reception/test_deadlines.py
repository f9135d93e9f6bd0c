"""A calendar change moves the open deadlines it affects, and each case history says why."""
from datetime import date

import pytest

from docflow.engine.audit import AuditEntry
from docflow.engine.workflow import history, replay
from docflow.extensions import db
from docflow.reception.deadlines import change_calendar_day
from docflow.reception.intake import IntakeSchema
from docflow.reception.operations import register_appeal
from tests.api.test_appeals_api import body
from tests.conftest import csrf_token


def _register(external_id, received_at):
    appeal = register_appeal(IntakeSchema().load(
        body(external_id=external_id, received_at=received_at)), None).appeal
    db.session.commit()
    return appeal


def test_adding_a_day_off_moves_an_open_reply_due_with_a_history_row(db_app, demo):
    inside = _register("IN", "2026-11-16T10:00:00+05:00")   # window 17 Nov .. 7 Dec
    later = _register("LATER", "2026-11-25T10:00:00+05:00")  # registered after the day
    assert (inside.reply_due, later.reply_due) == (date(2026, 12, 7), date(2026, 12, 17))
    moved = change_calendar_day(date(2026, 11, 20), False, "Order No. 1 (test)", None)
    db.session.commit()
    assert [a.id for a in moved] == [inside.id]
    assert inside.reply_due == date(2026, 12, 8)
    assert later.reply_due == date(2026, 12, 17)  # untouched
    row = history(inside)[-1]
    assert row.transition == "deadline_recomputed" and "2026-12-07" in row.comment \
        and "2026-12-08" in row.comment and "Order No. 1" in row.comment
    assert replay(inside) == inside.state  # a note leaves the state alone
    assert db.session.execute(db.select(AuditEntry).where(
        AuditEntry.action == "calendar_changed")).scalar() is not None


def test_making_a_day_working_brings_the_deadline_back(db_app, demo):
    appeal = _register("X", "2026-11-25T10:00:00+05:00")
    change_calendar_day(date(2026, 12, 16), True, "Independence Day worked (test)", None)
    db.session.commit()
    assert appeal.reply_due == date(2026, 12, 16)


def test_calendar_page_is_for_admins_and_saves(client, demo, login):
    login("demo-registrar", "demo-pass-2026")
    assert client.get("/admin/calendar/").status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/").get_data(True))})
    login("demo-admin", "demo-pass-2026")
    page = client.get("/admin/calendar/?lang=en").get_data(True)
    response = client.post("/admin/calendar/?lang=en", data={
        "csrf_token": csrf_token(page), "day": "2031-01-05", "working": "0", "reason": "x"})
    assert "2031" in response.get_data(True)  # no data for 2031: refused on the field
    response = client.post("/admin/calendar/", data={
        "csrf_token": csrf_token(page), "day": "2026-12-04", "working": "0",
        "reason": "Order (test)"})
    assert response.status_code == 303
    assert "Order (test)" in client.get("/admin/calendar/").get_data(True)


@pytest.mark.parametrize("password, action", [("demo-pass-2026", "sign_in"),
                                              ("wrong", "sign_in_failed")])
def test_sign_ins_are_audited(client, demo, login, password, action):
    login("demo-head", password)
    entry = db.session.execute(db.select(AuditEntry).order_by(AuditEntry.id.desc())).scalar()
    assert entry.action == action and entry.detail["login"] == "demo-head"
