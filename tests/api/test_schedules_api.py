"""GET /api/v1/schedules?venue=CODE&month=YYYY-MM (DESIGN §5, contract; R8)."""

import pytest

from docflow.auth.operations import create_token
from docflow.extensions import db
from docflow.i18n import local_today


@pytest.fixture
def token(app, demo):
    from docflow.schedules.demo import load_demo_schedules
    load_demo_schedules(local_today())
    value = create_token("demo-integration")
    db.session.commit()
    return {"Authorization": f"Bearer {value}"}


def test_published_schedule_in_both_languages(client, token):
    month = local_today().strftime("%Y-%m")
    response = client.get(f"/api/v1/schedules?venue=CRC-AST&month={month}", headers=token)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["month"] == month and body["status"] == "published" and body["entries"]
    text = str(body["entries"])
    assert "Әбілқасымова" in text and "Абылкасымова" in text  # kk and ru names (R8)


@pytest.mark.parametrize("query, status, field", [
    ("venue=NOPE&month=2026-11", 422, "venue"),
    ("venue=CRC-AST&month=2026-13", 422, "month"),
    ("venue=CRC-AST", 422, "month"),
    ("venue=CRC-AST&month=2020-01", 404, None),
])
def test_bad_queries(client, token, query, status, field):
    response = client.get(f"/api/v1/schedules?{query}", headers=token)
    assert response.status_code == status
    if field:
        assert field in response.get_json()["errors"]
