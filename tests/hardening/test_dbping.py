"""docflow.dbping: a pooled connection is pinged only after it idled in the pool; a dead idle
connection is replaced before the request sees it; a busy one costs no round trip."""
import pytest
from sqlalchemy import create_engine, text

from docflow import dbping

pytestmark = pytest.mark.postgres


@pytest.fixture
def engine(postgres):
    engine = create_engine(postgres.url(), pool_size=1, max_overflow=0)
    yield engine
    engine.dispose()


def count_pings(engine, monkeypatch) -> list:
    pings = []
    real = engine.dialect.do_ping

    def do_ping(dbapi_connection):
        pings.append(1)
        return real(dbapi_connection)

    monkeypatch.setattr(engine.dialect, "do_ping", do_ping)
    return pings


def backend_pid(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT pg_backend_pid()")).scalar()


def test_a_connection_back_from_a_request_a_moment_ago_is_not_pinged(engine, monkeypatch):
    dbping.init_engine(engine, idle_seconds=60)
    pings = count_pings(engine, monkeypatch)
    for _ in range(5):
        backend_pid(engine)
    assert pings == []


def test_a_dead_idle_connection_is_replaced_before_use(engine, postgres, monkeypatch):
    dbping.init_engine(engine, idle_seconds=0)  # every checkout counts as idle
    pings = count_pings(engine, monkeypatch)
    first = backend_pid(engine)
    killer = create_engine(postgres.url())
    with killer.begin() as conn:
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
    killer.dispose()
    second = backend_pid(engine)  # no error: the ping found it dead, the pool reconnected
    assert second != first
    assert len(pings) >= 2


def test_without_the_idle_ping_a_dead_busy_connection_fails_once(engine, postgres):
    """What the idle ping does not cover (PostgreSQL restarted while connections are busy):
    the request's statement fails, as a disconnect, and the pool then starts afresh."""
    from sqlalchemy.exc import DBAPIError
    dbping.init_engine(engine, idle_seconds=60)
    first = backend_pid(engine)
    killer = create_engine(postgres.url())
    with killer.begin() as conn:
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
    killer.dispose()
    with pytest.raises(DBAPIError) as failure:
        backend_pid(engine)
    assert failure.value.connection_invalidated  # docflow.errors answers 503 for it
    assert backend_pid(engine) != first
