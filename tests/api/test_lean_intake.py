"""The API's lean intake (Core statements, no unit of work) writes exactly what the general
path (``register_appeal``: ``create_item`` and the ORM) writes, and the
cache of the bearer token's user never delays a revocation (issue 5)."""
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from docflow.auth.models import ApiToken, User
from docflow.engine.catalog import CatalogText, search
from docflow.engine.content import Item, ItemPlace
from docflow.engine.core import current_engine
from docflow.engine.rules import Notification
from docflow.extensions import db
from docflow.reception.intake import IntakeSchema
from docflow.reception.models import Appeal, AssignmentLog
from docflow.reception.operations import register_appeal
from tests.api.test_appeals_api import api, bearer, body, demo_data, integ  # noqa: F401  (fixtures)

SKIP_ITEM = {"id", "uid", "path", "created_at", "modified_at"}
SKIP_APPEAL = {"id", "external_id", "registration_seq", "registration_number"}


def _row(table, item_id: int) -> dict:
    return dict(db.session.execute(select(table).where(table.c.id == item_id)).mappings().one())


def _written(item_id: int) -> dict:
    item, appeal = _row(Item.__table__, item_id), _row(Appeal.__table__, item_id)
    places = set(db.session.execute(select(ItemPlace.place).where(
        ItemPlace.item_id == item_id)).scalars())
    log = db.session.execute(select(AssignmentLog.user_id, AssignmentLog.by_id,
                                    AssignmentLog.reason).where(
        AssignmentLog.appeal_id == item_id)).all()
    words = db.session.get(CatalogText, item_id).words
    assert item["path"] == f"/{item_id}/" and item["version"] == 1
    number = appeal["registration_number"]
    return {"item": {k: v for k, v in item.items() if k not in SKIP_ITEM},
            "appeal": {k: v for k, v in appeal.items() if k not in SKIP_APPEAL},
            "places": places, "log": log,
            "words": words.replace(number.rsplit("-", 1)[1], "N")}


def test_the_lean_intake_writes_what_the_general_path_writes(db_app, api, integ):  # noqa: F811
    # a foreigner (restricted, R11) before an official of the body, with a patronymic
    data = body(external_id="L-1", official="MLSPP-MIN", applicant__iin=None,
                applicant__citizenship="RU", applicant__patronymic="Иванович")
    made = api.post("/api/v1/appeals", json=data, headers=integ)
    assert made.status_code == 201, made.get_json()
    shown = made.get_json()
    assert shown["restricted"] is True and shown["official"] == "MLSPP-MIN"
    integration = db.session.execute(select(User).where(
        User.login == "demo-integration")).scalar_one()
    general = register_appeal(IntakeSchema().load({**data, "external_id": "L-2"}),
                              integration).appeal
    db.session.commit()
    lean, orm = _written(shown["id"]), _written(general.id)
    # the general path's employee was chosen after the lean one's appeal counted as load
    orm["appeal"]["responsible_id"] = lean["appeal"]["responsible_id"]
    orm["log"] = [(lean["appeal"]["responsible_id"], *orm["log"][0][1:])]
    assert lean == orm
    # the 201's body is the appeal as the API shows it afterwards, to the cleared (R11)
    cleared = bearer("demo-registrar")
    again = api.get(f"/api/v1/appeals/{shown['id']}", headers=cleared).get_json()
    assert {k: again.get(k) for k in shown} == shown, again
    repeat = api.post("/api/v1/appeals", json=data, headers=integ)
    assert repeat.status_code == 200 and repeat.get_json() == shown
    reader = db.session.execute(select(User).where(User.login == "demo-registrar")).scalar_one()
    assert [a.id for a in search(reader, q=shown["registration_number"]).items] == [shown["id"]]


def test_a_rule_on_created_appeals_still_runs(db_app, api, integ, tmp_path,  # noqa: F811
                                              monkeypatch):
    rules = tmp_path / "rules.toml"
    rules.write_text('[[rule]]\nid = "new-appeal"\nevent = "created"\ntype = "appeal"\n'
                     'action = "notify"\nroles = ["responsible"]\n'
                     'text = "A new appeal: %(title)s"\n', encoding="utf-8")
    engine = current_engine()
    monkeypatch.setattr(engine, "rules", list(engine.rules))
    engine.register_rules(rules)
    made = api.post("/api/v1/appeals", json=body(external_id="N-1"), headers=integ)
    assert made.status_code == 201, made.get_json()
    notified = db.session.execute(select(User.login).join(
        Notification, Notification.user_id == User.id).where(
        Notification.item_id == made.get_json()["id"])).scalars().all()
    assert sorted(notified) == ["demo-responsible", "resp2"]


def test_a_revoked_token_is_refused_within_the_cache_time(db_app, api, integ,  # noqa: F811
                                                          monkeypatch):
    monkeypatch.setitem(db_app.config, "API_TOKEN_CACHE_SECONDS", 0.5)
    assert api.get("/api/v1/appeals", headers=integ).status_code == 200
    token = integ["Authorization"].split()[1]
    row = db.session.execute(select(ApiToken).where(
        ApiToken.token_hash == ApiToken.digest(token))).scalar_one()
    row.revoked_at = datetime.now(UTC).replace(tzinfo=None)
    db.session.commit()
    revoked = time.monotonic()
    statuses = []
    while time.monotonic() - revoked < 2:
        statuses.append(api.get("/api/v1/appeals", headers=integ).status_code)
        if statuses[-1] == 401:
            break
        time.sleep(0.05)
    assert statuses[-1] == 401 and time.monotonic() - revoked <= 0.5 + 0.3, statuses


