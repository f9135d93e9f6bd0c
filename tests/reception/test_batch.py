"""Batch actions on the worklist: reassign or request materials for several appeals at once —
all done, or none (R25, R26, R31)."""
import pytest

from docflow.auth.operations import create_user
from docflow.engine.workflow import transition
from docflow.extensions import db
from docflow.reception.intake import IntakeSchema
from docflow.reception.materials import MaterialRequest
from docflow.reception.models import Appeal
from docflow.reception.operations import register_appeal
from tests.api.test_appeals_api import body
from tests.conftest import csrf_token


@pytest.fixture
def three(app, demo, client, login):
    appeals = [register_appeal(IntakeSchema().load(body(external_id=f"B{i}")), None).appeal
               for i in range(3)]
    create_user("resp-b", "responsible", body_code="MLSPP", password="x-1234567890",
                full_name="Zz Second")
    db.session.commit()
    login("demo-responsible", "demo-pass-2026")
    return appeals


def post(client, **data):
    token = csrf_token(client.get("/worklist?scope=all&lang=en").get_data(True))
    return client.post("/worklist/batch?lang=en", data={"csrf_token": token, **data},
                       follow_redirects=True)


def test_batch_reassign(client, three):
    mine = [a for a in three if a.responsible.login == "demo-responsible"]
    response = post(client, action="reassign", login="resp-b", reason="leave",
                    appeal_ids=[str(a.id) for a in mine])
    assert "Done for" in response.get_data(True)
    db.session.expire_all()
    assert {a.responsible.login for a in mine} == {"resp-b"}


def test_batch_material_requests(client, three):
    mine = [a for a in three if a.responsible.login == "demo-responsible"]
    for a in mine:
        transition(a, "start_review", a.responsible)
    db.session.commit()
    post(client, action="request_materials", addressee_kind="division",
         addressee_code="MLSPP-SOC", question="Справка", working_days="3",
         appeal_ids=[str(a.id) for a in mine])
    db.session.expire_all()
    assert db.session.execute(db.select(db.func.count(MaterialRequest.id))).scalar() == len(mine)
    assert {a.state for a in mine} == {"collecting"}


def test_one_refusal_changes_nothing(client, three):
    for a in three[:2]:  # the third is still registered: materials are asked during review
        transition(a, "start_review", a.responsible)
    db.session.commit()
    response = post(client, action="request_materials", addressee_kind="division",
                    addressee_code="MLSPP-SOC", question="Справка", working_days="3",
                    appeal_ids=[str(a.id) for a in three])
    html = response.get_data(True)
    assert "Nothing was changed." in html and three[2].registration_number in html
    mine = three
    db.session.expire_all()
    assert db.session.execute(db.select(db.func.count(MaterialRequest.id))).scalar() == 0
    assert db.session.get(Appeal, mine[0].id).state == "in_review"


def test_batch_needs_csrf(client, three):
    response = client.post("/worklist/batch", data={"action": "reassign",
                                                    "appeal_ids": [str(three[0].id)]})
    assert response.status_code == 400


def test_a_batch_takes_at_most_one_page(client, three):
    """A batch runs in one request and one transaction: more than a page of ids is refused with
    a clear message, and nothing changes."""
    from docflow.reception.views import PAGE_SIZE

    before = {a.id: a.responsible_id for a in three}
    response = post(client, action="reassign", login="resp-b", reason="leave",
                    appeal_ids=[str(three[0].id)] + [str(10_000 + n) for n in range(PAGE_SIZE)])
    assert f"Tick at most {PAGE_SIZE} appeals at once" in response.get_data(True)
    db.session.expire_all()
    assert {a.id: db.session.get(Appeal, a.id).responsible_id for a in three} == before
