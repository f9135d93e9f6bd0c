"""The open-load counter behind the least-loaded rule (R25, reception.load): after every kind of
change that moves an appeal into or out of an employee's open load it equals a naive count of
the appeals, and the rule chooses from it exactly, also under concurrent intakes."""
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from docflow.auth.models import RoleAssignment, User
from docflow.auth.operations import create_token, create_user
from docflow.engine.workflow import transition
from docflow.extensions import db
from docflow.reception.assignment import choose_responsible, reassign, rule_for
from docflow.reception.intake import IntakeSchema
from docflow.reception.load import AssignmentLoad, naive_counts, recount, stored_counts
from docflow.reception.models import Appeal
from docflow.reception.operations import redirect, register_appeal
from docflow.reference.models import Body
from tests.api.test_appeals_api import api, body, demo_data, integ  # noqa: F401  (fixtures)
from tests.conftest import LiveServer


def user(login: str) -> User:
    return db.session.execute(db.select(User).where(User.login == login)).scalar_one()


def assert_counter_is_exact():
    db.session.flush()
    assert stored_counts() == naive_counts()


def least_loaded_by_hand(body_code: str) -> str:
    """The rule computed the slow way: active holders of the role at the body, by their naive
    open count, then name, then login."""
    b = db.session.execute(db.select(Body).where(Body.code == body_code)).scalar_one()
    role = rule_for(body_code)["role"]
    holders = db.session.execute(
        db.select(User).join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(RoleAssignment.role == role, RoleAssignment.body_id == b.id,
               User.active.is_(True))).scalars().unique().all()
    counts = naive_counts(b.id)
    return min(holders, key=lambda u: (counts.get((b.id, u.id), 0), u.full_name, u.login)).login


def test_the_counter_follows_every_kind_of_change(db_app, api, integ):  # noqa: F811
    assert_counter_is_exact()
    # the API's lean intake (Core statements)
    made = []
    for i in range(5):
        expected = least_loaded_by_hand("MLSPP")
        response = api.post("/api/v1/appeals", json=body(external_id=f"L-{i}"), headers=integ)
        assert response.status_code == 201, response.get_json()
        assert response.get_json()["responsible"] == expected
        made.append(response.get_json()["id"])
    db.session.remove()
    assert_counter_is_exact()
    # the registrar's ORM intake
    registrar = user("demo-registrar")
    data = IntakeSchema().load({**body(channel="paper", external_id=None)})
    appeal = register_appeal(data, registrar).appeal
    db.session.commit()
    assert_counter_is_exact()
    # a reassignment with a reason
    other = "resp2" if appeal.responsible.login != "resp2" else "demo-responsible"
    reassign(appeal, other, user("demo-head"), "on leave")
    db.session.commit()
    assert_counter_is_exact()
    # transitions inside the open states, then out of them (consult, withdraw)
    a, b, c = (db.session.get(Appeal, i) for i in made[:3])
    transition(a, "start_review", a.responsible)
    db.session.commit()
    assert_counter_is_exact()
    transition(a, "consult", a.responsible, "Explained by phone")
    transition(b, "withdraw", registrar, "Applicant declined")
    db.session.commit()
    assert_counter_is_exact()
    assert naive_counts() != {}
    # a redirect: another body, another responsible employee (redirected stays open)
    transition(c, "start_review", c.responsible)
    redirect(c, c.responsible, "Health question", "MZ")
    db.session.commit()
    assert c.body.code == "MZ"
    assert_counter_is_exact()
    # a blind write of the state (its old value never loaded) is still counted right
    d = db.session.get(Appeal, made[3])
    db.session.commit()  # expires d
    d.state = "closed"
    db.session.commit()
    assert_counter_is_exact()
    # a deleted appeal leaves the load
    db.session.delete(db.session.get(Appeal, made[4]))
    db.session.commit()
    assert_counter_is_exact()
    # the next choice is the naive rule's, by the ORM path too
    mlspp = db.session.execute(db.select(Body).where(Body.code == "MLSPP")).scalar_one()
    assert choose_responsible(mlspp).login == least_loaded_by_hand("MLSPP")


def test_recount_rebuilds_the_counter(db_app, api, integ):  # noqa: F811
    for i in range(3):
        assert api.post("/api/v1/appeals", json=body(external_id=f"R-{i}"),
                        headers=integ).status_code == 201
    db.session.remove()
    expected = naive_counts()
    db.session.execute(AssignmentLoad.__table__.update().values(open_count=99))
    assert stored_counts() != expected
    recount()
    db.session.commit()
    assert stored_counts() == expected


def test_a_new_employee_gets_the_next_appeal(db_app, api, integ):  # noqa: F811
    for i in range(2):
        assert api.post("/api/v1/appeals", json=body(external_id=f"N-{i}"),
                        headers=integ).status_code == 201
    create_user("aaa-new", "responsible", body_code="MLSPP", password="x-1234567890",
                full_name="Aaa New")  # first by name, no counter row yet, nothing open
    db.session.commit()
    response = api.post("/api/v1/appeals", json=body(external_id="N-new"), headers=integ)
    assert response.get_json()["responsible"] == "aaa-new"
    db.session.remove()
    assert_counter_is_exact()


@pytest.mark.postgres
def test_concurrent_intakes_are_spread_exactly(pg_app):
    """Each intake locks the body's counter rows: 30 at once leave every employee with the load
    30 intakes one after the other would (none chose from a stale count), and the counter
    equals the naive count."""
    from docflow.demo import load_demo
    load_demo()
    create_user("resp2", "responsible", body_code="MLSPP", password="x-1234567890",
                full_name="Aaaa Resp")
    token = create_token("demo-integration")
    db.session.commit()
    mlspp = db.session.execute(db.select(Body).where(Body.code == "MLSPP")).scalar_one()
    before = naive_counts(mlspp.id)
    server = LiveServer(pg_app)
    server.start()
    try:
        with httpx.Client(base_url=server.url, timeout=60,
                          headers={"Authorization": f"Bearer {token}"}) as client, \
                ThreadPoolExecutor(max_workers=30) as pool:
            responses = list(pool.map(lambda i: client.post(
                "/api/v1/appeals", json=body(external_id=f"CC-{i}")), range(30)))
    finally:
        server.stop()
    assert [r.status_code for r in responses] == [201] * 30
    db.session.remove()
    assert stored_counts() == naive_counts()
    # the same 30 intakes one after the other, by the rule computed by hand
    holders = db.session.execute(
        db.select(User).join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(RoleAssignment.role == "responsible", RoleAssignment.body_id == mlspp.id,
               User.active.is_(True))).scalars().unique().all()
    expected = {u.id: before.get((mlspp.id, u.id), 0) for u in holders}
    for _ in range(30):
        chosen = min(holders, key=lambda u: (expected[u.id], u.full_name, u.login))
        expected[chosen.id] += 1
    after = naive_counts(mlspp.id)
    assert {u.id: after.get((mlspp.id, u.id), 0) for u in holders} == expected


def test_the_recount_command(db_app, api, integ):  # noqa: F811
    assert api.post("/api/v1/appeals", json=body(external_id="CMD-1"),
                    headers=integ).status_code == 201
    db.session.remove()
    db.session.execute(AssignmentLoad.__table__.delete())
    db.session.commit()
    result = db_app.test_cli_runner().invoke(args=["assignment", "recount"])
    assert result.exit_code == 0, result.output
    assert stored_counts() == naive_counts() != {}
