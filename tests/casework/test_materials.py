"""Material requests (R26, R31): due dates in working days, the addressee's worklist and answer
page, reminders and escalation through the outbox by a daily sweep, run twice without repeats."""
from datetime import date

from docflow.engine.files import files_of
from docflow.engine.rules import Notification
from docflow.engine.workflow import transition
from docflow.extensions import db
from docflow.jobs.models import OutboxJob
from docflow.reception import materials
from tests.conftest import csrf_token


def _request(case, users, **kw):
    appeal = case()
    transition(appeal, "start_review", users["responsible"])
    req = materials.request_materials(appeal, users["responsible"], **{
        "addressee_kind": "division", "addressee_code": "MLSPP-SOC",
        "question": "Сведения о выплатах", "working_days": 3, **kw})
    db.session.commit()
    return appeal, req


def _mail_jobs():
    return db.session.execute(db.select(OutboxJob).where(
        OutboxJob.func == "docflow.reception.materials.send_material_mail")
        .order_by(OutboxJob.id)).scalars().all()


def test_sweep_reminds_before_due_and_escalates_when_overdue_once(case, users):
    appeal, req = _request(case, users)
    assert req.due_on == date(2026, 12, 1)  # Thu 26 Nov + 3 working days
    assert materials.sweep_material_requests(date(2026, 11, 27)) == {"reminded": 0,
                                                                     "escalated": 0}
    assert materials.sweep_material_requests(date(2026, 11, 30)) == {"reminded": 1,
                                                                     "escalated": 0}
    reminded = {j.args[2] for j in _mail_jobs()}
    assert reminded == {users["division"].id}  # the addressee's staff
    assert req.status(date(2026, 12, 1)) == "asked"
    assert req.status(date(2026, 12, 2)) == "overdue"
    assert materials.sweep_material_requests(date(2026, 12, 2))["escalated"] == 1
    again = materials.sweep_material_requests(date(2026, 12, 2))
    db.session.commit()
    assert again == {"reminded": 0, "escalated": 0}
    escalated = {j.args[2] for j in _mail_jobs() if j.args[1] == "overdue"}
    assert escalated == {users["responsible"].id, users["head"].id}
    assert len(_mail_jobs()) == 3
    notes = db.session.execute(db.select(Notification).where(
        Notification.item_id == req.id)).scalars().all()
    assert len(notes) == 3 and all("2026-12-01" in n.render() for n in notes)
    # the e-mails wait for the venue's working hours: each is due at a moment the venue is open
    from datetime import UTC
    from zoneinfo import ZoneInfo

    from docflow.calendar.store import current_calendar
    venue = appeal.venue
    for job in _mail_jobs():
        at = job.available_at.replace(tzinfo=UTC)
        opened = current_calendar().next_office_moment(
            at, venue.timezone, venue.opens, venue.closes, (venue.lunch_start, venue.lunch_end))
        assert opened == at.astimezone(ZoneInfo(venue.timezone)), job.available_at
    # answered since: no more escalation, and the mail job skips
    materials.answer_request(req, users["division"], "Готово")
    db.session.commit()
    assert materials.sweep_material_requests(date(2026, 12, 3)) == {"reminded": 0,
                                                                    "escalated": 0}
    assert materials.send_material_mail(req.id, "overdue", users["head"].id) == {"skipped": True}


def test_asking_again_sets_a_new_due_date_and_a_new_reminder(case, users):
    appeal, req = _request(case, users)
    materials.answer_request(req, users["division"], "Частично")
    materials.ask_again(req, users["responsible"], "Нужна справка за 2025 год", 2,
                        today=date(2026, 12, 2))
    db.session.commit()
    assert req.state == "asked_again" and req.due_on == date(2026, 12, 4)
    assert materials.sweep_material_requests(date(2026, 12, 3))["reminded"] == 1


def test_addressee_answers_from_the_worklist_with_text_and_a_file(case, users, client, login):
    appeal, req = _request(case, users)
    login("demo-division", "demo-pass-2026")
    page = client.get("/materials").get_data(True)
    assert f'data-testid="material-{req.id}"' in page and appeal.registration_number in page
    form = client.get(f"/materials/{req.id}")
    assert form.status_code == 200 and "answer-form" in form.get_data(True)
    assert f"/materials/{req.id}/waive" not in form.get_data(True)
    empty = client.post(f"/materials/{req.id}", data={
        "csrf_token": csrf_token(form.get_data(True)), "text": ""})
    assert empty.status_code == 200 and 'class="field-error"' in empty.get_data(True)
    assert req.state == "asked"
    from io import BytesIO
    done = client.post(f"/materials/{req.id}", data={
        "csrf_token": csrf_token(form.get_data(True)), "text": "Выплаты назначены",
        "files": (BytesIO("Справка".encode()), "spravka.txt")},
        content_type="multipart/form-data")
    assert done.status_code == 303
    db.session.refresh(req)
    assert req.state == "answered" and req.answer == "Выплаты назначены"
    assert [f.name for f in files_of(req)] == ["answer-spravka.txt"]
    # the addressee cannot waive (dismiss) a request: the page does not offer it, the URL refuses
    assert client.post(f"/materials/{req.id}/waive", data={
        "csrf_token": csrf_token(form.get_data(True)), "reason": "not ours"}).status_code == 403


def test_staff_of_other_bodies_do_not_see_a_request(case, users, mz_other_body, client, login):
    appeal, req = _request(case, users)
    login("mz-rep")
    assert client.get(f"/materials/{req.id}").status_code == 404
    assert f'material-{req.id}"' not in client.get("/materials").get_data(True)
