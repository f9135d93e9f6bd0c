"""Fixtures: apps on SQLite and on a real PostgreSQL, a real Redis, a live server and Chromium.

`app` is SQLite (a file per test); `pg_app` is the session's PostgreSQL server; `db_app` runs a
test on both. Factories (`make_user`) build what a test needs; `login` signs a test client in.
"""
import os
import re
import shutil
import subprocess
import sys
import threading
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from docflow import create_app
from docflow.extensions import db
from tests.services import IN_CI, PostgresServer, RedisServer, unavailable, wait_for_port

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"


def pytest_sessionstart(session):
    # The .po catalogues are committed; the tests read compiled ones, as the app does.
    subprocess.run([str(Path(sys.executable).parent / "pybabel"), "compile", "-d",
                    str(ROOT / "translations")], check=True, capture_output=True)


def _config(tmp_path, **extra) -> dict:
    return {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'test.sqlite3'}",
            "BLOB_STORE": str(tmp_path / "blobs"), "JOBS_BACKEND": "embedded", **extra}


@pytest.fixture(scope="session")
def _sqlite_schema(tmp_path_factory):
    """One SQLite file with the schema (``create_all()``), made once; each test's ``app`` starts
    from a copy of it (a file copy costs ~1 ms, ``create_all()`` ~0.15 s a test)."""
    folder = tmp_path_factory.mktemp("sqlite-schema")
    template = create_app(_config(folder))
    with template.app_context():
        db.create_all()
        db.session.remove()
        db.engine.dispose()  # the last connection closing checkpoints the WAL into the file
    path = folder / "test.sqlite3"
    for suffix in ("-wal", "-shm"):
        assert not path.with_name(path.name + suffix).exists(), "the WAL was not checkpointed"
    return path


@pytest.fixture
def app(tmp_path, _sqlite_schema):
    shutil.copyfile(_sqlite_schema, tmp_path / "test.sqlite3")
    app = create_app(_config(tmp_path))
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="session")
def postgres():
    server = PostgresServer()
    if not server.bindir or not shutil.which("runuser"):
        unavailable("PostgreSQL", "no /usr/lib/postgresql/*/bin (Debian package postgresql)")
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def _pg_schema(postgres, tmp_path_factory):
    app = create_app(_config(tmp_path_factory.mktemp("pgschema"),
                             SQLALCHEMY_DATABASE_URI=postgres.url()))
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    return postgres.url()


@pytest.fixture
def pg_app(_pg_schema, tmp_path):
    app = create_app(_config(tmp_path, SQLALCHEMY_DATABASE_URI=_pg_schema))
    with app.app_context():
        yield app
        db.session.remove()
        tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
        with db.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.engine.dispose()


@contextmanager
def own_database(request, kind: str, folder: Path):
    """An app (context pushed) on a database of its own, for a module-scoped fixture whose data
    several read-only tests share: a copy of the SQLite schema in ``folder``, or a new database
    on the session's PostgreSQL server (its schema by create_all(), as _pg_schema's; dropped
    afterwards), apart from the one pg_app's tests truncate."""
    if kind == "sqlite":
        shutil.copyfile(request.getfixturevalue("_sqlite_schema"), folder / "test.sqlite3")
        app = create_app(_config(folder))
        with app.app_context():
            yield app
            db.session.remove()
            db.engine.dispose()
        return
    server = request.getfixturevalue("postgres")
    name = f"docflow_{folder.name.replace('-', '_').lower()}"
    admin = create_engine(server.url("postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        app = create_app(_config(folder, SQLALCHEMY_DATABASE_URI=server.url(name)))
        with app.app_context():
            db.create_all()
            yield app
            db.session.remove()
            db.engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_app(request):
    """The same test on the embedded SQLite and on PostgreSQL."""
    return request.getfixturevalue("app" if request.param == "sqlite" else "pg_app")


@pytest.fixture(scope="session")
def redis_server():
    server = RedisServer()
    if not server.binary:
        unavailable("Redis", "no redis-server (Debian package redis-server)")
    server.start()
    yield server
    server.close()


@pytest.fixture
def make_user(app):
    from docflow.auth.operations import create_user

    def make(login="user", role="registrar", password="secret-pass-1", **kw):
        user = create_user(login, role, password=password, **kw)
        db.session.commit()
        return user
    return make


@pytest.fixture
def pin_clock(monkeypatch):
    """A factory: ``pin_clock(moment)`` sets the clock to ``moment`` (aware), running on from
    there, as a server in UTC would see it: ``docflow.i18n.utc_now`` (what ``local_today``, the
    venues' date, reads) and ``time.time`` in a process on UTC (what ``date.today()``, the
    server's date, reads), so code still on the server's date shows it. ``datetime.now`` (stored
    timestamps) keeps the real clock."""
    import time

    from docflow import i18n

    real_time, zone = time.time, os.environ.get("TZ")

    def pin(moment: datetime) -> datetime:
        assert moment.tzinfo is not None, "pin an aware moment"
        offset = moment.timestamp() - real_time()
        monkeypatch.setattr(time, "time", lambda: real_time() + offset)
        monkeypatch.setattr(i18n, "utc_now",
                            lambda: datetime.fromtimestamp(real_time() + offset, UTC))
        os.environ["TZ"] = "UTC"
        time.tzset()
        return moment
    yield pin
    if zone is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = zone
    time.tzset()


@pytest.fixture
def writing_day(pin_clock):
    """The venues' today is Thursday 26 November 2026, 12:00 in Almaty: the day the tests with
    hard-coded dates (appeals received on the 25th, receptions in December) were written for, so
    that their due dates, "overdue" and "due in N working days" stay what they state on any day
    the suite runs (found by running it under faketime at 2026-12-31 20:30 UTC)."""
    from zoneinfo import ZoneInfo

    return pin_clock(datetime(2026, 11, 26, 12, 0, tzinfo=ZoneInfo("Asia/Almaty")))


@pytest.fixture
def demo(app):
    from docflow.demo import load_demo
    return load_demo()


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or \
        re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


@pytest.fixture
def login(client):
    def do(login, password="secret-pass-1"):
        page = client.get("/login")
        return client.post("/login", data={"login": login, "password": password,
                                           "csrf_token": csrf_token(page.get_data(True))})
    return do


class LiveServer(threading.Thread):
    """The app served by a real WSGI server in a thread, for the browser."""

    def __init__(self, app):
        from werkzeug.serving import make_server
        super().__init__(daemon=True)
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def run(self):
        self.server.serve_forever()

    def stop(self):
        self.server.shutdown()


@pytest.fixture
def live(app):
    server = LiveServer(app)
    server.start()
    wait_for_port(server.server.server_port)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        unavailable("Chromium", f"no {CHROMIUM} (Debian package chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--disable-dev-shm-usage"])
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="ru-RU")
    page = context.new_page()
    yield page
    context.close()


__all__ = ["IN_CI"]
