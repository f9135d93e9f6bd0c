"""docflow.dbprepared: a request that wrote nothing ends with COMMIT, so that the statements it
asked to prepare stay prepared on the connection for the next requests; a request that wrote
(flushed, changed an object, ran any statement but a SELECT) or failed still ends with ROLLBACK,
and nothing of it is kept."""
import pytest
from flask import abort
from sqlalchemy import select, text

from docflow import create_app
from docflow.dbprepared import PREPARED, wrote_nothing
from docflow.extensions import db
from docflow.reference.models import Body
from tests.conftest import _config

pytestmark = pytest.mark.postgres

LOOKUP = select(Body).where(Body.code == "X-1").execution_options(**PREPARED)


@pytest.fixture
def keep_app(_pg_schema, tmp_path):
    app = create_app(_config(tmp_path, SQLALCHEMY_DATABASE_URI=_pg_schema,
                             DATABASE_KEEP_PREPARED=True,
                             SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 1, "max_overflow": 0}))

    @app.route("/_t/read")
    def read():
        db.session.execute(LOOKUP).scalar()
        db.session.execute(select(Body.id).limit(1)).all()  # not asked to be prepared
        return "ok"

    @app.route("/_t/flush/<code>")
    def flush(code):
        db.session.execute(LOOKUP).scalar()
        db.session.add(Body(code=code, kind="local", name_kk=code, name_ru=code))
        db.session.flush()
        return "ok"  # no commit: the teardown must roll back

    @app.route("/_t/dirty/<code>")
    def dirty(code):
        db.session.execute(LOOKUP).scalar()
        db.session.add(Body(code=code, kind="local", name_kk=code, name_ru=code))
        return "ok"  # not even flushed

    @app.route("/_t/core/<code>")
    def core(code):
        db.session.execute(text("INSERT INTO body (code, kind, name_kk, name_ru) "
                                "VALUES (:c, 'local', :c, :c)"), {"c": code})
        return "ok"

    @app.route("/_t/fail/<code>")
    def fail(code):
        db.session.add(Body(code=code, kind="local", name_kk=code, name_ru=code))
        db.session.flush()
        abort(400)

    yield app
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            conn.execute(text("DELETE FROM body WHERE code LIKE 'T-%'"))
        db.engine.dispose()


def prepared_on_the_connection(app) -> list[str]:
    with app.app_context():
        return db.session.execute(text(
            "SELECT statement FROM pg_prepared_statements")).scalars().all()


def bodies(app, code) -> int:
    with app.app_context():
        return db.session.execute(select(db.func.count()).select_from(Body)
                                  .where(Body.code == code)).scalar()


def test_read_only_requests_keep_their_prepared_statements(keep_app):
    client = keep_app.test_client()
    for _ in range(3):
        assert client.get("/_t/read").status_code == 200
    statements = prepared_on_the_connection(keep_app)
    assert any("FROM body" in s and "body.code =" in s for s in statements), statements
    assert not any("LIMIT" in s for s in statements)  # only what asked to be prepared


@pytest.mark.parametrize("route", ["flush", "dirty", "core", "fail"])
def test_a_request_that_wrote_is_rolled_back_as_before(keep_app, route):
    client = keep_app.test_client()
    code = f"T-{route}"
    assert client.get(f"/_t/{route}/{code}").status_code in (200, 400)
    assert bodies(keep_app, code) == 0
    assert client.get("/_t/read").status_code == 200  # the connection is fine afterwards


def test_wrote_nothing_sees_flushes_and_statements(keep_app):
    with keep_app.app_context():
        session = db.session()
        assert not wrote_nothing(session)  # no transaction yet
        session.execute(LOOKUP).all()
        assert wrote_nothing(session)
        session.add(Body(code="T-w", kind="local", name_kk="w", name_ru="w"))
        assert not wrote_nothing(session)  # pending
        session.flush()
        assert not wrote_nothing(session)  # flushed INSERT
        session.rollback()
        session.execute(LOOKUP).all()
        assert wrote_nothing(session)  # a new transaction starts clean
        session.rollback()


def test_off_without_the_setting(pg_app):
    assert pg_app.config.get("DATABASE_KEEP_PREPARED") is None
    from docflow.dbprepared import _commit_if_read_only
    assert _commit_if_read_only not in pg_app.teardown_appcontext_funcs


