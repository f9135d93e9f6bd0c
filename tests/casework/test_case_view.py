"""The case view (issue 11) reads a case in a fixed number of statements, whatever it holds:
materials, documents and their versions, history by several people, helpers, invited bodies,
the reception (proposal, placement, record). A case with three of everything costs what a case
with one of each costs (no statement per row), and each section is still on the page."""
from datetime import date

import pytest
from flask import g
from sqlalchemy import event

from docflow.engine.files import add_file_version
from docflow.engine.workflow import transition
from docflow.extensions import db
from docflow.reception import briefs, materials, receptions, replies
from docflow.reception.deadlines import note
from docflow.reception.models import Appeal
from docflow.reference.models import Body
from tests.conftest import csrf_token

PASSWORD = "demo-pass-2026"

#: a case with every section: the user, the case's statement (with the header's inbox count),
#: the local grants, then one statement per section (history, files, materials, placement,
#: record, proposal, helpers, invitations)
CEILING_FULL = 11
#: a case just registered: the user, the case, the local grants, its history
CEILING_NEW = 4

ADDRESSEES = [("division", "MLSPP-SOC"), ("body", "AKIMAT-AST"), ("venue", "RR-MLSPP")]
HELPERS = ["legal_consultant", "psychologist", "social_worker"]


def build_case(case, schedule, users, size: int) -> Appeal:
    """An appeal through review, ``size`` material requests (to a division, a body, a venue),
    helpers, invited bodies, attachments of two versions each and notes by several people, the
    brief, the head's approval, the reply sent and the reception held."""
    entry = schedule.add(day=date(2026, 12, 10))
    appeal = case()
    resp, head = users["responsible"], users["head"]
    transition(appeal, "start_review", resp)
    for i in range(size):
        kind, code = ADDRESSEES[i % 3]
        req = materials.request_materials(appeal, resp, addressee_kind=kind,
                                          addressee_code=code, question=f"Сведения {i}",
                                          working_days=3)
        materials.waive(req, resp, f"Не нужно {i}")
        receptions.share_with_helper(appeal, users[HELPERS[i % 3]], resp)
        add_file_version(appeal, f"attachment-{i}", f"v1 {i}".encode(), resp,
                         filename=f"note-{i}.txt")
        add_file_version(appeal, f"attachment-{i}", f"v2 {i}".encode(), resp,
                         filename=f"note-{i}.txt")
        note(appeal, "comment", [resp, head, users["deputy"]][i % 3], f"Заметка {i}", {})
    for code in ["MZ", "AKIMAT-AST"][:size]:
        body = db.session.execute(db.select(Body).where(Body.code == code)).scalar_one()
        receptions.invite_body(appeal, body, f"вопрос {code}", resp)
    briefs.propose(appeal, resp, entry_id=entry.id)
    briefs.generate_brief(appeal, resp, "ru")
    transition(appeal, "submit_brief", resp)
    briefs.approve(appeal, head)
    replies.generate_reply(appeal, resp)
    replies.send_reply(appeal, resp, "post")
    receptions.record_held(appeal, resp, outcome="resolved", notes="ok",
                           tasks=[("Перезвонить", date(2026, 12, 20))])
    db.session.commit()
    return appeal


@pytest.fixture
def responsible(client, demo):
    page = client.get("/login")
    client.post("/login", data={"login": "demo-responsible", "password": PASSWORD,
                                "csrf_token": csrf_token(page.get_data(True))})
    client.get("/?lang=en")
    return client


def statements_of(client, url: str) -> tuple[int, str]:
    """GET ``url`` as production serves it, from a cold session (the test's app context, and
    so its session and ``g``, outlive a request here): the statements it ran, and the page."""
    db.session.commit()
    db.session.remove()
    for cached in ("docflow_calendar", "_engine_principals", "_login_user"):
        g.pop(cached, None)
    seen = []

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = client.get(url)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert response.status_code == 200, url
    return len(seen), response.get_data(True)


