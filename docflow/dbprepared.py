"""Keeping PostgreSQL's prepared statements from one request to the next.

psycopg prepares a statement on the server once the connection has run it five times
(``prepare_threshold``); the server then parses and plans it once instead of every time. For the
daily screens at scale that is most of PostgreSQL's work: planning the case view's main
statement costs ~4 ms of PostgreSQL CPU, running it prepared ~0.3 ms (issue 11). But psycopg
throws the connection's prepared statements away on every ROLLBACK (an object they name may have
been created in the rolled-back transaction), and every request used to end with one: the
session's close, then the pool's reset. So nothing was ever prepared.

Here a request that wrote nothing ends its transaction with COMMIT instead: for a transaction
without writes COMMIT and ROLLBACK do the same, and the pool's reset then finds no transaction to
roll back. "Wrote nothing" is decided by the statements the connection ran in the transaction:
anything that does not begin with SELECT counts as a write (INSERT, UPDATE, DELETE, DDL, a
``WITH`` that might modify, ``SET``), and so does an object changed in the session but not
flushed; a request that failed (an exception reached the teardown) is rolled back as before. A
transaction that wrote keeps its ROLLBACK, as do jobs and commands (they are not requests).

Which statements are prepared: only those that ask for it with the execution option
``docflow_prepare`` (:data:`PREPARED`); psycopg's automatic preparing (of any statement run five
times) is turned off. A prepared statement is planned for its parameters five times, then
PostgreSQL may keep one generic plan for all parameters: right for a lookup by id (the case
view's statements), not always for a search whose best plan depends on its words and filters.
"""
from __future__ import annotations

import logging
import re

from sqlalchemy import event

from .extensions import db

WROTE = "docflow_wrote"  # connection.info: a statement other than SELECT ran in the transaction
#: ``statement.execution_options(**PREPARED)``: prepare it on the server (when this module is on)
PREPARED = {"docflow_prepare": True}
_READ = re.compile(r"\s*SELECT\b", re.IGNORECASE)

log = logging.getLogger(__name__)


def init_app(app) -> None:
    """Note writes on the app's engine; end write-free requests with COMMIT (once per engine)."""
    with app.app_context():
        engine = db.engine
    if not getattr(engine, "_docflow_keep_prepared", False):
        engine._docflow_keep_prepared = True
        event.listen(engine, "before_cursor_execute", _note_write)
        event.listen(engine, "commit", _transaction_ended)
        event.listen(engine, "rollback", _transaction_ended)
    # teardowns run in reverse order of registration: this one before Flask-SQLAlchemy's, which
    # closes the session (and so rolls back whatever is still open)
    app.teardown_appcontext(_commit_if_read_only)


def _note_write(conn, cursor, statement, parameters, context, executemany) -> None:
    if not _READ.match(statement):
        conn.info[WROTE] = True
    # psycopg prepares at once (threshold 0) what asks for it, nothing else (None)
    wanted = 0 if context is not None and context.execution_options.get(
        "docflow_prepare") else None
    driver = cursor.connection
    if getattr(driver, "prepare_threshold", wanted) != wanted:
        driver.prepare_threshold = wanted


def _transaction_ended(conn) -> None:
    conn.info.pop(WROTE, None)


def wrote_nothing(session) -> bool:
    """True when ``session`` is in a transaction that changed nothing, flushed or not."""
    if not session.in_transaction() or session.new or session.dirty or session.deleted:
        return False
    return not session.connection().info.get(WROTE)  # the transaction's (one database)


def _commit_if_read_only(exc: BaseException | None) -> None:
    if exc is not None or not db.session.registry.has():
        return
    session = db.session()
    if not wrote_nothing(session):
        return
    try:
        session.commit()
    except Exception:  # the connection failed: Flask-SQLAlchemy's close rolls back as before
        log.warning("ending a read-only request with COMMIT failed", exc_info=True)
