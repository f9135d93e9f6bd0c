"""Markup and template syntax typed by people stays text (issue 10): applicant names, subjects,
refusal reasons and officials' names holding ``<script>``, ``{{ 7*7 }}``, ``{% raw %}`` and an
``<img onerror>`` are shown as typed on the appeal page, the worklist, the search results, the
public schedule and in the generated reply letter and reference brief — never run, never
evaluated (no ``49``)."""
from datetime import date
from html import escape

import pytest
from flask_babel import force_locale

from docflow.engine.workflow import transition
from docflow.extensions import db
from docflow.reception import briefs, replies
from docflow.reception.intake import IntakeSchema
from docflow.reception.operations import register_appeal
from tests.api.test_appeals_api import body
from tests.conftest import csrf_token
from tests.documents.pdfcheck import pdf_text

SCRIPT = "<script>alert(1)</script>"
JINJA = "{{ 7*7 }}"
RAW = "{% raw %}"
IMG = "<img src=x onerror=alert(2)>"
PAYLOADS = (SCRIPT, JINJA, RAW, IMG)


def squash(s: str) -> str:
    return "".join(s.split())


def assert_inert_html(html: str, *payloads: str) -> None:
    for payload in payloads:
        assert payload not in html or payload in (JINJA, RAW), f"raw {payload!r} in the page"
        assert escape(payload, quote=False) in html or escape(payload) in html, \
            f"{payload!r} is not shown as typed"
    assert "<script>alert" not in html and "<img src=x" not in html


@pytest.fixture
def evil_appeal(demo):
    data = body(external_id="XSS-1", subject=f"{SCRIPT} {JINJA} {RAW} {IMG}",
                text=f"{JINJA} {SCRIPT}", applicant__last_name=f"{SCRIPT}{JINJA}",
                applicant__first_name=f"{IMG}{RAW}", applicant__language="ru")
    appeal = register_appeal(IntakeSchema().load(data), None).appeal
    db.session.commit()
    return appeal


def test_pages_show_markup_as_text(app, client, login, evil_appeal):
    login("demo-responsible", "demo-pass-2026")
    appeal = client.get(f"/appeals/{evil_appeal.id}?lang=en").get_data(True)
    assert_inert_html(appeal, *PAYLOADS)
    worklist = client.get("/worklist?lang=en").get_data(True)
    assert evil_appeal.registration_number in worklist
    assert_inert_html(worklist, f"{SCRIPT}{JINJA}")
    found = client.get("/search", query_string={"q": "alert", "lang": "en"}).get_data(True)
    assert evil_appeal.registration_number in found
    assert "<script>alert" not in found and "<img src=x" not in found
    # the query itself is echoed back inert too
    echoed = client.get("/search", query_string={"q": SCRIPT + JINJA}).get_data(True)
    assert SCRIPT not in echoed and escape(SCRIPT) + JINJA in echoed


def test_generated_letters_print_markup_as_text(app, evil_appeal, users_by_role):
    resp, head = users_by_role["responsible"], users_by_role["head"]
    with force_locale("en"):
        transition(evil_appeal, "start_review", resp)
        briefs.propose(evil_appeal, resp, refusal_reason=f"{JINJA} {SCRIPT}")
        brief = briefs.generate_brief(evil_appeal, resp, "ru")
        transition(evil_appeal, "submit_brief", resp)
        briefs.refuse(evil_appeal, head, f"{RAW} {IMG} {JINJA}")
        reply = replies.generate_reply(evil_appeal, resp)
        db.session.commit()
    from docflow.engine.files import read_version
    for version, expected in ((brief, (SCRIPT, JINJA, IMG)), (reply, (SCRIPT, JINJA, RAW, IMG))):
        text = squash(pdf_text(read_version(version)))
        for payload in expected:
            assert squash(payload) in text, f"{payload!r} missing from {version.file.name}"


def test_public_schedule_shows_an_officials_name_as_text(app, client, demo):
    from tests.schedules.conftest import World
    world = World()
    official = world.official("MLSPP-DEP1")
    official.last_name_kk = official.last_name_ru = SCRIPT + JINJA
    official.first_name_kk = official.first_name_ru = IMG + RAW
    db.session.commit()
    schedule = world.schedule("CRC-AST", [world.entry("MLSPP-DEP1", 10)], state="published",
                              month=date(2026, 12, 1))
    for lang in ("kk", "ru"):
        page = client.get(f"/schedules/CRC-AST/2026-12?lang={lang}").get_data(True)
        assert_inert_html(page, SCRIPT + JINJA, IMG + RAW)
    from docflow.schedules.jobs import render_poster
    render_poster(schedule.id)
    db.session.commit()
    poster = client.get("/schedules/CRC-AST/2026-12.pdf")
    assert poster.status_code == 200 and poster.mimetype == "application/pdf"
    assert squash(SCRIPT + JINJA) in squash(pdf_text(poster.get_data()))


@pytest.fixture
def users_by_role(demo):
    from docflow.auth.models import User
    return {u.login.removeprefix("demo-").replace("-", "_"): u
            for u in db.session.execute(db.select(User).where(User.login.like("demo-%"))).scalars()}


def test_a_form_echo_is_inert(app, client, login, demo):
    """An intake form sent back with errors shows what was typed, escaped."""
    login("demo-registrar", "demo-pass-2026")
    page = client.get("/intake/new?lang=en")
    response = client.post("/intake/new?lang=en", data={
        "csrf_token": csrf_token(page.get_data(True)), "subject": SCRIPT + JINJA,
        "last_name": IMG})
    html = response.get_data(True)
    assert response.status_code in (200, 422)
    assert SCRIPT not in html and IMG not in html