def test_the_api_intake_keeps_its_statements_prepared(pg_app, tmp_path):
    """The lean intake (issue 5) runs in autocommit mode, so nothing rolls back its prepared
    statements; but they must ask to be prepared, or with this module on they never are."""
    from docflow.demo import load_demo
    from tests.api.test_appeals_api import bearer, body
    load_demo()
    headers = bearer("demo-integration")
    db.session.commit()
    keep = create_app(_config(tmp_path, SQLALCHEMY_DATABASE_URI=pg_app.config[
        "SQLALCHEMY_DATABASE_URI"], DATABASE_KEEP_PREPARED=True,
        SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 1, "max_overflow": 0}))
    client = keep.test_client()
    from docflow.calendar import store
    store._cache.clear()  # the first intake reads the calendar's overrides too
    try:
        # one pooled connection is enough (pool_size 1): the intake's statements, its reading of
        # the calendar and the token's check never hold two at once, nor does a repeat
        for n in range(3):
            made = client.post("/api/v1/appeals", json=body(external_id=f"P-{n}"),
                               headers=headers)
            assert made.status_code == 201, made.get_json()
        repeat = client.post("/api/v1/appeals", json=body(external_id="P-0"), headers=headers)
        assert repeat.status_code == 200, repeat.get_json()
        prepared = prepared_on_the_connection(keep)
        assert any("INSERT INTO appeal" in s for s in prepared), prepared  # the writes
        assert any("JOIN venue ON venue.code" in s for s in prepared), prepared  # the reads
        assert any("pg_logical_emit_message" in s for s in prepared), prepared  # the wait
    finally:
        with keep.app_context():
            db.session.remove()
            db.engine.dispose()


# -- the driver path (DriverConnection): the API intake's statements outside SQLAlchemy ----------

INSERT_BODY = text("INSERT INTO body (code, kind, name_kk, name_ru) "
                   "VALUES (:code, 'local', :code, :code) RETURNING id")


def test_a_driver_statement_commits_by_itself_and_is_kept_prepared(keep_app):
    from docflow.dbprepared import driver_connection
    seen = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append((conn, statement, dict(parameters)))

    with keep_app.app_context():
        from sqlalchemy import event
        event.listen(db.engine, "before_cursor_execute", record)
        try:
            with driver_connection() as conn:
                made = conn.run(INSERT_BODY, {"code": "T-d1", "unused": 1})
                # the literal the statement compiled into a parameter is bound too
                again = conn.run(LOOKUP.with_only_columns(Body.id), {})
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
        assert made is not None and again is None  # LOOKUP's own code, X-1, is not there
        # listeners saw both statements, with the values sent (and no SQLAlchemy connection)
        assert [s.split()[0] for _c, s, _p in seen] == ["INSERT", "SELECT"]
        assert seen[0][0] is None and seen[0][2] == {"code": "T-d1"}
        assert seen[1][2] == {"code_1": "X-1"}
        # autocommit: the new row is visible to another connection without any COMMIT
        assert bodies(keep_app, "T-d1") == 1
        # the pooled connection is lent back out of autocommit (the ORM's transactions)
        raw = db.engine.raw_connection()
        try:
            assert raw.driver_connection.autocommit is False
        finally:
            raw.close()
    prepared = prepared_on_the_connection(keep_app)
    assert any("INSERT INTO body" in s for s in prepared), prepared


def test_a_driver_statements_failure_is_sqlalchemys_exception(keep_app):
    from sqlalchemy.exc import IntegrityError

    from docflow.dbprepared import driver_connection
    with keep_app.app_context():
        with driver_connection() as conn:
            conn.run(INSERT_BODY, {"code": "T-d2"})
            with pytest.raises(IntegrityError) as raised:
                conn.run(INSERT_BODY, {"code": "T-d2"})  # body.code is unique
            assert not raised.value.connection_invalidated
            # the failed statement's own transaction is over: the connection goes on
            assert conn.run(INSERT_BODY, {"code": "T-d3"}) is not None
        assert bodies(keep_app, "T-d2") == 1 and bodies(keep_app, "T-d3") == 1


def test_driver_statements_are_not_prepared_when_the_module_is_off(pg_app):
    from docflow.dbprepared import driver_connection
    with pg_app.app_context():
        with driver_connection() as conn:
            for _ in range(2):
                conn.run(select(Body.id).where(Body.code == "nobody"), {})
        db.session.remove()
    assert not [s for s in prepared_on_the_connection(pg_app) if "nobody" in s or "body.code" in s]
