"""An API intake answers only once its appeal is on disk (issue 5, R25).

The intake's writing statement commits without waiting for the WAL flush, so that the venue's
number lock is not held during the flush (docflow.dbprepared.COMMIT_WITHOUT_WAITING); a third
statement then waits for the flush. Here nothing else may write the WAL buffers to the files:
the WAL writer is stopped (SIGSTOP), so an appeal whose 201 did not wait for the flush would
exist only in PostgreSQL's shared memory, and the crash below (the WAL writer killed: the
postmaster resets every process and replays the WAL files) would lose it and its number.
Without ``wait_durable()`` this test loses all three appeals."""
import os
import signal
import time

import psycopg
import pytest

from docflow import create_app
from docflow.extensions import db
from tests.conftest import _config
from tests.services import PostgresServer

pytestmark = pytest.mark.postgres


@pytest.fixture
def durable_pg(postgres):  # the session's server only tells that PostgreSQL is there
    server = PostgresServer(durable=True).start()  # synchronous commit, as production
    yield server
    _connect(server).close()  # out of crash recovery before it is stopped
    server.stop()


def _connect(server: PostgresServer, timeout: float = 30.0) -> psycopg.Connection:
    url = server.url().replace("postgresql+psycopg", "postgresql")
    deadline = time.monotonic() + timeout
    while True:
        try:
            return psycopg.connect(url, autocommit=True, connect_timeout=2)
        except psycopg.OperationalError:  # still in crash recovery
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_a_201_means_the_appeal_and_its_number_survive_a_crash(durable_pg, tmp_path):
    from docflow.demo import load_demo
    from tests.api.test_appeals_api import bearer, body

    app = create_app(_config(tmp_path, SQLALCHEMY_DATABASE_URI=durable_pg.url()))
    with app.app_context():
        db.create_all()
        load_demo()
        db.session.commit()
        headers = bearer("demo-integration")
        with _connect(durable_pg) as conn:
            assert conn.execute("SHOW synchronous_commit").fetchone()[0] == "on"
            walwriter = conn.execute("SELECT pid FROM pg_stat_activity "
                                     "WHERE backend_type = 'walwriter'").fetchone()[0]
        os.kill(walwriter, signal.SIGSTOP)
        try:
            client = app.test_client()
            numbers = []
            for n in range(3):
                made = client.post("/api/v1/appeals", json=body(external_id=f"D-{n}"),
                                   headers=headers)
                assert made.status_code == 201, made.get_json()
                numbers.append(made.get_json()["registration_number"])
        finally:
            # a crash (SIGKILL ends a stopped process too): the postmaster resets the shared
            # memory, WAL buffers included, and replays the WAL files
            os.kill(walwriter, signal.SIGKILL)
        db.session.remove()
        db.engine.dispose()
    assert numbers == [f"CRC-AST-2026-00000{n}" for n in (1, 2, 3)]
    time.sleep(0.5)  # the postmaster notices the crash and restarts after recovery
    with _connect(durable_pg) as conn:
        found = conn.execute("SELECT external_id, registration_number FROM appeal "
                             "ORDER BY registration_seq").fetchall()
        last = conn.execute("SELECT last FROM registration_counter "
                            "WHERE scope = 'CRC-AST' AND year = 2026").fetchone()
    assert found == [(f"D-{n}", number) for n, number in enumerate(numbers)]
    assert last == (3,)
