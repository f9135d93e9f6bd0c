"""Sessions, sign-in and response headers (issue 10): cookie flags, idle sign-out, the sign-in
rate limit and account lockout, the password policy, security headers with a CSP that the
templates keep to (no inline scripts, handlers or styles), and errors without stack traces."""
import logging
import re
from datetime import timedelta
from pathlib import Path

import pytest
from itsdangerous import BadSignature

import config
from docflow import create_app
from docflow.auth import sessions
from docflow.auth.models import User, utcnow
from docflow.auth.operations import UserError, create_token, create_user
from docflow.auth.passwords import password_problems
from docflow.engine.audit import AuditEntry
from docflow.extensions import db
from tests.conftest import _config, csrf_token

ROOT = Path(__file__).resolve().parents[2]
WRONG = "Wrong login or password."


def sign_in(client, login, password):
    page = client.get("/login")
    return client.post("/login", data={"login": login, "password": password,
                                       "csrf_token": csrf_token(page.get_data(True))})


# ---------------------------------------------------------------- headers and templates

def test_security_headers_on_pages_json_static_and_errors(app, client):
    for url in ("/login", "/healthz", "/static/css/app.css", "/no-such-page",
                "/api/v1/openapi.json"):
        response = client.get(url)
        headers = response.headers
        assert headers["Content-Security-Policy"] == app.config["CONTENT_SECURITY_POLICY"], url
        assert "script-src 'self';" in headers["Content-Security-Policy"]
        assert "'unsafe-inline'" not in headers["Content-Security-Policy"]
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert "camera=()" in headers["Permissions-Policy"]
        assert "Strict-Transport-Security" not in headers  # embedded mode: plain http


def test_hsts_and_no_debug_in_production(tmp_path, monkeypatch):
    app = create_app(_config(tmp_path, DOCFLOW_ENV="production", DEBUG=True))
    assert app.debug is False and app.config["DEBUG"] is False
    response = app.test_client().get("/healthz")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    monkeypatch.setenv("FLASK_DEBUG", "1")
    with pytest.raises(SystemExit, match="FLASK_DEBUG"):
        create_app(_config(tmp_path, DOCFLOW_ENV="production"))


TEMPLATES = sorted(p for p in (ROOT / "templates").rglob("*.html")
                   if "documents" not in p.parts)  # documents/ are PDFs, not web pages


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT / "templates")))
def test_templates_have_no_inline_script_handler_or_style(path):
    source = path.read_text("utf-8")
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", source), "inline <script>"
    assert not re.search(r"\son[a-z]+\s*=", source), "on...= event handler attribute"
    assert not re.search(r"\sstyle\s*=", source), "style= attribute"
    assert "<style" not in source, "inline <style>"
    assert "javascript:" not in source


def test_no_stack_trace_to_users_but_a_reference_in_the_log(app, client, caplog):
    def boom():
        raise RuntimeError("secret internals")
    app.add_url_rule("/boom", "boom", boom)
    app.add_url_rule("/api/v1/boom", "api_boom", boom)
    with caplog.at_level(logging.ERROR, logger="docflow.errors"):
        page = client.get("/boom")
        api = client.get("/api/v1/boom")
    html = page.get_data(True)
    assert page.status_code == 500 and "secret internals" not in html and "Traceback" not in html
    reference = re.search(r'data-testid="error-reference">[^<]*?([0-9a-f]{12})', html).group(1)
    assert api.status_code == 500 and re.fullmatch(r"[0-9a-f]{12}", api.get_json()["reference"])
    assert "secret internals" not in api.get_data(True)
    logged = [r for r in caplog.records if reference in r.getMessage()]
    assert logged and logged[0].exc_info and "secret internals" in str(logged[0].exc_info[1])


# ------------------------------------------------------------------------------ cookies

