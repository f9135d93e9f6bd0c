"""The in-app inbox shows what waits on each user, links to the case, and can be marked read."""
from datetime import date

from docflow.engine.rules import Notification
from docflow.engine.workflow import transition
from docflow.extensions import db
from docflow.reception import materials
from tests.conftest import csrf_token


def test_a_reminder_reaches_the_addressees_inbox(app, client, login, case, users):
    appeal = case()
    transition(appeal, "start_review", users["responsible"])
    materials.request_materials(appeal, users["responsible"], addressee_kind="division",
                                addressee_code="MLSPP-EMP", question="Справка", working_days=1)
    materials.sweep_material_requests(date(2026, 11, 30))
    db.session.commit()
    note = db.session.execute(db.select(Notification)).scalars().first()
    from docflow.auth.models import User
    recipient = db.session.get(User, note.user_id)
    from docflow.engine.inbox import unread_count
    assert unread_count(recipient) == 1
    login(recipient.login, "demo-pass-2026")
    start = client.get("/?lang=en").get_data(True)
    assert "Inbox <span class=\"count\">1</span>" in start, start.split("inbox-link")[1][:80]
    inbox = client.get("/inbox/?lang=en").get_data(True)
    assert appeal.registration_number in inbox and "unread" in inbox
    assert client.post(f"/inbox/{note.id}/read", data={
        "csrf_token": csrf_token(inbox)}).status_code == 303
    assert note.read_at is not None
    assert '<span class="count">' not in client.get("/?lang=en").get_data(True).split(
        'data-testid="inbox-link"')[1].split("</a>")[0]


def test_someone_elses_notification_is_not_found(app, client, login, case, users):
    appeal = case()
    db.session.add(Notification(user_id=users["head"].id, item_id=appeal.id, text="x", key="k"))
    db.session.commit()
    login(users["division"].login, "demo-pass-2026")
    token = csrf_token(client.get("/inbox/").get_data(True))
    note = db.session.execute(db.select(Notification)).scalar_one()
    assert client.post(f"/inbox/{note.id}/read", data={"csrf_token": token}).status_code == 404
