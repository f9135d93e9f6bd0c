"""The full path of one appeal as function calls (R25-R31, R17, R18): review, materials, brief,
the head's decision, queue, reply in kk and ru, reception held — the PDFs read back."""
import io
from datetime import date, datetime

import pytest
from pypdf import PdfReader

from docflow.engine.errors import ConditionRefused
from docflow.engine.files import files_of, read_version
from docflow.engine.workflow import history, replay, transition
from docflow.extensions import db
from docflow.i18n import local_today
from docflow.jobs.models import OutboxJob
from docflow.reception import briefs, materials, receptions, replies


def text_of(version) -> str:
    reader = PdfReader(io.BytesIO(read_version(version)))
    return " ".join(page.extract_text() for page in reader.pages)


def squash(s: str) -> str:
    return "".join(s.split())


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_intake_to_held_reception(app, schedule, case, users, mz_other_body, language):
    entry = schedule.add(day=date(2026, 12, 10))
    appeal = case(applicant__language=language, applicant__email="a@example.test")
    resp, head = users["responsible"], users["head"]
    assert appeal.responsible_id == resp.id

    transition(appeal, "start_review", resp)
    req = materials.request_materials(appeal, resp, addressee_kind="division",
                                      addressee_code="MLSPP-SOC", question="Социальные выплаты",
                                      working_days=3)
    assert appeal.state == "collecting" and req.due_on == date(2026, 12, 1)
    receptions.share_with_helper(appeal, users["legal_consultant"], resp)
    receptions.invite_body(appeal, mz_other_body.roles[0].body, "лечение", resp)
    db.session.commit()

    briefs.propose(appeal, resp, entry_id=entry.id)
    briefs.generate_brief(appeal, resp, language)
    with pytest.raises(ConditionRefused, match="required material"):
        transition(appeal, "submit_brief", resp)
    materials.answer_request(req, users["division"], "Выплаты назначены",
                             files=[("spravka.txt", "Справка о выплатах".encode())])
    brief = briefs.generate_brief(appeal, resp, language)
    transition(appeal, "submit_brief", resp)
    assert briefs.brief_due(appeal) == date(2026, 12, 3)  # 10 Dec minus 5 working days (R26)
    text = squash(text_of(brief))
    assert squash(appeal.registration_number) in text and squash("Социальные выплаты") in text
    assert brief.meta["template_version"] and brief.meta["data_hash"] and brief.generated

    briefs.approve(appeal, head)
    assert appeal.state == "approved"
    where = receptions.reception_of(appeal)
    assert (where["date"], where["time"]) == (date(2026, 12, 10), "10:00")
    reply = replies.generate_reply(appeal, resp)
    replies.send_reply(appeal, resp, "email")
    db.session.commit()
    assert appeal.state == "notified" and appeal.replied_on == local_today()
    assert not replies.is_late(appeal)
    letter = squash(text_of(reply))
    assert squash(appeal.registration_number) in letter and "10.12.2026" in letter \
        and "10:00" in letter
    assert squash(appeal.official.full_name(language) if appeal.official else
                  where["official"].full_name(language)) in letter
    job = db.session.execute(db.select(OutboxJob).where(
        OutboxJob.func == "docflow.reception.replies.email_reply")).scalar_one()
    assert job.args == [appeal.id, reply.id]

    record = receptions.record_held(appeal, resp, outcome="under_control", notes="ok",
                                    tasks=[("Check the payment", date(2026, 12, 20))])
    db.session.commit()
    assert appeal.state == "held" and record.tasks[0].due_on == date(2026, 12, 20)
    kinds = {p["kind"] for p in record.participants}
    assert kinds == {"official", "body", "helper"}
    assert replay(appeal) == "held"
    assert {"brief", "reply"} <= {f.name for f in files_of(appeal)}


def test_refusal_letter_states_the_reason_and_never_a_date(app, schedule, case, users):
    schedule.add(day=date(2026, 12, 10))
    appeal = case(applicant__language="ru")
    resp, head = users["responsible"], users["head"]
    transition(appeal, "start_review", resp)
    briefs.propose(appeal, resp, refusal_reason="Вопрос решён в суде")
    briefs.generate_brief(appeal, resp, "ru")
    transition(appeal, "submit_brief", resp)
    briefs.refuse(appeal, head, "Вопрос рассмотрен судом, решение вступило в силу")
    version = replies.generate_reply(appeal, resp)
    replies.send_reply(appeal, resp, "post")
    db.session.commit()
    assert appeal.state == "closed" and version.meta["decision"] == "refusal"
    text = text_of(version)
    assert "судом" in text
    assert "10.12.2026" not in text and "10:00" not in text
    assert receptions.reception_of(appeal) is None