def test_cookie_flags(app, client, make_user):
    make_user("cookie", "registrar")
    response = sign_in(client, "cookie", "secret-pass-1")
    cookie = next(v for v in response.headers.getlist("Set-Cookie") if v.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # embedded mode runs on http://127.0.0.1
    for cls in (config.Config, config.ProductionConfig):
        assert cls.SESSION_COOKIE_HTTPONLY and cls.REMEMBER_COOKIE_HTTPONLY
        assert cls.SESSION_COOKIE_SAMESITE == cls.REMEMBER_COOKIE_SAMESITE == "Lax"
    assert config.ProductionConfig.SESSION_COOKIE_SECURE is True
    assert config.ProductionConfig.REMEMBER_COOKIE_SECURE is True


def test_session_cookie_is_secure_in_production(tmp_path):
    app = create_app(_config(tmp_path, DOCFLOW_ENV="production", SESSION_COOKIE_SECURE=True,
                             REMEMBER_COOKIE_SECURE=True))
    with app.app_context():
        db.create_all()
        create_user("prod", "registrar", password="secret-pass-1")
        db.session.commit()
        response = sign_in(app.test_client(), "prod", "secret-pass-1")
        cookie = next(v for v in response.headers.getlist("Set-Cookie")
                      if v.startswith("session="))
        assert "Secure" in cookie and "HttpOnly" in cookie
        db.engine.dispose()


# --------------------------------------------------------------------------- idle timeout

def test_idle_session_is_signed_out_with_a_message(app, client, make_user, monkeypatch):
    make_user("idle", "registrar")
    now = [1_800_000_000]
    monkeypatch.setattr(sessions.time, "time", lambda: now[0])
    sign_in(client, "idle", "secret-pass-1")
    assert client.get("/").status_code == 200
    now[0] += 29 * 60  # active again just within 30 minutes: the clock restarts
    assert client.get("/").status_code == 200
    now[0] += 29 * 60
    assert client.get("/").status_code == 200
    now[0] += 31 * 60
    response = client.get("/worklist?x=1")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert "next=/worklist" in response.headers["Location"].replace("%2F", "/")
    page = client.get(response.headers["Location"]).get_data(True)
    assert "signed out after 30 minutes without activity" in page
    assert client.get("/").status_code == 302  # signed out for good, not just once


def test_idle_timeout_is_configurable_and_leaves_api_tokens_alone(app, client, make_user,
                                                                  monkeypatch):
    app.config["SESSION_IDLE_MINUTES"] = 5
    make_user("idle2", "registrar", venue_code=None)
    token = create_token("idle2")
    db.session.commit()
    now = [1_800_000_000]
    monkeypatch.setattr(sessions.time, "time", lambda: now[0])
    sign_in(client, "idle2", "secret-pass-1")
    now[0] += 6 * 60
    assert client.get("/").status_code == 302
    now[0] += 600 * 60
    api = client.get("/api/v1/bodies", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 200


def test_the_activity_time_is_written_at_most_once_a_minute(app, client, make_user,
                                                          monkeypatch):
    """Each page used to sign and send the session cookie again; now only when the activity
    time it carries is a minute old — and the idle sign-out still counts from it."""
    app.config["SESSION_IDLE_MINUTES"] = 5
    make_user("idle3", "registrar", venue_code=None)
    db.session.commit()
    now = [1_800_000_000]
    monkeypatch.setattr(sessions.time, "time", lambda: now[0])
    sign_in(client, "idle3", "secret-pass-1")
    assert client.get("/").status_code == 200
    now[0] += 30
    quiet = client.get("/")
    assert quiet.status_code == 200 and "Set-Cookie" not in quiet.headers
    now[0] += 31
    again = client.get("/")
    assert again.status_code == 200 and "session=" in again.headers.get("Set-Cookie", "")
    now[0] += 4 * 60 + 50  # under 5 minutes after the last written time: still signed in
    assert client.get("/").status_code == 200
    now[0] += 5 * 60 + 1
    assert client.get("/").status_code == 302


def test_the_session_signer_follows_the_secret_key(app):
    """The cookie signer is built once per key, not per request: a new SECRET_KEY still
    refuses the old cookies, and SECRET_KEY_FALLBACKS still accepts them."""
    interface = app.session_interface
    assert isinstance(interface, sessions.SessionInterface)
    signer = interface.get_signing_serializer(app)
    assert interface.get_signing_serializer(app) is signer  # not rebuilt per request
    cookie = signer.dumps({"_user_id": "1"})
    old = app.secret_key
    try:
        app.secret_key = "another-secret-key-for-this-test"
        renewed = interface.get_signing_serializer(app)
        assert renewed is not signer
        with pytest.raises(BadSignature):
            renewed.loads(cookie)
        app.config["SECRET_KEY_FALLBACKS"] = [old]
        assert interface.get_signing_serializer(app).loads(cookie) == {"_user_id": "1"}
    finally:
        app.secret_key = old
        app.config["SECRET_KEY_FALLBACKS"] = []


# ----------------------------------------------------------------- rate limit and lockout

def test_default_limits():
    assert config.Config.LOGIN_RATE_LIMIT == "20 per minute; 200 per hour"
    assert config.Config.LOGIN_ADDRESS_RATE_LIMIT == "100 per minute; 1000 per hour"
    assert config.Config.SESSION_IDLE_MINUTES == 30
    assert (config.Config.LOGIN_LOCKOUT_ATTEMPTS, config.Config.LOGIN_LOCKOUT_MINUTES) == (5, 15)
    assert config.ProductionConfig.RATELIMIT_STORAGE_URI.startswith(("redis://", "memory://"))


def test_sign_in_attempts_are_rate_limited_per_address(tmp_path):
    """Whatever the logins, one address gets LOGIN_ADDRESS_RATE_LIMIT attempts."""
    app = create_app(_config(tmp_path, LOGIN_ADDRESS_RATE_LIMIT="3 per minute",
                             LOGIN_LOCKOUT_ATTEMPTS=100))
    with app.app_context():
        db.create_all()
        client = app.test_client()
        codes = [sign_in(client, f"nobody{i}", "whatever-pass-1").status_code for i in range(4)]
        assert codes == [200, 200, 200, 429]
        blocked = sign_in(client, "nobody", "x")
        assert "Too many sign-in attempts" in blocked.get_data(True)
        assert "Retry-After" in blocked.headers
        assert client.get("/login").status_code == 200  # only POSTs count
        db.engine.dispose()


def test_sign_in_attempts_are_rate_limited_per_login_and_address(tmp_path):
    """One login hammered from an address is refused; colleagues at that address still sign in."""
    app = create_app(_config(tmp_path, LOGIN_RATE_LIMIT="3 per minute",
                             LOGIN_ADDRESS_RATE_LIMIT="100 per minute",
                             LOGIN_LOCKOUT_ATTEMPTS=100))
    with app.app_context():
        db.create_all()
        client = app.test_client()
        codes = [sign_in(client, "Nobody", "whatever-pass-1").status_code for _ in range(3)]
        codes.append(sign_in(client, " nobody ", "whatever-pass-1").status_code)
        assert codes == [200, 200, 200, 429]  # the login as typed, trimmed and case-folded
        others = [sign_in(client, f"colleague{i}", "whatever-pass-1").status_code
                  for i in range(5)]
        assert others == [200] * 5
        db.engine.dispose()


def test_production_counts_sign_ins_in_redis(tmp_path, redis_server):
    """Two app processes (two apps here) share the count through Redis."""
    import redis
    url = redis_server.url.rsplit("/", 1)[0] + "/7"
    redis.Redis.from_url(url).flushdb()
    for i in range(2):
        (tmp_path / str(i)).mkdir()
    apps = [create_app(_config(tmp_path / str(i), LOGIN_RATE_LIMIT="3 per minute",
                               RATELIMIT_STORAGE_URI=url)) for i in range(2)]
    codes = []
    for i in range(4):
        app = apps[i % 2]
        with app.app_context():
            db.create_all()
            codes.append(sign_in(app.test_client(), "nobody", "whatever-pass-1").status_code)
            db.engine.dispose()
    assert codes == [200, 200, 200, 429]
    assert any(b"LIMITER" in key for key in redis.Redis.from_url(url).keys("*"))


def test_behind_a_trusted_proxy_each_client_has_its_own_limit(tmp_path):
    app = create_app(_config(tmp_path, LOGIN_RATE_LIMIT="2 per minute", TRUSTED_PROXIES=1))
    with app.app_context():
        db.create_all()
        client = app.test_client()

        def attempt(address):
            page = client.get("/login")
            return client.post("/login", headers={"X-Forwarded-For": address}, data={
                "login": "x", "password": "y", "csrf_token": csrf_token(page.get_data(True))
            }).status_code
        assert [attempt("10.0.0.1") for _ in range(3)] == [200, 200, 429]
        assert attempt("10.0.0.2") == 200
        db.engine.dispose()


def test_account_lockout_after_failed_attempts(app, client, make_user):
    user = make_user("victim", "registrar")
    attempts = app.config["LOGIN_LOCKOUT_ATTEMPTS"]
    for _ in range(attempts):
        wrong = sign_in(client, "victim", "not-the-password")
        assert WRONG in wrong.get_data(True)
    db.session.refresh(user)
    assert user.locked_until is not None and user.locked_until > utcnow()
    right = sign_in(client, "victim", "secret-pass-1")
    assert right.status_code == 200, "a locked account must refuse even the right password"
    # the same words as for a login that does not exist: nothing tells which logins are real
    ghost = sign_in(client, "no-such-login", "secret-pass-1")
    strip = lambda r: re.sub(r'value="[^"]*"', "", r.get_data(True))  # noqa: E731
    assert strip(right) == strip(ghost).replace("no-such-login", "victim")
    locked = db.session.execute(db.select(AuditEntry).where(
        AuditEntry.action == "account_locked")).scalars().all()
    assert [e.actor_id for e in locked] == [user.id]
    # after the lockout the right password works again and the counter starts over
    user.locked_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert sign_in(client, "victim", "secret-pass-1").status_code == 302
    db.session.refresh(user)
    assert user.failed_logins == 0 and user.locked_until is None


def test_failures_below_the_limit_do_not_lock(app, client, make_user):
    user = make_user("careful", "registrar")
    for _ in range(app.config["LOGIN_LOCKOUT_ATTEMPTS"] - 1):
        sign_in(client, "careful", "typo-typo-typo")
    assert sign_in(client, "careful", "secret-pass-1").status_code == 302
    db.session.refresh(user)
    assert user.failed_logins == 0 and user.locked_until is None


# ------------------------------------------------------------------------ password policy

@pytest.mark.parametrize("password, login, problem", [
    ("short-pw-1", "anna", "at least 12"),
    ("123456789012345", "anna", "digits only"),
    ("anna.sultanova", "anna.sultanova", "not be the login"),
    ("ANNA.SULTANOVA1", "anna.sultanova", "not be the login"),
    ("password1234", "anna", "too common"),
    ("Qwerty123456", "anna", "too common"),
    ("", "anna", "at least 12"),
])
def test_password_policy_refuses(app, password, login, problem):
    assert any(problem in p for p in password_problems(password, login))


@pytest.mark.parametrize("password", ["correct horse battery", "Жасыл-алма-2026", "s3cret-pass-12"])
def test_password_policy_accepts(app, password):
    assert password_problems(password, "anna") == []


def test_cli_users_create_enforces_the_policy(app):
    runner = app.test_cli_runner()
    bad = runner.invoke(args=["users", "create", "weak", "--role", "admin",
                              "--password", "12345678901234"])
    assert bad.exit_code != 0 and "digits only" in bad.output
    assert db.session.execute(db.select(User).where(User.login == "weak")).first() is None
    good = runner.invoke(args=["users", "create", "strong", "--role", "admin",
                               "--password", "a-long-enough-one"])
    assert good.exit_code == 0, good.output
    with pytest.raises(UserError, match="too common"):
        create_user("other", "admin", password="password1234")


def test_change_password_page(app, client, make_user):
    user = make_user("changer", "registrar")
    sign_in(client, "changer", "secret-pass-1")
    page = client.get("/account/password")
    assert page.status_code == 200
    token = csrf_token(page.get_data(True))

    def change(current, new, confirm=None):
        return client.post("/account/password", data={
            "csrf_token": token, "current": current, "new": new, "confirm": confirm or new})
    assert "current password is wrong" in change("nope-nope-nope", "a-new-long-pass").get_data(True)
    assert "at least 12" in change("secret-pass-1", "short").get_data(True)
    assert "not be the login" in change("secret-pass-1", "changer").get_data(True)
    assert "passwords differ" in change("secret-pass-1", "a-new-long-pass", "other-pass-123")\
        .get_data(True)
    db.session.refresh(user)
    assert user.check_password("secret-pass-1")
    done = change("secret-pass-1", "a-new-long-pass")
    assert done.status_code == 302
    db.session.refresh(user)
    assert user.check_password("a-new-long-pass") and not user.check_password("secret-pass-1")
    assert db.session.execute(db.select(AuditEntry).where(
        AuditEntry.action == "password_changed")).scalar_one().actor_id == user.id
