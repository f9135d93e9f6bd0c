"""E-mail through the outbox to a local SMTP server: the reply letter as a PDF attachment (R29)
and a material request's escalation (R31); a job run twice sends the same Message-ID."""
import email
import hashlib
from datetime import date

import pytest
from aiosmtpd.controller import Controller

from docflow.engine.workflow import transition
from docflow.extensions import db
from docflow.jobs import run_job
from docflow.jobs.models import OutboxJob
from docflow.reception import briefs, materials, replies
from tests.services import free_port


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp(app):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port)
    yield inbox
    controller.stop()


def _job(func: str) -> OutboxJob:
    return db.session.execute(db.select(OutboxJob).where(OutboxJob.func == func)).scalar_one()


def test_reply_by_email_arrives_with_the_letter_attached(app, smtp, case, users, schedule):
    entry = schedule.add(day=date(2026, 12, 10))
    appeal = case(applicant__email="applicant@example.test")
    resp = users["responsible"]
    transition(appeal, "start_review", resp)
    briefs.propose(appeal, resp, entry_id=entry.id)
    briefs.generate_brief(appeal, resp)
    transition(appeal, "submit_brief", resp)
    briefs.approve(appeal, users["head"])
    version = replies.generate_reply(appeal, resp)
    replies.send_reply(appeal, resp, "email")
    db.session.commit()
    job = _job("docflow.reception.replies.email_reply")
    assert run_job(job.id) == "done"
    (message,) = smtp.messages
    assert message["To"] == "applicant@example.test"
    (attachment,) = [p for p in message.walk() if p.get_content_type() == "application/pdf"]
    assert hashlib.sha256(attachment.get_payload(decode=True)).hexdigest() == version.sha256
    again = replies.email_reply(appeal.id, version.id)  # a retry: the same message
    assert smtp.messages[1]["Message-ID"] == message["Message-ID"] and again["to"]


def test_an_overdue_request_is_escalated_by_email(app, smtp, case, users):
    users["head"].email = "head@mlspp.test"
    appeal = case()
    transition(appeal, "start_review", users["responsible"])
    req = materials.request_materials(appeal, users["responsible"], addressee_kind="division",
                                      addressee_code="MLSPP-EMP", question="Справка",
                                      working_days=1)
    materials.sweep_material_requests(date(2026, 11, 30))
    db.session.commit()
    jobs = db.session.execute(db.select(OutboxJob).where(
        OutboxJob.func == "docflow.reception.materials.send_material_mail")).scalars().all()
    for job in jobs:
        assert run_job(job.id) == "done"
    (message,) = smtp.messages  # the responsible employee has no e-mail address in the demo
    assert message["To"] == "head@mlspp.test"
    from email.header import decode_header, make_header
    subject = str(make_header(decode_header(message["Subject"])))  # RFC 2047: kk/ru text
    assert req.due_on.isoformat() in subject and appeal.registration_number in subject