def test_a_full_case_in_a_fixed_number_of_statements(app, case, schedule, users, responsible):
    one = build_case(case, schedule, users, 1)
    three = build_case(case, schedule, users, 3)
    one_id, three_id = one.id, three.id
    statements_of(responsible, f"/appeals/{one_id}")  # the process's first calendar read
    n_one, _html = statements_of(responsible, f"/appeals/{one_id}")
    n_three, html = statements_of(responsible, f"/appeals/{three_id}")
    assert n_three == n_one <= CEILING_FULL, (n_one, n_three)
    # every section of the bigger case is on the page
    for text in ["Сведения 0", "Сведения 1", "Сведения 2",          # material requests
                 "Demo legal_consultant", "Demo psychologist",      # helpers
                 "Demo social_worker",
                 "Министерство здравоохранения", "Акимат города Астаны",  # invited bodies
                 'data-testid="reception"', 'data-testid="reception-record"',  # reception
                 "Перезвонить",                                     # follow-up task
                 "attachment-0", "attachment-2", "brief", "reply",  # documents
                 "Заметка 0", "Заметка 2", "Demo deputy", "Demo head",  # history and actors
                 "Dec 10, 2026"]:
        assert text in html, text
    assert html.count("<tr><td>") >= 3 + 8  # notes and transitions


def test_a_new_case_in_a_few_statements(app, case, responsible, users):
    from docflow.engine.rules import Notification

    url = f"/appeals/{case().id}"
    officer = users["responsible"].id
    statements_of(responsible, url)  # the process's first calendar read
    n, html = statements_of(responsible, url)
    assert n <= CEILING_NEW, n
    assert "No materials requested." in html and "No reception set yet." in html
    assert 'data-testid="inbox-link">Inbox</a>' in html  # nothing unread: no count
    for i in range(2):  # the header's count is read along with the case
        db.session.add(Notification(user_id=officer, text="t", key=f"k{i}"))
    n, html = statements_of(responsible, url)
    assert n <= CEILING_NEW and '<span class="count">2</span>' in html
    assert '<span class="count">2</span>' in responsible.get("/worklist").get_data(True)


def test_the_page_still_answers_404_and_audits_restricted_views(app, case, responsible,
                                                              users):
    """R11 through the new loader: an uncleared officer gets 404 for a restricted appeal, a
    cleared one sees it, and each view is audited."""
    from docflow.engine.audit import AuditEntry

    appeal = case()
    appeal.restricted = True
    db.session.commit()
    appeal_id = appeal.id
    assert responsible.get(f"/appeals/{appeal_id}").status_code == 404
    assert responsible.get("/appeals/987654321").status_code == 404
    page = responsible.get("/login")
    responsible.post("/logout", data={"csrf_token": csrf_token(
        responsible.get("/").get_data(True))})
    page = responsible.get("/login")
    responsible.post("/login", data={"login": "demo-registrar", "password": PASSWORD,
                                     "csrf_token": csrf_token(page.get_data(True))})
    before = db.session.execute(db.select(db.func.count(AuditEntry.id)).where(
        AuditEntry.item_id == appeal_id, AuditEntry.action == "view")).scalar()
    for _ in range(2):
        assert responsible.get(f"/appeals/{appeal_id}").status_code == 200
    after = db.session.execute(db.select(db.func.count(AuditEntry.id)).where(
        AuditEntry.item_id == appeal_id, AuditEntry.action == "view")).scalar()
    assert after == before + 2


def test_the_guards_answer_the_same_from_the_case_rows(app, case, schedule, users):
    """The page passes its rows to the transition guards (materials complete, brief attached,
    reply generated): they offer exactly what they offer reading for themselves, at each step."""
    from docflow.engine.workflow import allowed_transitions
    from docflow.reception.case import load_case

    entry = schedule.add(day=date(2026, 12, 10))
    appeal = case()
    resp, head = users["responsible"], users["head"]

    def same(user):
        db.session.flush()
        own = [t.id for t in allowed_transitions(appeal, user)]
        read = load_case(appeal.id, user)
        assert read is not None and read.appeal is appeal
        assert [t.id for t in allowed_transitions(appeal, user, data={"case": read})] == own
        return own

    transition(appeal, "start_review", resp)
    req = materials.request_materials(appeal, resp, addressee_kind="division",
                                      addressee_code="MLSPP-SOC", question="q", working_days=3)
    assert "submit_brief" not in same(resp)  # a required material is open, no brief
    briefs.propose(appeal, resp, entry_id=entry.id)
    briefs.generate_brief(appeal, resp, "ru")
    assert "submit_brief" not in same(resp)  # the brief, but the material is still open
    materials.waive(req, resp, "not needed")
    assert "submit_brief" in same(resp)
    transition(appeal, "submit_brief", resp)
    briefs.approve(appeal, head)
    assert "send_reply" not in same(resp)  # no reply letter yet
    replies.generate_reply(appeal, resp)
    assert "send_reply" in same(resp)