def test_reply_after_reply_due_is_late_everywhere(app, schedule, case, users, client, login):
    from docflow.reception.models import Appeal
    from docflow.reception.queries import deadlines, late_reply_clause
    schedule.add(day=date(2026, 12, 10))
    appeal = case()
    resp, head = users["responsible"], users["head"]
    transition(appeal, "start_review", resp)
    briefs.propose(appeal, resp, refusal_reason="нет оснований")
    briefs.generate_brief(appeal, resp)
    transition(appeal, "submit_brief", resp)
    briefs.refuse(appeal, head, "нет оснований")
    replies.generate_reply(appeal, resp)
    replies.send_reply(appeal, resp, "post", today=date(2026, 12, 18))  # due 17 Dec
    on_time = case()
    on_time.replied_on = date(2026, 12, 1)
    db.session.commit()
    assert appeal.reply_due == date(2026, 12, 17)
    assert replies.is_late(appeal) and not replies.is_late(on_time)
    assert deadlines(appeal)[0]["late"] is True
    late_ids = db.session.execute(db.select(Appeal.id).where(late_reply_clause())).scalars().all()
    assert late_ids == [appeal.id]
    from tests.api.test_appeals_api import bearer
    listed = client.get("/api/v1/appeals?late=true", headers=bearer("demo-responsible"))
    assert [(a["id"], a["reply_late"]) for a in listed.get_json()["items"]] == [(appeal.id, True)]
    detail = client.get(f"/api/v1/appeals/{appeal.id}", headers=bearer("demo-responsible"))
    assert detail.get_json()["deadlines"][0]["late"] is True
    login("demo-responsible", "demo-pass-2026")
    page = client.get(f"/appeals/{appeal.id}").get_data(True)
    assert 'data-testid="reply-late"' in page
    assert 'data-testid="reply-late"' not in client.get(f"/appeals/{on_time.id}").get_data(True)


def test_material_checklist_blocks_the_brief_until_waived_with_reason(app, schedule, case,
                                                                      users):
    appeal = case()
    resp = users["responsible"]
    transition(appeal, "start_review", resp)
    req = materials.request_materials(appeal, resp, addressee_kind="body",
                                      addressee_code="MZ", question="Справка", working_days=2)
    briefs.propose(appeal, resp, refusal_reason="не в компетенции")
    briefs.generate_brief(appeal, resp)
    with pytest.raises(ConditionRefused):
        transition(appeal, "submit_brief", resp)
    from docflow.engine.errors import DataRequired
    with pytest.raises(DataRequired):
        materials.waive(req, resp, "  ")
    materials.waive(req, resp, "Сведения получены по телефону")
    transition(appeal, "submit_brief", resp)
    assert appeal.state == "brief_ready" and req.waived_reason.startswith("Сведения")


def test_queue_follows_registration_order_and_a_full_entry_offers_the_next(
        app, schedule, case, users):
    first_entry = schedule.add(day=date(2026, 12, 10), end=datetime(2026, 1, 1, 10, 40).time())
    second_entry = schedule.add(day=date(2026, 12, 11))
    resp, head = users["responsible"], users["head"]
    early, late, third = case(), case(), case()

    def ready(appeal):
        transition(appeal, "start_review", resp)
        briefs.propose(appeal, resp, entry_id=first_entry.id)
        briefs.generate_brief(appeal, resp)
        transition(appeal, "submit_brief", resp)

    for a in (early, late, third):
        ready(a)
    briefs.approve(late, head)  # approved first, registered later
    assert receptions.reception_of(late)["time"] == "10:00"
    briefs.approve(early, head)
    assert receptions.reception_of(early)["time"] == "10:00"
    assert receptions.reception_of(late)["time"] == "10:20"  # did not jump ahead (R28)
    with pytest.raises(receptions.CaseworkError, match="2026-12-11"):
        briefs.approve(third, head, first_entry.id)  # full: two slots of 20 minutes
    assert third.state == "brief_ready"
    briefs.approve(third, head, second_entry.id)
    with pytest.raises(receptions.CaseworkError):
        receptions.move(late, second_entry.id, " ", resp)
    receptions.move(late, second_entry.id, "The applicant asked for Friday", resp)
    db.session.commit()
    assert receptions.reception_of(late)["date"] == date(2026, 12, 11)
    assert receptions.reception_of(late)["time"] == "10:00"  # registered before third
    assert receptions.reception_of(third)["time"] == "10:20"
    row = history(late)[-1]
    assert row.transition == "queue_moved" and row.comment == "The applicant asked for Friday"


