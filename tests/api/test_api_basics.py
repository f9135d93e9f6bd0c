"""API v1 basics: bearer tokens, problem+json, OpenAPI, calendar and reference endpoints."""
import pytest

from docflow.auth.operations import create_token
from docflow.extensions import db
from docflow.reference.models import Body, Division, Venue
from tests.sqlcount import statements_of_get


@pytest.fixture
def token(app, demo):
    value = create_token("demo-integration")
    db.session.commit()
    return {"Authorization": f"Bearer {value}"}


def test_openapi_document_lists_the_contract_paths(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    for path in ("/api/v1/calendar/shift", "/api/v1/calendar/{year}", "/api/v1/venues",
                 "/api/v1/bodies"):
        assert path in spec["paths"], path
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


@pytest.mark.parametrize("header", [None, "Bearer nope", "Basic abc", "Bearer "])
def test_without_a_valid_token_the_api_answers_401_problem_json(client, header):
    response = client.get("/api/v1/venues", headers={"Authorization": header} if header else {})
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["status"] == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_venues_and_bodies_have_codes_and_both_names(client, token):
    venues = client.get("/api/v1/venues", headers=token).get_json()
    assert {v["code"] for v in venues} == {"CRC-AST", "RR-MLSPP"}
    room = next(v for v in venues if v["code"] == "RR-MLSPP")
    assert room["kind"] == "reception_room" and room["body"] == "MLSPP"
    assert room["name_kk"] and room["name_ru"] and room["opens"] == "09:00"
    bodies = client.get("/api/v1/bodies", headers=token).get_json()
    mlspp = next(b for b in bodies if b["code"] == "MLSPP")
    assert {d["code"] for d in mlspp["divisions"]} == {"MLSPP-EMP", "MLSPP-SOC"}


def test_venues_and_bodies_take_the_same_statements_for_more_rows(client, token):
    """A venue's body and a body's divisions come in one statement each, not one per row."""
    urls = ("/api/v1/venues", "/api/v1/bodies")
    for url in urls:  # the first request also reads what the app caches
        client.get(url, headers=token)
    before = {url: len(statements_of_get(client, url, headers=token)) for url in urls}
    for i in range(3):
        body = Body(code=f"EXTRA-{i}", name_kk=f"Орган {i}", name_ru=f"Орган {i}")
        db.session.add_all([body, Division(code=f"EXTRA-{i}-D", body=body, name_kk="Бөлім",
                                           name_ru="Отдел"),
                            Venue(code=f"RR-EXTRA-{i}", kind="reception_room", body=body,
                                  name_kk=f"Қабылдау {i}", name_ru=f"Приёмная {i}")])
    db.session.commit()
    db.session.expunge_all()
    after = {url: len(statements_of_get(client, url, headers=token)) for url in before}
    assert after == before
    venues = client.get("/api/v1/venues", headers=token).get_json()
    assert {v["code"]: v["body"] for v in venues}["RR-EXTRA-2"] == "EXTRA-2"

@pytest.mark.parametrize("start, n, expected", [
    ("2025-03-19", 3, "2025-03-27"),    # across Nauryz 21-24 March 2025 (24th: moved from 23rd)
    ("2026-12-30", 2, "2027-01-05"),    # across New Year
    ("2025-05-12", -5, "2025-04-30"),   # back over 9 May, 7 May and 1 May: 8, 6, 5, 2 May, 30 Apr
    ("2025-06-02", 0, "2025-06-02"),
])
def test_calendar_shift(client, token, start, n, expected):
    from datetime import date

    from docflow.calendar import default_calendar
    assert default_calendar().shift(date.fromisoformat(start), n).isoformat() == expected
    response = client.get(f"/api/v1/calendar/shift?from={start}&working_days={n}", headers=token)
    assert response.status_code == 200
    assert response.get_json()["date"] == expected


@pytest.mark.parametrize("query, field", [
    ("from=2025-13-01&working_days=3", "from"),
    ("from=2025-01-01&working_days=x", "working_days"),
    ("working_days=3", "from"),
    ("from=2031-01-05&working_days=3", "from"),
])
def test_calendar_shift_names_the_bad_field(client, token, query, field):
    response = client.get(f"/api/v1/calendar/shift?{query}", headers=token)
    assert response.status_code == 422
    body = response.get_json()
    assert response.mimetype == "application/problem+json" and field in body["errors"]


def test_calendar_year_lists_days_off_and_working_weekends(client, token):
    body = client.get("/api/v1/calendar/2025", headers=token).get_json()
    offs = {d["date"] for d in body["non_working_days"]}
    assert {"2025-01-03", "2025-03-21", "2025-03-24", "2025-12-16"} <= offs
    assert "2025-01-05" in {d["date"] for d in body["working_weekends"]}
    assert client.get("/api/v1/calendar/2031", headers=token).status_code == 422


def test_calendar_override_changes_the_api_answer(client, token):
    from datetime import date

    from docflow.calendar.store import set_override
    before = client.get("/api/v1/calendar/shift?from=2026-06-01&working_days=1",
                        headers=token).get_json()["date"]
    assert before == "2026-06-02"
    set_override(date(2026, 6, 2), False, "Test order: a day off")
    db.session.commit()
    after = client.get("/api/v1/calendar/shift?from=2026-06-01&working_days=1",
                       headers=token).get_json()
    assert after["date"] == "2026-06-03"
    assert after["skipped"] == [{"date": "2026-06-02", "reason": "Test order: a day off"}]
