"""Fixtures for the schedules area: the demo reference data and users, a month with known
working days, and a factory that builds a schedule in any state through the operations.

Speed: ``app`` is overridden here: one app for the session, and before each test a fresh copy of
one SQLite file made once with the schema and the demo data (``create_app()``, ``create_all()``
and ``load_demo()`` cost about a second a test); each test starts from the same database.
"""
import shutil
from datetime import date, time

import pytest

from docflow import create_app
from docflow.auth.models import User
from docflow.demo import load_demo
from docflow.extensions import db
from docflow.reference.models import Official, Venue
from docflow.schedules import operations as ops
from docflow.schedules.checks import EntryData

MONTH = date(2026, 12, 1)  # 16 December is Independence Day; 5-6 December a weekend
PASSWORD = "demo-pass-2026"


class World:
    def user(self, role: str) -> User:
        login = f"demo-{role.replace('_', '-')}"
        return db.session.execute(db.select(User).where(User.login == login)).scalar_one()

    def venue(self, code: str) -> Venue:
        return db.session.execute(db.select(Venue).where(Venue.code == code)).scalar_one()

    def official(self, code: str) -> Official:
        return db.session.execute(db.select(Official).where(Official.code == code)).scalar_one()

    def entry(self, code: str, day: int, start=(10, 0), end=(12, 0), slot=30, capacity=4,
              month: date = MONTH) -> EntryData:
        return EntryData(self.official(code), month.replace(day=day), time(*start), time(*end),
                         slot, capacity)

    def schedule(self, venue_code: str, entries=(), state: str = "draft", month: date = MONTH,
                 acknowledge: bool = True):
        """A schedule of ``venue_code`` with ``entries`` (EntryData), taken up to ``state``."""
        preparer = self.user("admin")
        schedule = ops.create_schedule(self.venue(venue_code), month, preparer)
        for data in entries:
            ops.add_entry(schedule, preparer, data)
        steps = ["submitted", "approved", "published"]
        if state in steps:
            ops.submit(schedule, self.user("registrar" if venue_code == "CRC-AST" else "admin"))
        if state in steps[1:]:
            ops.approve(schedule, self.user("government_office"), acknowledge=acknowledge,
                        reason="Test: the others receive next month.")
        if state == "published":
            ops.publish(schedule, preparer)
        db.session.commit()
        return schedule


def _config(folder) -> dict:
    return {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'test.sqlite3'}",
            "BLOB_STORE": str(folder / "blobs"), "JOBS_BACKEND": "embedded"}


@pytest.fixture(scope="session")
def _demo_database(tmp_path_factory):
    folder = tmp_path_factory.mktemp("schedules-template")
    template = create_app(_config(folder))
    with template.app_context():
        db.create_all()
        load_demo()
        db.session.remove()
        db.engine.dispose()  # the last connection closing checkpoints the WAL into the file
    return folder / "test.sqlite3"


@pytest.fixture(scope="session")
def _schedules_app(tmp_path_factory):
    folder = tmp_path_factory.mktemp("schedules-app")
    return create_app(_config(folder)), folder / "test.sqlite3"


@pytest.fixture
def app(_demo_database, _schedules_app):
    """One app for the session, a fresh copy of the demo database for each test (the blob store
    is shared: it is content-addressed, so tests cannot disturb each other there)."""
    app, path = _schedules_app
    for suffix in ("-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    shutil.copyfile(_demo_database, path)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def demo(app):
    """The demo data is already in the copied database."""


@pytest.fixture
def world(app):
    return World()
