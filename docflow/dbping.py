"""Checking pooled database connections before use, only when they may have gone stale.

SQLAlchemy's ``pool_pre_ping`` sends ``SELECT 1`` on every checkout: one more round trip to
PostgreSQL per request (per API intake, a third of its statements' round trips). Here a
connection is pinged only when it has waited in the pool longer than
``DATABASE_PING_IDLE_SECONDS`` (config; 0 pings every checkout, as ``pool_pre_ping`` does):
connections a firewall or PostgreSQL's idle timeout may have dropped are still checked, and a
dead one is replaced before the request uses it (SQLAlchemy's documented pessimistic
"checkout" handler: raising DisconnectionError makes the pool retry with a new connection).

A connection that died while in busy use (PostgreSQL restarted) is found by the request's own
statement instead: that request answers 503 problem+json (docflow.errors), SQLAlchemy then
invalidates every connection of the pool opened before the failure, and the next requests
connect afresh (tests/hardening/test_faults.py restarts PostgreSQL under intake load).
"""
import time

from sqlalchemy import event, exc

CHECKED_IN = "docflow_checked_in"


def init_engine(engine, idle_seconds: float) -> None:
    """Install the idle-only ping on ``engine``'s pool (once per engine)."""
    if getattr(engine, "_docflow_ping", False):
        return
    engine._docflow_ping = True
    dialect = engine.dialect

    @event.listens_for(engine, "connect")
    @event.listens_for(engine, "checkin")
    def _checked_in(dbapi_connection, record):
        record.info[CHECKED_IN] = time.monotonic()  # a new connection needs no ping either

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection, record, proxy):
        since = record.info.get(CHECKED_IN)
        if since is not None and time.monotonic() - since < idle_seconds:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as error:
            if dialect.is_disconnect(error, dbapi_connection, None):
                raise exc.DisconnectionError() from error
            raise
