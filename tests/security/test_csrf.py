"""CSRF (issue 10): every route outside /api/ that changes state refuses a signed-in POST, PUT,
PATCH or DELETE without a CSRF token (400). The routes are read from the app's url_map, so a
route added later is covered without touching this test. The API takes bearer tokens, never the
session cookie, so it needs no CSRF token.

TestConfig keeps WTF_CSRF_ENABLED on (other tests send the token like a browser does); this test
sets it explicitly so a change of the default cannot silently disable it here."""
from datetime import date

import pytest

from tests.conftest import csrf_token

UNSAFE = ("POST", "PUT", "PATCH", "DELETE")
SAMPLE = {"int": 1, "yearmonth": "2026-12", "default": "x", "string": "x", "path": "x"}


def unsafe_routes(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/") or rule.endpoint == "static":
            continue
        for method in sorted(set(rule.methods or ()) & set(UNSAFE)):
            yield rule, method


def build(app, rule) -> str:
    values = {}
    for name, converter in rule._converters.items():
        kind = next((k for k, cls in app.url_map.converters.items()
                     if type(converter) is cls), "default")
        values[name] = SAMPLE.get(kind, date(2026, 12, 1) if kind == "yearmonth" else "x")
    return rule.build(values, append_unknown=False)[1]


@pytest.fixture
def signed_in(app, client, demo):
    app.config["WTF_CSRF_ENABLED"] = True
    app.config["WTF_CSRF_CHECK_DEFAULT"] = True
    page = client.get("/login")
    done = client.post("/login", data={"login": "demo-admin", "password": "demo-pass-2026",
                                       "csrf_token": csrf_token(page.get_data(True))})
    assert done.status_code == 302
    return client


def test_there_are_state_changing_routes_to_check(app):
    routes = list(unsafe_routes(app))
    assert len(routes) >= 20
    assert any(rule.rule == "/logout" for rule, _ in routes)


def test_every_state_changing_form_refuses_a_request_without_csrf_token(app, signed_in):
    unprotected = []
    for rule, method in unsafe_routes(app):
        url = build(app, rule)
        response = signed_in.open(url, method=method, data={"anything": "1"},
                                  headers={"Accept": "text/html"})
        body = response.get_data(True)
        if response.status_code != 400 or "The form has expired" not in body:
            unprotected.append(f"{method} {rule.rule} -> {response.status_code}")
    assert unprotected == []


def test_a_wrong_token_is_refused_too_and_a_right_one_passes(app, signed_in):
    wrong = signed_in.post("/logout", data={"csrf_token": "forged"})
    assert wrong.status_code == 400
    page = signed_in.get("/")
    right = signed_in.post("/logout", data={"csrf_token": csrf_token(page.get_data(True))})
    assert right.status_code == 302


def test_the_api_needs_no_csrf_token_but_a_bearer_token(app, client, demo):
    from docflow.auth.operations import create_token
    from docflow.extensions import db
    token = create_token("demo-registrar")
    db.session.commit()
    rules = [rule for rule in app.url_map.iter_rules()
             if rule.rule.startswith("/api/") and "POST" in (rule.methods or ())]
    assert rules
    response = client.post("/api/v1/appeals", json={},
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 422  # validated, not refused for a missing CSRF token
