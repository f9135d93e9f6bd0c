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
from contextlib import contextmanager

from psycopg.pq import ExecStatus
from sqlalchemy import event, text

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
    if conn is None:  # a DriverConnection's statement: autocommit, prepared by its own call
        return
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


# -- the driver path: a few hot statements run on the psycopg connection itself -----------------

class DriverConnection:
    """A pooled psycopg connection in autocommit mode, for :meth:`run`: each statement its own
    transaction, with no BEGIN or COMMIT round trip, and none of SQLAlchemy's execution
    machinery (execution context, result object, the session's transaction) around it.

    Only for statements run on every API intake, where that machinery was a fifth of the
    request's CPU (issue 5). The statement is an ordinary SQLAlchemy one, compiled once for
    PostgreSQL; it is prepared on the server when this module is on. The engine's
    ``before_cursor_execute`` listeners are still told of each statement (with ``conn`` and
    ``context`` None: it ran outside a SQLAlchemy connection), so statement counts stay true.
    A failure is raised as SQLAlchemy's own exception (``IntegrityError`` for a unique
    violation, ``OperationalError`` …); a lost connection invalidates the pool as SQLAlchemy
    does, so the next requests connect afresh (docflow.dbping, docflow.errors)."""

    __slots__ = ("engine", "_fairy", "_driver")

    def __init__(self, engine, fairy):
        self.engine, self._fairy, self._driver = engine, fairy, fairy.driver_connection

    def run(self, statement, params: dict) -> tuple | None:
        """The first row ``statement`` returns (None if none), ``params`` by name; literals the
        statement compiled into parameters are added."""
        return self._execute(statement, params, lambda cursor: cursor.fetchone())

    def run_all(self, statement, params: dict) -> list[tuple]:
        """Every row ``statement`` returns."""
        return self._execute(statement, params, lambda cursor: cursor.fetchall())

    def wait_durable(self) -> None:
        """Return once everything this connection has committed is on disk (and, with
        synchronous replication, on the standby): for a statement that committed with
        :data:`COMMIT_WITHOUT_WAITING`. A small write of its own (a transactional WAL message,
        no table row) whose commit waits for the WAL flush as every commit does by default;
        WAL is written in order, so that flush covers the earlier commit. Several connections
        waiting at once share one flush (PostgreSQL's group commit)."""
        self.run(_DURABLE, {})

    def _execute(self, statement, params: dict, fetch):
        sql, compiled = _compiled(statement, self.engine.dialect)
        values = compiled.construct_params(params, _check=False)
        cursor = self._driver.cursor()
        try:
            listeners = self.engine.dispatch.before_cursor_execute
            if listeners:
                for listener in listeners:
                    listener(None, cursor, sql, values, None, False)
            if getattr(self.engine, "_docflow_keep_prepared", False):
                if self._driver.prepare_threshold is None:
                    self._driver.prepare_threshold = 0  # None would forbid preparing at all
                cursor.execute(sql, values, prepare=True)
            else:
                cursor.execute(sql, values)
            # rows or none (an INSERT without RETURNING): read from the result's status, not
            # from ``description``, which builds a column object for every column
            result = cursor.pgresult
            return fetch(cursor) if result is not None and result.status == _TUPLES_OK else None
        except self.engine.dialect.loaded_dbapi.Error as error:
            raise self._failed(error, sql, values, cursor) from error
        finally:
            cursor.close()

    def _failed(self, error, sql: str, values: dict, cursor):
        from sqlalchemy import exc

        dialect = self.engine.dialect
        lost = dialect.is_disconnect(error, self._driver, cursor)
        if lost:  # as SQLAlchemy's own execution does: this and every older pooled connection
            self.engine.pool._invalidate(self._fairy, error)
        return exc.DBAPIError.instance(sql, values, error, dialect.loaded_dbapi.Error,
                                       connection_invalidated=lost, dialect=dialect)


class SessionStatements:
    """:class:`DriverConnection`'s :meth:`run` and :meth:`run_all` on the ORM session's own
    connection, in its transaction: what a function given no driver connection runs on (SQLite,
    a request whose engine rules need the ORM appeal), so that it states each statement once."""

    __slots__ = ("session",)

    def __init__(self, session=None):
        self.session = session if session is not None else db.session

    def run(self, statement, params: dict) -> tuple | None:
        result = self.session.connection().execute(statement, params)
        return result.first() if result.returns_rows else None

    def run_all(self, statement, params: dict) -> list[tuple]:
        return self.session.connection().execute(statement, params).all()


def statements_on(conn=None, session=None):
    """``conn`` (a :class:`DriverConnection`) if given, else the session's connection as one."""
    return conn if conn is not None else SessionStatements(session)


#: For the select list of a driver statement that takes a hot row lock, such as the intake's
#: registration number (one counter row per venue and year): the statement's own transaction
#: then commits without waiting for its WAL to reach the disk, so the lock is released at once,
#: and :meth:`DriverConnection.wait_durable` must follow before anyone is answered. Waiting for
#: the flush while holding the lock made every intake at one venue wait for the previous one's
#: flush, one after the other: 1.9 ms per commit under make bench-intake, 0.44 of the 4
#: connections waiting on the counter's lock on average (issue 5).
COMMIT_WITHOUT_WAITING = "set_config('synchronous_commit', 'off', true)"
_DURABLE = text("SELECT pg_logical_emit_message(true, 'docflow', '')").execution_options(
    **PREPARED)
_compiled_cache: dict[int, tuple] = {}
_TUPLES_OK = ExecStatus.TUPLES_OK


def _compiled(statement, dialect) -> tuple[str, object]:
    found = _compiled_cache.get(id(statement))
    if found is None or found[0] is not statement:
        compiled = statement.compile(dialect=dialect)
        if getattr(compiled, "_bind_processors", None):
            raise TypeError("a driver statement must bind values the driver takes as they are")
        found = _compiled_cache[id(statement)] = (statement, str(compiled), compiled)
    return found[1], found[2]


@contextmanager
def driver_connection(engine=None):
    """A :class:`DriverConnection` from the app engine's pool (its checkout handlers run: the
    idle ping), given back afterwards. The session is not involved: commit what it holds
    first if the statements must see it."""
    engine = engine or db.engine
    dbapi_error = engine.dialect.loaded_dbapi.Error
    try:
        fairy = engine.raw_connection()
    except dbapi_error as error:  # as SQLAlchemy's own connect: 503 for a database away
        raise _unavailable(engine, error) from error
    driver = fairy.driver_connection
    try:
        try:
            driver.autocommit = True
        except dbapi_error as error:
            fairy.invalidate(error)
            raise _unavailable(engine, error) from error
        yield DriverConnection(engine, fairy)
    finally:
        try:
            if not driver.closed:
                driver.autocommit = False  # how the pool lends its connections to the ORM
        except dbapi_error as error:
            fairy.invalidate(error)
        finally:
            fairy.close()


def _unavailable(engine, error):
    from sqlalchemy import exc

    dialect = engine.dialect
    return exc.DBAPIError.instance(None, None, error, dialect.loaded_dbapi.Error, dialect=dialect,
                                   connection_invalidated=dialect.is_disconnect(error, None, None))
