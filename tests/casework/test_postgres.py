"""On PostgreSQL: two heads approving into the last free slot of a reception at the same moment
place exactly one appeal there; the other is told the reception is full (R28)."""
import threading
from datetime import date

import pytest

from docflow.auth.models import User
from docflow.demo import load_demo
from docflow.engine.files import add_file_version
from docflow.extensions import db
from docflow.reception import briefs, receptions
from docflow.reception.intake import IntakeSchema
from docflow.reception.models import Appeal
from docflow.reception.operations import register_appeal
from tests.api.test_appeals_api import body
from tests.casework.conftest import Schedule


@pytest.fixture
def pg_schedule(pg_app, monkeypatch):
    load_demo()
    db.session.commit()
    fake = Schedule()
    monkeypatch.setattr(receptions, "schedule_source", fake)
    return fake


def test_concurrent_approvals_never_overbook_an_entry(pg_app, pg_schedule):
    entry = pg_schedule.add(day=date(2026, 12, 10), slot_minutes=60)  # one slot
    ids = []
    for n in range(2):
        appeal = register_appeal(IntakeSchema().load(body(external_id=f"PG-{n}")), None).appeal
        appeal.state = "brief_ready"
        add_file_version(appeal, "brief", b"%PDF-1.7", None, filename="b.pdf", generated=True)
        ids.append(appeal.id)
    head_id = db.session.execute(db.select(User.id).where(User.login == "demo-head")).scalar()
    db.session.commit()
    barrier, results = threading.Barrier(2), {}

    def approve(appeal_id):
        with pg_app.app_context():
            appeal = db.session.get(Appeal, appeal_id)
            head = db.session.get(User, head_id)
            barrier.wait()
            try:
                briefs.approve(appeal, head, entry.id)
                db.session.commit()
                results[appeal_id] = "placed"
            except receptions.CaseworkError as exc:
                db.session.rollback()
                results[appeal_id] = exc.field
            finally:
                db.session.remove()

    threads = [threading.Thread(target=approve, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(results.values()) == ["entry_id", "placed"]
    db.session.expire_all()
    assert receptions.taken(entry.id) == 1
    states = sorted(db.session.get(Appeal, i).state for i in ids)
    assert states == ["approved", "brief_ready"]
