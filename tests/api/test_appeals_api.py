"""POST/GET /api/v1/appeals (DESIGN §5, contract): intake, idempotency, deadlines, R11."""
from datetime import date

import pytest

from docflow.auth.operations import create_token, create_user
from docflow.extensions import db
from docflow.i18n import local_today
from docflow.reception.identity import check_digit
from docflow.reception.models import Appeal


def make_iin(prefix: str) -> str:
    """A valid IIN from 11 digits (YYMMDD + century digit + 4): the check digit appended."""
    return prefix + str(check_digit(prefix))


IIN = make_iin("85052130012")


def body(**over) -> dict:
    data = {
        "channel": "egov_portal", "external_id": "EGOV-1",
        "received_at": "2026-11-25T10:15:00+05:00", "venue": "CRC-AST", "body": "MLSPP",
        "applicant": {"kind": "individual", "iin": IIN, "last_name": "Сәрсенбаев",
                      "first_name": "Ғалым", "citizenship": "KZ", "language": "kk",
                      "phone": "+77011234567"},
        "subject": "Жұмысқа орналасу", "text": "Министрдің қабылдауына жазылғым келеді.",
    }
    for key, value in over.items():
        if key.startswith("applicant__"):
            data["applicant"][key.split("__")[1]] = value
        elif value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def bearer(login: str) -> dict:
    token = create_token(login)
    db.session.commit()
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def api(db_app, demo_data):
    return db_app.test_client()


@pytest.fixture
def demo_data(db_app):
    from docflow.demo import load_demo
    load_demo()
    create_user("resp2", "responsible", body_code="MLSPP", password="x-1234567890",
                full_name="Aaaa Resp")
    db.session.commit()


@pytest.fixture
def integ():
    return bearer("demo-integration")


def test_intake_creates_201_then_repeat_returns_200_same_appeal(api, integ):
    first = api.post("/api/v1/appeals", json=body(), headers=integ)
    assert first.status_code == 201, first.get_json()
    created = first.get_json()
    assert created["registration_number"] == "CRC-AST-2026-000001"
    assert created["status"] == "registered" and created["restricted"] is False
    assert created["registered_on"] == "2026-11-25"
    # 15 working days after 25 Nov 2026, skipping weekends and 16 Dec (Independence Day)
    assert created["reply_due"] == "2026-12-17"
    again = api.post("/api/v1/appeals", json=body(subject="changed"), headers=integ)
    assert again.status_code == 200 and again.get_json()["id"] == created["id"]
    assert db.session.execute(db.select(db.func.count(Appeal.id))).scalar() == 1


def test_new_appeal_goes_to_the_least_loaded_responsible_employee(api, integ):
    logins = [api.post("/api/v1/appeals", json=body(external_id=f"E{i}"), headers=integ)
              .get_json()["responsible"] for i in range(4)]
    # two employees at MLSPP: "Aaaa Resp" sorts before "Demo responsible"; they alternate
    assert logins == ["resp2", "demo-responsible", "resp2", "demo-responsible"]


@pytest.mark.parametrize("over, field", [
    ({"applicant__iin": "850521300120"}, "applicant.iin"),
    ({"applicant__iin": "12345"}, "applicant.iin"),
    ({"applicant__citizenship": "XX"}, "applicant.citizenship"),
    ({"applicant__language": "en"}, "applicant.language"),
    ({"applicant__phone": None}, "applicant.phone"),
    ({"applicant__email": "a" * 60 + "@" + "b" * 60 + ".kz" * 65}, "applicant.email"),  # valid, 316 long
    ({"external_id": None}, "external_id"),
    ({"channel": "fax"}, "channel"),
    ({"received_at": "2026-11-25 10:15"}, "received_at"),
    ({"received_at": "2031-01-06T10:00:00+05:00"}, "received_at"),
    ({"venue": "NOPE"}, "venue"),
    ({"body": "NOPE"}, "body"),
    ({"official": "MZ-MIN"}, "official"),
    ({"subject": ""}, "subject"),
    ({"surprise": 1}, "surprise"),
])
def test_invalid_intake_names_the_field_and_saves_nothing(api, integ, over, field):
    data = body(**over)
    if over.get("applicant__phone", 1) is None:
        data["applicant"].pop("phone")
    response = api.post("/api/v1/appeals", json=data, headers=integ)
    assert response.status_code == 422, response.get_json()
    problem = response.get_json()
    assert response.mimetype == "application/problem+json"
    assert field in problem["errors"], problem
    assert db.session.execute(db.select(db.func.count(Appeal.id))).scalar() == 0