def test_deadline_moves_only_with_a_reason_by_allowed_roles(app, case, users):
    from docflow.engine.errors import PermissionDenied
    appeal = case()
    before = appeal.reply_due
    with pytest.raises(PermissionDenied):
        receptions.change_reply_due(appeal, users["registrar"], kind="extend", working_days=5,
                                    reason="x")
    with pytest.raises(receptions.CaseworkError) as err:
        receptions.change_reply_due(appeal, users["responsible"], kind="suspend",
                                    working_days=5, reason="")
    assert err.value.field == "reason" and appeal.reply_due == before
    receptions.change_reply_due(appeal, users["head"], kind="suspend", working_days=5,
                                reason="Waiting for MZ")
    db.session.commit()
    assert appeal.reply_due == date(2026, 12, 24)
    row = history(appeal)[-1]
    assert (row.transition, row.comment, row.data["from"]) == (
        "deadline_suspended", "Waiting for MZ", before.isoformat())
    assert replay(appeal) == appeal.state


def test_side_exits_still_work(app, case, users):
    resp = users["responsible"]
    a, b, c = case(), case(), case()
    transition(a, "start_review", resp)
    transition(a, "consult", resp, "Explained by phone")
    transition(b, "withdraw", users["registrar"], "Applicant declined")
    from docflow.reception.operations import redirect
    transition(c, "start_review", resp)
    redirect(c, resp, "Health question", "MZ")
    db.session.commit()
    assert (a.state, b.state, c.state) == ("consulted", "withdrawn", "redirected")
    assert c.body.code == "MZ"


def test_an_applicant_already_told_a_time_keeps_it(app, schedule, case, users):
    """R28 with R29: re-sequencing never moves a slot a reply has already stated."""
    entry = schedule.add(day=date(2026, 12, 10))
    resp, head = users["responsible"], users["head"]
    early, late = case(), case()
    for appeal in (early, late):
        transition(appeal, "start_review", resp)
        briefs.propose(appeal, resp, entry_id=entry.id)
        briefs.generate_brief(appeal, resp)
        transition(appeal, "submit_brief", resp)
    briefs.approve(late, head)
    first_letter = replies.generate_reply(late, resp)
    replies.send_reply(late, resp, "post")
    briefs.approve(early, head)
    db.session.commit()
    assert receptions.reception_of(late)["time"] == "10:00"  # as its letter says
    assert receptions.reception_of(early)["time"] == "10:20"
    assert first_letter.meta["slot_at"] == receptions.placement_of(late).slot_at.isoformat()
    # a letter no longer matching the slot does not count as the reply
    replies.generate_reply(early, resp)
    receptions.move(early, schedule.add(day=date(2026, 12, 11)).id, "asked for Friday", resp)
    with pytest.raises(ConditionRefused, match="reply letter"):
        replies.send_reply(early, resp, "post")


def test_worklist_counts_waiting_for_materials_and_late_replies(app, case, users, client,
                                                                login):
    resp = users["responsible"]
    waiting, late, fine = case(), case(), case()
    transition(waiting, "start_review", resp)
    materials.request_materials(waiting, resp, addressee_kind="body", addressee_code="MZ",
                                question="q", working_days=2)
    late.replied_on, fine.replied_on = date(2026, 12, 18), date(2026, 12, 1)
    db.session.commit()
    login("demo-responsible", "demo-pass-2026")
    from flask import template_rendered
    seen = []

    def record(sender, template, context, **kw):
        seen.append(context)
    with template_rendered.connected_to(record, app):
        client.get("/worklist")
        assert seen[-1]["counters"]["collecting"] == 1 and seen[-1]["counters"]["late"] == 1
        client.get("/worklist?show=late")
        assert [a.id for a in seen[-1]["rows"]] == [late.id]
