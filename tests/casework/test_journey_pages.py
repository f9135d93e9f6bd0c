"""One appeal through the case-work pages, each role signed in with its own session (R17, R18,
R26-R31): review, a material request answered by the division, the brief proposed and generated,
the head's approval on the brief page, the reply generated and sent, the reception held."""
from datetime import date

import pytest

from docflow.engine.files import files_of
from docflow.extensions import db
from docflow.i18n import local_today
from docflow.reception.materials import requests_of
from docflow.reception.models import Appeal
from tests.conftest import csrf_token

PASSWORD = "demo-pass-2026"


@pytest.fixture
def signed_in(client, demo):
    """Sign out whoever is signed in and sign ``login`` in (one browser, as at a shared desk:
    the test app context, and so ``g``, is shared by every request of the test)."""
    def sign_in(login):
        page = client.get("/login")
        if page.status_code != 200:  # someone is signed in
            client.post("/logout", data={
                "csrf_token": csrf_token(client.get("/").get_data(True))})
            page = client.get("/login")
        client.post("/login", data={"login": login, "password": PASSWORD,
                                    "csrf_token": csrf_token(page.get_data(True))})
        return client
    return sign_in


def post(client, url, page_url, **data):
    token = csrf_token(client.get(page_url).get_data(True))
    return client.post(url, data={"csrf_token": token, **data})


def test_case_work_through_the_pages(app, case, schedule, signed_in):
    entry = schedule.add(day=date(2026, 12, 10))
    appeal = case(channel="call_center", external_id=None)
    page = f"/appeals/{appeal.id}"
    brief = f"{page}/brief"

    resp = signed_in("demo-responsible")
    resp.get("/?lang=en")  # messages below are read in English
    assert post(resp, f"{page}/transition", page, transition="start_review").status_code == 303
    answer = post(resp, f"{page}/materials", page, **{
        "m-addressee_kind": "division", "m-addressee_code": "MLSPP-SOC",
        "m-question": "Сведения о выплатах", "m-working_days": "3", "m-required": "y"})
    assert answer.status_code == 303
    bad = post(resp, f"{page}/materials", page, **{
        "m-addressee_kind": "division", "m-addressee_code": "NOPE", "m-question": "x",
        "m-working_days": "3"})
    assert bad.status_code == 303
    assert "addressee: No addressee with the code NOPE" in resp.get(page).get_data(True)
    (req,) = requests_of(appeal)
    assert post(resp, f"{page}/helpers", page, **{"s-login": "demo-legal-consultant"}
                ).status_code == 303

    division = signed_in("demo-division")
    assert division.get(page).status_code == 404  # the division sees the request, not the case
    assert post(division, f"/materials/{req.id}", f"/materials/{req.id}",
                text="Выплаты назначены").status_code == 303

    helper = signed_in("demo-legal-consultant")
    from io import BytesIO
    token = csrf_token(helper.get(page).get_data(True))
    attached = helper.post(f"{page}/helper-files", data={
        "csrf_token": token, "h-kind": "additional_appeal",
        "h-files": (BytesIO(b"Additional appeal draft"), "draft.txt")},
        content_type="multipart/form-data")
    assert attached.status_code == 303

    resp = signed_in("demo-responsible")
    assert post(resp, f"{brief}/proposal", brief, **{"p-entry_id": str(entry.id)}
                ).status_code == 303
    assert post(resp, f"{brief}/generate", brief, language="ru").status_code == 303
    assert post(resp, f"{page}/transition", page, transition="submit_brief").status_code == 303
    db.session.expire_all()
    assert db.session.get(Appeal, appeal.id).state == "brief_ready"

    head = signed_in("demo-head")
    html = head.get(brief).get_data(True)
    assert 'data-testid="decision-form"' in html and "Dec 10, 2026 10:00" in html
    assert post(head, f"{brief}/decision", brief, **{
        "dec-decision": "approve", "dec-entry_id": str(entry.id)}).status_code == 303

    resp = signed_in("demo-responsible")
    assert post(resp, f"{page}/reply", page).status_code == 303
    assert post(resp, f"{page}/reply/send", page, **{"r-via": "post"}).status_code == 303
    assert 'data-testid="reception"' in resp.get(page).get_data(True)
    assert post(resp, f"{page}/reception", page, **{
        "held-attended": "yes", "held-outcome": "resolved", "held-notes": "Explained",
        "held-task": "Call back", "held-task_due": "2026-12-15"}).status_code == 303
    db.session.expire_all()
    appeal = db.session.get(Appeal, appeal.id)
    assert appeal.state == "held" and appeal.replied_on == local_today()
    names = {f.name for f in files_of(appeal)}
    assert {"brief", "reply", "additional-appeal-draft.txt"} <= names
    html = resp.get(page).get_data(True)
    assert 'data-testid="reception-record"' in html and "Call back" in html


def test_a_refused_action_is_a_message_not_an_error(app, case, schedule, signed_in):
    appeal = case()
    page = f"/appeals/{appeal.id}"
    head = signed_in("demo-head")
    for url, data in [(f"{page}/brief/decision", {"dec-decision": "approve",
                                                   "dec-entry_id": "12345"}),
                      (f"{page}/deadline", {"d-kind": "extend", "d-working_days": "99",
                                            "d-reason": ""}),
                      (f"{page}/deadline", {"d-kind": "extend", "d-working_days": "2",
                                            "d-reason": "Waiting for MZ"})]:
        response = post(head, url, page, **data)
        assert response.status_code in (303, 403), url
    db.session.expire_all()
    moved = db.session.get(Appeal, appeal.id)
    assert moved.reply_due == date(2026, 12, 21)  # only the valid change: 17 Dec + 2
    assert head.get("/delegations").status_code == 200
    registrar = signed_in("demo-registrar")
    assert post(registrar, f"{page}/brief/generate", page).status_code == 403
    assert post(registrar, f"{page}/reply", page).status_code == 403
    assert registrar.get("/delegations").status_code == 403
