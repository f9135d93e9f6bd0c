"""Rules: actions written in the same transaction, once per event, run once by a real worker.

The outage test stops Redis while actions fire, restarts it, dispatches, runs a real
``rq worker --burst`` process, and reads what a real SMTP server on loopback received (R39.4).
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from redis.exceptions import ConnectionError as RedisConnectionError

from docflow.engine import create_item, grant, transition
from docflow.engine.mail import message_id
from docflow.engine.rules import Notification, fire, notifications_for
from docflow.extensions import db
from docflow.jobs import OutboxJob
from docflow.jobs.runner import dispatch_pending
from tests.engine.memo import PLACE, Memo
from tests.services import free_port

ROOT = Path(__file__).resolve().parents[2]
RQ = str(Path(sys.executable).parent / "rq")


def _jobs():
    return db.session.execute(db.select(OutboxJob).order_by(OutboxJob.id)).scalars().all()


def test_a_signed_memo_notifies_clerks_readers_and_the_owner_once(memo_app, new_memo):
    u = memo_app.memo.users
    memo = new_memo()
    grant(memo, f"user:{u.nobody.id}", "reader", u.alice)
    entry = transition(memo, "sign", u.sam)
    db.session.commit()
    notified = {n.user_id for n in db.session.execute(db.select(Notification)).scalars()}
    assert notified == {u.carl.id, u.nobody.id, u.alice.id}
    note = db.session.execute(notifications_for(u.carl)).scalar_one()
    assert note.render() == f"The memo {memo.title} was signed." and note.item_id == memo.id
    # The same event delivered again (a retried request, a re-run sweep) adds nothing.
    fire("transitioned", memo, u.sam, key=f"transitioned:{entry.id}", transition="sign",
         from_state="draft", to_state="signed")
    db.session.commit()
    assert db.session.execute(db.select(db.func.count(Notification.id))).scalar() == 3


def test_actions_roll_back_with_the_change_that_caused_them(memo_app, new_memo):
    u = memo_app.memo.users
    memo = new_memo()
    transition(memo, "sign", u.sam)
    db.session.commit()
    transition(memo, "send", u.carl, comment="by post")
    assert len(_jobs()) == 3  # the archive job and two e-mails, in this transaction
    db.session.rollback()  # the request failed after the transition
    assert _jobs() == [] and memo.state == "signed"


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


def _rq_burst(redis_url: str, database_url: str, smtp_port: int):
    env = {**os.environ, "DOCFLOW_ENV": "production", "SECRET_KEY": "test",
           "DATABASE_URL": database_url, "REDIS_URL": redis_url,
           "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(smtp_port),
           "MAIL_FROM": "docflow@test.kz"}
    return subprocess.run([RQ, "worker", "--url", redis_url, "--burst", "documents",
                           "reports", "default"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


@pytest.mark.redis
@pytest.mark.postgres
def test_jobs_and_mail_fired_while_redis_is_down_run_exactly_once(memo_pg, redis_server, smtp):
    controller, inbox = smtp
    u = memo_pg.memo.users
    memo_pg.config["REDIS_URL"] = redis_server.url
    memo = create_item(Memo, title="Budget", body="text", owner=u.alice, places=[PLACE])
    transition(memo, "sign", u.sam)
    db.session.commit()
    redis_server.stop()
    try:
        entry = transition(memo, "send", u.carl, comment="sent")
        db.session.commit()  # the user's action succeeds while Redis is down
        with pytest.raises(RedisConnectionError):
            dispatch_pending(memo_pg)
        db.session.rollback()
        assert [j.status for j in _jobs()] == ["pending"] * 3
    finally:
        redis_server.start()
    # The same event again (a retried request) enqueues nothing new.
    fire("transitioned", memo, u.carl, key=f"transitioned:{entry.id}", transition="send",
         from_state="signed", to_state="sent")
    db.session.commit()
    assert dispatch_pending(memo_pg) == 3
    result = _rq_burst(redis_server.url, db.engine.url.render_as_string(False), controller.port)
    assert result.returncode == 0, result.stderr[-2000:]
    db.session.expire_all()
    jobs = _jobs()
    assert [(j.func, j.status, j.attempts) for j in jobs] == [
        ("workers.tasks.record_ping", "done", 1),
        ("docflow.engine.mail.send_email", "done", 1),
        ("docflow.engine.mail.send_email", "done", 1)]
    assert jobs[0].result == {"note": memo.uid}
    received = {tuple(m.rcpt_tos): m for m in inbox.messages}
    assert sorted(received) == [("alice@example.kz",), ("sam@example.kz",)]
    for job in jobs[1:]:
        mail = received[(job.kwargs["to"],)].content.decode()
        assert f"Message-ID: {message_id(job.key)}" in mail
        assert "Budget" in mail and "sent" in mail


def test_send_email_uses_a_message_id_from_the_key(memo_app, smtp):
    """A retried job sends the same message (same Message-ID), never a different one."""
    from docflow.engine.mail import send_email

    controller, inbox = smtp
    memo_app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port)
    kw = dict(to="x@example.kz", template="item_event", message_key="rule:r:1",
              context={"title": "T", "state": "sent"}, language="en")
    first, again = send_email(**kw), send_email(**kw)
    assert first["message_id"] == again["message_id"] == message_id("rule:r:1")
    assert len({m.content for m in inbox.messages}) == 1
