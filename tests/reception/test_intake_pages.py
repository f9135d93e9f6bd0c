"""The registrar's and call-center desks, the appeal page and the worklist (R4, R25, R29)."""
import io
import re
from datetime import UTC, datetime

import pytest

from docflow.extensions import db
from docflow.reception.models import Appeal
from tests.api.test_appeals_api import IIN
from tests.conftest import csrf_token

PASSWORD = "demo-pass-2026"


def form_data(page_html: str, **over) -> dict:
    data = {"csrf_token": csrf_token(page_html), "channel": "paper",
            "received_date": "2026-11-25", "received_time": "10:30", "venue": "CRC-AST",
            "body": "MLSPP", "official": "", "kind": "individual", "iin": IIN, "bin": "",
            "organization": "", "last_name": "Сәрсенбаев", "first_name": "Ғалым",
            "patronymic": "", "citizenship": "KZ", "language": "kk", "phone": "+77011234567",
            "email": "", "address": "", "subject": "Жұмыс", "text": "Қабылдауға жазылу"}
    data.update(over)
    return data


@pytest.fixture
def registrar(client, demo, login):
    login("demo-registrar", PASSWORD)
    return client


@pytest.mark.usefixtures("writing_day")
def test_registrar_registers_a_paper_appeal_with_an_attachment(registrar):
    page = registrar.get("/intake/new?lang=en").get_data(True)
    data = form_data(page)
    data["attachments"] = [(io.BytesIO("Өтініш мәтіні".encode()), "өтініш.txt")]
    response = registrar.post("/intake/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 303, response.get_data(True)[:2000]
    appeal = db.session.execute(db.select(Appeal)).scalar_one()
    assert (appeal.channel, appeal.registration_number, appeal.responsible.login) == (
        "paper", "CRC-AST-2026-000001", "demo-responsible")
    assert appeal.owner.login == "demo-registrar"
    from docflow.engine.files import files_of
    assert [f.name for f in files_of(appeal)] == ["attachment-өтініш.txt"]
    html = registrar.get(response.headers["Location"] + "?lang=en").get_data(True)
    assert "CRC-AST-2026-000001" in html and "due in" in html


@pytest.mark.parametrize("over, message", [
    ({"iin": "850521300120"}, "check digit"),
    ({"citizenship": "XX"}, "ISO 3166"),
    ({"phone": ""}, "at least one way to reach"),
    ({"body": "NOPE"}, "No body with the code NOPE"),
    ({"received_date": "2031-01-06"}, "2031"),
])
def test_registrar_form_shows_the_error_next_to_the_field(registrar, over, message):
    page = registrar.get("/intake/new?lang=en").get_data(True)
    response = registrar.post("/intake/new?lang=en", data=form_data(page, **over))
    html = response.get_data(True)
    assert response.status_code == 200 and message in html, html[:3000]
    assert 'class="field-error"' in html
    assert db.session.execute(db.select(db.func.count(Appeal.id))).scalar() == 0


def test_an_exe_attachment_is_refused_and_nothing_is_saved(registrar):
    page = registrar.get("/intake/new?lang=en").get_data(True)
    data = form_data(page)
    data["attachments"] = [(io.BytesIO(b"MZ\x90\x00" + b"\x00" * 200), "scan.pdf")]
    response = registrar.post("/intake/new?lang=en", data=data, content_type="multipart/form-data")
    assert response.status_code == 200 and 'class="field-error"' in response.get_data(True)
    assert db.session.execute(db.select(db.func.count(Appeal.id))).scalar() == 0


@pytest.mark.parametrize("who, path, status", [
    ("demo-registrar", "/intake/call", 403),
    ("demo-call-center", "/intake/new", 403),
    ("demo-head", "/intake/new", 403),
    ("demo-call-center", "/intake/call", 200),
    ("demo-registrar", "/intake/new", 200),
])
def test_each_desk_is_for_its_role(client, demo, login, who, path, status):
    login(who, PASSWORD)
    assert client.get(path).status_code == status


def _field_value(html: str, name: str) -> str:
    return re.search(rf'name="{name}"[^>]*value="([^"]*)"', html).group(1)


def test_the_desk_fills_in_the_venues_date_and_time_of_receipt(client, demo, login, pin_clock,
                                                                 app, monkeypatch):
    """R25: an appeal is registered the day it arrives, and that day is the venue's. At 19:30 UTC
    the form already offers the next day in Almaty; a user with no venue of their own (the
    administrator) gets the configured VENUE_TIMEZONE."""
    pin_clock(datetime(2026, 11, 26, 19, 30, tzinfo=UTC))
    login("demo-registrar", PASSWORD)
    html = client.get("/intake/new").get_data(True)
    assert (_field_value(html, "received_date"), _field_value(html, "received_time")) == (
        "2026-11-27", "00:30")
    monkeypatch.setitem(app.config, "VENUE_TIMEZONE", "Asia/Tokyo")
    login("demo-admin", PASSWORD)
    html = client.get("/intake/new").get_data(True)
    assert (_field_value(html, "received_date"), _field_value(html, "received_time")) == (
        "2026-11-27", "04:30")

@pytest.mark.usefixtures("writing_day")
def test_worklist_counts_and_shows_working_days(client, demo, login):
    from docflow.reception.intake import IntakeSchema
    from docflow.reception.operations import register_appeal
    from tests.api.test_appeals_api import body
    for i, when in enumerate(["2026-01-12T10:00:00+05:00", "2026-11-25T10:00:00+05:00"]):
        register_appeal(IntakeSchema().load(body(external_id=f"W{i}", received_at=when)), None)
    db.session.commit()
    login("demo-responsible", PASSWORD)
    html = client.get("/worklist?lang=en").get_data(True)
    assert 'data-testid="counter-overdue">\n    Overdue <span class="count">1</span>' in html
    assert "overdue by" in html and "due in" in html
    only_overdue = client.get("/worklist?show=overdue&lang=en").get_data(True)
    assert "CRC-AST-2026-000001" in only_overdue and "CRC-AST-2026-000002" not in only_overdue


def test_redirect_from_the_appeal_page(client, demo, login):
    from docflow.reception.intake import IntakeSchema
    from docflow.reception.operations import register_appeal
    from tests.api.test_appeals_api import body
    appeal = register_appeal(IntakeSchema().load(body()), None).appeal
    db.session.commit()
    login("demo-responsible", PASSWORD)
    page = client.get(f"/appeals/{appeal.id}?lang=en").get_data(True)
    response = client.post(f"/appeals/{appeal.id}/transition?lang=en", data={
        "csrf_token": csrf_token(page), "transition": "redirect", "comment": "Денсаулық",
        "body": "MZ"})
    assert response.status_code == 303
    db.session.expire_all()
    assert (appeal.state, appeal.body.code) == ("redirected", "MZ")