def test_a_deactivated_user_is_refused_within_the_cache_time(db_app, api, integ,  # noqa: F811
                                                             monkeypatch):
    monkeypatch.setitem(db_app.config, "API_TOKEN_CACHE_SECONDS", 0.3)
    first = api.post("/api/v1/appeals", json=body(external_id="D-1"), headers=integ)
    second = api.post("/api/v1/appeals", json=body(external_id="D-2"), headers=integ)
    assert (first.status_code, second.status_code) == (201, 201)  # the second from the cache
    assert second.get_json()["registration_number"].endswith("000002")
    user = db.session.execute(select(User).where(User.login == "demo-integration")).scalar_one()
    user.active = False
    db.session.commit()
    time.sleep(0.35)
    assert api.post("/api/v1/appeals", json=body(external_id="D-3"),
                    headers=integ).status_code == 401


def _revoke(headers: dict) -> None:
    token = headers["Authorization"].split()[1]
    row = db.session.execute(select(ApiToken).where(
        ApiToken.token_hash == ApiToken.digest(token))).scalar_one()
    row.revoked_at = datetime.now(UTC).replace(tzinfo=None)
    db.session.commit()


def _deactivate(headers: dict) -> None:
    user = db.session.execute(select(User).where(User.login == "demo-integration")).scalar_one()
    user.active = False
    db.session.commit()


@pytest.mark.parametrize("refuse", [_revoke, _deactivate])
def test_a_revoked_token_or_inactive_user_is_refused_at_once(db_app, api, integ,  # noqa: F811
                                                              monkeypatch, refuse):
    """The token's user is cached (a long time here), whether the token is valid never is: the
    next request after the revocation gets 401 — the intake (whose first statement checks it),
    an intake with an invalid body (checked before the 422), and any other route."""
    monkeypatch.setitem(db_app.config, "API_TOKEN_CACHE_SECONDS", 600)
    assert api.post("/api/v1/appeals", json=body(external_id="V-1"),
                    headers=integ).status_code == 201
    assert api.post("/api/v1/appeals", json=body(external_id="V-2"),
                    headers=integ).status_code == 201  # from the cache
    assert api.get("/api/v1/appeals", headers=integ).status_code == 200
    refuse(integ)
    made = api.post("/api/v1/appeals", json=body(external_id="V-3"), headers=integ)
    assert made.status_code == 401, made.get_json()
    assert made.headers["Content-Type"] == "application/problem+json"
    bad = api.post("/api/v1/appeals", json=body(external_id="V-4", venue=""), headers=integ)
    assert bad.status_code == 401, bad.get_json()
    assert api.get("/api/v1/appeals", headers=integ).status_code == 401
    db.session.remove()
    assert sorted(db.session.execute(select(Appeal.external_id)).scalars()) == ["V-1", "V-2"]


def test_a_revoked_token_with_an_invalid_body_is_refused_at_once(db_app, api, integ,  # noqa: F811
                                                                  monkeypatch):
    monkeypatch.setitem(db_app.config, "API_TOKEN_CACHE_SECONDS", 600)
    assert api.post("/api/v1/appeals", json=body(external_id="W-1"),
                    headers=integ).status_code == 201
    invalid = api.post("/api/v1/appeals", json=body(external_id="W-2", subject=""),
                       headers=integ)
    assert invalid.status_code == 422 and "subject" in invalid.get_json()["errors"]
    _revoke(integ)
    again = api.post("/api/v1/appeals", json=body(external_id="W-2", subject=""), headers=integ)
    assert again.status_code == 401, again.get_json()


def test_the_intakes_answer_is_what_the_appeal_schema_makes():
    """The 201 is built without marshmallow (registered_json): the same keys and values as
    AppealSchema, with and without an official, a responsible employee and a reply."""
    from datetime import date, datetime

    from docflow.api.appeals import AppealSchema, registered_json
    from docflow.reception.operations import RefRow, Registered
    base = dict(id=7, uid="u-7", state="registered", channel="egov_portal", external_id="E-7",
                venue=RefRow(1, "CRC-AST"), body=RefRow(2, "MLSPP"), official=None,
                responsible=None, received_at=datetime(2026, 3, 20, 19, 30, 5, 120),
                registered_on=date(2026, 3, 25), reply_due=date(2026, 4, 8), restricted=False,
                subject="Тема", registration_number="CRC-AST-2026-000007")
    shapes = [Registered(**base),
              Registered(**{**base, "official": RefRow(3, "MLSPP-MIN"), "restricted": True,
                            "responsible": RefRow(4, login="demo-officer"), "external_id": None,
                            "replied_on": date(2026, 4, 9)})]
    for shape in shapes:
        assert registered_json(shape) == AppealSchema().dump(shape)
    assert registered_json(shapes[1])["reply_late"] is True
