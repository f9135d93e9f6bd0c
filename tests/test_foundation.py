"""Issue 3: configuration modes, the users/tokens commands (contract), sign-in, i18n, health."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from docflow.auth.models import ApiToken, User
from docflow.extensions import db
from tests.flask_forks import run_commands

ROOT = Path(__file__).resolve().parent.parent
FLASK = [sys.executable, "-m", "flask", "--app", "docflow"]


def flask_env(env=None, instance=None) -> dict:
    full_env = {k: v for k, v in os.environ.items() if k not in ("DOCFLOW_ENV", "SECRET_KEY",
                                                                  "DATABASE_URL", "REDIS_URL")}
    if instance:
        full_env["DOCFLOW_INSTANCE"] = str(instance)
    full_env.update(env or {})
    return full_env


def run_flask(*args, env=None, instance=None):
    return subprocess.run([*FLASK, *args], cwd=ROOT, env=flask_env(env, instance),
                          capture_output=True, text=True, timeout=120)


def test_production_without_secret_key_refuses_to_start(tmp_path):
    result = run_flask("users", "create", "x", "--role", "admin",
                       env={"DOCFLOW_ENV": "production", "DATABASE_URL": "postgresql://x/y",
                            "REDIS_URL": "redis://127.0.0.1:1/0"})
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr and "Refusing to start" in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_mode_is_refused(tmp_path):
    result = run_flask("users", "create", "x", "--role", "admin", env={"DOCFLOW_ENV": "staging"})
    assert result.returncode != 0 and "staging" in result.stderr


def test_users_and_tokens_commands_embedded(tmp_path):
    """The contract commands, run as operators run them: from the project root, each in its
    own process (forked from one that has imported the app: tests/flask_forks.py)."""
    upgrade, demo, made, again, bad_role, bad_venue, token = run_commands(
        ["db", "upgrade"], ["demo", "load"],
        ["users", "create", "op1", "--role", "registrar", "--venue", "CRC-AST",
         "--password", "pw-123456-op1", "--cleared-restricted"],
        ["users", "create", "op1", "--role", "head"],
        ["users", "create", "op2", "--role", "king"],
        ["users", "create", "op3", "--role", "registrar", "--venue", "NOPE"],
        ["tokens", "create", "op1"], env=flask_env(instance=tmp_path))
    assert upgrade.returncode == 0, upgrade.stderr
    assert demo.returncode == 0, demo.stderr
    assert made.returncode == 0, made.stderr
    assert again.returncode != 0 and "already exists" in again.stderr
    assert bad_role.returncode != 0 and "king" in bad_role.stderr
    assert bad_venue.returncode != 0 and "NOPE" in bad_venue.stderr
    assert token.returncode == 0
    last_line = token.stdout.strip().splitlines()[-1]
    from docflow import create_app
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'docflow.sqlite3'}"})
    with app.app_context():
        user = ApiToken.find_user(last_line)
        assert user is not None and user.login == "op1"
        assert user.roles[0].role == "registrar" and user.roles[0].cleared_restricted
        assert user.roles[0].venue.code == "CRC-AST"
        assert db.session.execute(db.select(db.func.count(User.id)).where(
            User.login == "op3")).scalar() == 0


@pytest.mark.postgres
def test_users_create_on_postgresql(pg_app):
    from docflow.auth.operations import UserError, create_user
    from docflow.demo import load_demo

    load_demo()
    load_demo()  # twice: nothing is duplicated
    assert db.session.execute(db.select(db.func.count(User.id))).scalar() == 14
    with pytest.raises(UserError, match="already exists"):
        create_user("demo-head", "head")


def test_demo_load_is_idempotent(app):
    from docflow.demo import load_demo
    from docflow.reference.models import Venue

    first = load_demo()
    second = load_demo()
    assert first == second
    assert db.session.execute(db.select(db.func.count(User.id))).scalar() == len(first) == 14
    assert {v.kind for v in db.session.execute(db.select(Venue)).scalars()} == {
        "reception_center", "reception_room"}


@pytest.mark.parametrize("lang, heading, label", [
    ("kk", "Кіру", "Құпиясөз"),
    ("ru", "Войти", "Пароль"),
    ("en", "Sign in", "Password"),
])
def test_sign_in_page_in_each_language(client, lang, heading, label):
    html = client.get(f"/login?lang={lang}").get_data(True)
    assert f"<h1>{heading}</h1>" in html and label in html
    assert f'<html lang="{lang}">' in html


def test_language_choice_is_remembered_and_kazakh_is_default(app, client):
    from config import Config
    assert Config.BABEL_DEFAULT_LOCALE == "kk"
    app.config["BABEL_DEFAULT_LOCALE"] = "kk"
    assert "<h1>Кіру</h1>" in client.get("/login").get_data(True)
    assert "<h1>Войти</h1>" in client.get("/login", headers={"Accept-Language": "ru"}).get_data(True)
    client.get("/login?lang=en")
    assert "<h1>Sign in</h1>" in client.get("/login").get_data(True)


def test_sign_in_and_out(client, make_user, login):
    make_user("reg1", "registrar", password="pw-abcdef-12")
    assert client.get("/?lang=kk").status_code == 302
    bad = login("reg1", "wrong")
    assert bad.status_code == 200 and "Құпиясөз қате" in bad.get_data(True) or \
        "Логин немесе құпиясөз қате" in bad.get_data(True)
    ok = login("reg1", "pw-abcdef-12")
    assert ok.status_code == 302 and ok.headers["Location"] == "/"
    start = client.get("/?lang=ru").get_data(True)
    assert "Приём обращений" in start and "Регистратор" in start


def test_user_language_is_saved(client, make_user, login):
    user = make_user("reg2", "registrar", password="pw-abcdef-12")
    login("reg2", "pw-abcdef-12")
    client.get("/?lang=ru")
    db.session.expire_all()
    assert db.session.get(User, user.id).language == "ru"


def test_login_form_requires_csrf(client, make_user):
    make_user("reg3", "registrar", password="pw-abcdef-12")
    response = client.post("/login", data={"login": "reg3", "password": "pw-abcdef-12"})
    assert response.status_code == 400
    assert client.get("/").status_code == 302  # not signed in


def test_open_redirect_after_login_is_refused(client, make_user, login):
    make_user("reg4", "registrar", password="pw-abcdef-12")
    page = client.get("/login?next=//evil.example/")
    from tests.conftest import csrf_token
    response = client.post("/login?next=//evil.example/", data={
        "login": "reg4", "password": "pw-abcdef-12", "csrf_token": csrf_token(page.get_data(True))})
    assert response.headers["Location"] == "/"


def test_unknown_page_is_a_friendly_404_and_api_gets_problem_json(client):
    page = client.get("/no-such-page?lang=en")
    assert page.status_code == 404 and "Not found" in page.get_data(True)
    api = client.get("/api/v1/nothing-here")
    assert api.status_code == 404 and api.mimetype == "application/problem+json"
    assert api.get_json()["status"] == 404


def test_healthz_names_the_missing_worker(app, client):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["down"] == ["worker"]


def test_healthz_ok_with_the_embedded_worker(app, client):
    from docflow.jobs import start_background

    start_background(app)
    try:
        body = client.get("/healthz").get_json()
        assert body["status"] == "ok" and body["checks"]["database"]["ok"]
    finally:
        app.extensions.pop("docflow_worker").stop()


def test_healthz_names_a_dead_database(tmp_path):
    from docflow import create_app
    from docflow.jobs import start_background
    app = create_app({"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/none"})
    start_background(app)
    try:
        response = app.test_client().get("/healthz")
        assert response.status_code == 503 and "database" in response.get_json()["down"]
    finally:
        app.extensions.pop("docflow_worker").stop()




@pytest.mark.parametrize("role,shown", [("head", True), ("deputy", True), ("registrar", False)])
def test_the_heads_start_page_leads_to_the_briefs_awaiting_decision(client, make_user, login,
                                                                   role, shown):
    """R26: a head's or deputy's first page links to the appeals whose brief waits for them;
    another role's does not."""
    make_user("start-" + role, role, password="start-password-2026")
    login("start-" + role, "start-password-2026")
    page = client.get("/?lang=en").get_data(as_text=True)
    assert ('href="/search?f_state=brief_ready"' in page) is shown
    assert ("Appeals awaiting your decision" in page) is shown