def test_a_failed_intake_burns_no_number(api, integ):
    api.post("/api/v1/appeals", json=body(external_id="A"), headers=integ)
    api.post("/api/v1/appeals", json=body(external_id="B", official="MZ-MIN"), headers=integ)
    third = api.post("/api/v1/appeals", json=body(external_id="C"), headers=integ).get_json()
    assert third["registration_number"] == "CRC-AST-2026-000002"


def test_registrar_of_another_venue_is_refused(api):
    create_user("reg-room", "registrar", venue_code="RR-MLSPP", password="x-1234567890")
    db.session.commit()
    response = api.post("/api/v1/appeals", json=body(), headers=bearer("reg-room"))
    assert response.status_code == 403


@pytest.mark.parametrize("received_at, registered_on", [
    ("2026-11-20T18:45:00+05:00", "2026-11-23"),   # Friday after closing -> Monday
    ("2026-03-23T11:00:00+05:00", "2026-03-26"),   # Nauryz and its two moved days off
    ("2026-10-25T11:00:00+05:00", "2026-10-27"),   # Republic Day (Sunday), moved to Monday
    ("2026-11-24T19:30:00+00:00", "2026-11-25"),   # 19:30 UTC is already 00:30 in Almaty
    ("2026-11-25T08:00:00+05:00", "2026-11-25"),   # before opening on a working day: that day
])
def test_registered_on_follows_the_venue_hours_and_calendar(api, integ, received_at,
                                                            registered_on):
    response = api.post("/api/v1/appeals", json=body(received_at=received_at), headers=integ)
    assert response.get_json()["registered_on"] == registered_on


def test_get_appeal_has_history_deadlines_and_allowed_transitions(api, integ):
    created = api.post("/api/v1/appeals", json=body(), headers=integ).get_json()
    resp = bearer("demo-responsible")
    detail = api.get(f"/api/v1/appeals/{created['id']}", headers=resp).get_json()
    assert detail["applicant"]["iin"] == IIN
    assert set(detail["allowed_transitions"]) == {"start_review", "consult", "withdraw",
                                                  "redirect"}
    deadline = detail["deadlines"][0]
    assert deadline["name"] == "reply_due" and deadline["working_days"] == 15
    assert {"date": "2026-12-16", "reason": "Independence Day"} in deadline["skipped"]
    moved = api.post(f"/api/v1/appeals/{created['id']}/transitions",
                     json={"name": "start_review"}, headers=resp)
    assert moved.status_code == 200 and moved.get_json()["status"] == "in_review"
    assert moved.get_json()["history"][-1]["actor"] == "demo-responsible"


@pytest.mark.parametrize("login, payload, status", [
    ("demo-registrar", {"name": "start_review"}, 403),
    ("demo-responsible", {"name": "approve"}, 409),
    ("demo-responsible", {"name": "consult"}, 422),
    ("demo-responsible", {"name": "redirect", "comment": "not ours", "body": "NOPE"}, 422),
])
def test_refused_transitions_say_why(api, integ, login, payload, status):
    created = api.post("/api/v1/appeals", json=body(), headers=integ).get_json()
    response = api.post(f"/api/v1/appeals/{created['id']}/transitions", json=payload,
                        headers=bearer(login))
    assert response.status_code == status, response.get_json()
    assert response.get_json()["detail"] or response.get_json().get("errors")


def test_redirect_moves_the_appeal_to_the_competent_body_keeping_history(api, integ):
    created = api.post("/api/v1/appeals", json=body(), headers=integ).get_json()
    resp = bearer("demo-responsible")
    response = api.post(f"/api/v1/appeals/{created['id']}/transitions",
                        json={"name": "redirect", "comment": "Денсаулық сақтау мәселесі",
                              "body": "MZ"}, headers=resp)
    assert response.status_code == 200, response.get_json()
    detail = response.get_json()
    assert detail["body"] == "MZ" and detail["status"] == "redirected"
    assert detail["history"][-1]["comment"] == "Денсаулық сақтау мәселесі"
    assert detail["registration_number"] == created["registration_number"]


def test_restricted_appeal_is_invisible_to_the_uncleared(api, integ):
    """R11: an uncleared user cannot learn that a restricted appeal exists."""
    foreign = body(external_id="F1", applicant__citizenship="UZ", applicant__iin=None)
    created = api.post("/api/v1/appeals", json=foreign, headers=integ).get_json()
    assert created["restricted"] is True
    api.post("/api/v1/appeals", json=body(external_id="K1"), headers=integ)
    create_user("reg-uncleared", "registrar", venue_code="CRC-AST", password="x-1234567890")
    db.session.commit()
    uncleared, cleared = bearer("reg-uncleared"), bearer("demo-registrar")
    assert api.get(f"/api/v1/appeals/{created['id']}", headers=uncleared).status_code == 404
    assert api.get("/api/v1/appeals/999999", headers=uncleared).status_code == 404
    listing = api.get("/api/v1/appeals", headers=uncleared).get_json()
    assert listing["total"] == 1 and all(not a["restricted"] for a in listing["items"])
    for query in ("q=UZ", f"q={created['registration_number']}", "q=Сәрсенбаев",
                  "status=registered", "overdue=false"):
        found = api.get(f"/api/v1/appeals?{query}", headers=uncleared).get_json()
        assert created["id"] not in [a["id"] for a in found["items"]], query
    assert api.post(f"/api/v1/appeals/{created['id']}/transitions",
                    json={"name": "withdraw", "comment": "x"}, headers=uncleared).status_code == 404
    assert api.get(f"/api/v1/appeals/{created['id']}", headers=cleared).status_code == 200
    assert api.get("/api/v1/appeals", headers=cleared).get_json()["total"] == 2
    from docflow.engine.audit import entries
    audited = db.session.execute(entries(item=db.session.get(Appeal, created["id"]))).scalars()
    assert "view" in {e.action for e in audited}


@pytest.mark.usefixtures("writing_day")
def test_list_filters_and_overdue(api, integ):
    # The venues' today is Thursday 26 November 2026: NEW (received the 25th, due 17 December)
    # is not overdue then, OLD (due in February) is; on a later day NEW would be overdue too.
    api.post("/api/v1/appeals", json=body(external_id="OLD",
                                          received_at="2026-01-12T10:00:00+05:00"), headers=integ)
    api.post("/api/v1/appeals", json=body(external_id="NEW"), headers=integ)
    resp = bearer("demo-responsible")
    overdue = api.get("/api/v1/appeals?overdue=true", headers=resp).get_json()
    assert [a["external_id"] for a in overdue["items"]] == ["OLD"]
    assert date.fromisoformat(overdue["items"][0]["reply_due"]) < local_today()
    page = api.get("/api/v1/appeals?per_page=1&page=2", headers=resp).get_json()
    assert page["total"] == 2 and [a["external_id"] for a in page["items"]] == ["OLD"]
    assert api.get("/api/v1/appeals?venue=RR-MLSPP", headers=resp).get_json()["total"] == 0
