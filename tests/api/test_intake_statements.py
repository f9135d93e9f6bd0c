"""The cost of one API intake in SQL statements is pinned (issue 5): a change that adds a
lazy load, a second catalog write or a reload after the commit fails here."""
import pytest
from flask import g
from sqlalchemy import event

from docflow.engine.catalog import CatalogText, search
from docflow.extensions import db
from docflow.reception.models import Appeal
from tests.api.test_appeals_api import api, body, demo_data, integ  # noqa: F401  (fixtures)

#: The lean intake with its token cached: venue/body/official/repeat with the calendar
#: overrides' stamp and whether the token is still valid (1: the calendar is the cached one while no administrator changed a day),
#: then on PostgreSQL ONE statement in autocommit (the number, the least-loaded employee from
#: the load counter with its +1, engine_item with its path, appeal, places, assignment log and
#: catalog row chained as CTEs: no BEGIN, no COMMIT), which commits without waiting for the
#: disk, and the wait for the disk (1: the number's lock is not held during it); on SQLite the
#: least-loaded employee (1), the number (1), one INSERT per table (5) and the load counter's
#: +1 (1).
STATEMENTS_PER_INTAKE = {"postgresql": 3, "sqlite": 9}


def _statements(app, run) -> list[str]:
    """The statements ``run`` executes, as a fresh request in production would: the test's app
    context (which requests here share) forgets the calendar it cached."""
    g.pop("docflow_calendar", None)
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        run()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return seen


def test_an_api_intake_takes_a_fixed_number_of_statements(db_app, api, integ,  # noqa: F811
                                                          monkeypatch):
    monkeypatch.setitem(db_app.config, "API_TOKEN_CACHE_SECONDS", 1.0)  # production's cache
    first = api.post("/api/v1/appeals", json=body(external_id="S-1"), headers=integ)
    assert first.status_code == 201  # the first call also records the token's use
    db.session.remove()
    responses = []
    sql = _statements(db_app, lambda: responses.append(
        api.post("/api/v1/appeals", json=body(external_id="S-2", subject="Зейнетақы"),
                 headers=integ)))
    response = responses[0]
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["registration_number"] == "CRC-AST-2026-000002"
    dialect = db.engine.dialect.name
    assert len(sql) == STATEMENTS_PER_INTAKE[dialect], "\n".join(sql)
    # the cached token is checked (revoked? user inactive?) inside the first statement: no
    # statement of its own, no ORM load of the user
    assert "api_token" in sql[0] and not [s for s in sql[1:] if "api_token" in s], sql
    # indexed once, with its number; written once: no UPDATE at all, no reload
    catalog = [s for s in sql if "engine_catalog_text" in s]
    assert len(catalog) == 1, catalog
    assert not [s for s in sql if s.startswith("UPDATE")], sql
    assert "calendar_override" in sql[0] and not [s for s in sql[1:] if "calendar_override" in s]
    if dialect == "postgresql":
        write = sql[1]
        assert write.startswith("WITH num AS (INSERT INTO registration_counter"), write
        assert "INSERT INTO appeal_assignment" in write and "INSERT INTO assignment_load" in write
        # its transaction does not wait for the WAL flush; the next statement does, before the
        # 201 (tests/hardening/test_intake_durable.py crashes the server to show it)
        assert write.endswith("set_config('synchronous_commit', 'off', true) FROM i"), write
        assert sql[2] == "SELECT pg_logical_emit_message(true, 'docflow', '')", sql[2]
    else:
        writes = sql[2:]
        assert writes[0].startswith("INSERT INTO registration_counter")
        assert all(s.startswith(("INSERT", "WITH")) for s in writes), "a read after the number"
    # what was written is what the response said, and search finds it by its number
    db.session.remove()
    appeal = db.session.get(Appeal, response.get_json()["id"])
    assert appeal.registration_number == "CRC-AST-2026-000002"
    assert "000002" in db.session.get(CatalogText, appeal.id).words.split()
    from docflow.auth.models import User
    admin = db.session.execute(db.select(User).where(User.login == "demo-admin")).scalar()
    found = search(admin, q="CRC-AST-2026-000002", type="appeal")
    assert [a.id for a in found.items] == [appeal.id]


def test_a_repeat_is_answered_from_one_lookup(db_app, api, integ):  # noqa: F811
    created = api.post("/api/v1/appeals", json=body(external_id="R-1"), headers=integ)
    assert created.status_code == 201
    db.session.remove()
    responses = []
    sql = _statements(db_app, lambda: responses.append(
        api.post("/api/v1/appeals", json=body(external_id="R-1"), headers=integ)))
    assert responses[0].status_code == 200
    assert responses[0].get_json()["id"] == created.get_json()["id"]
    assert not [s for s in sql if s.startswith(("INSERT", "UPDATE"))], sql


@pytest.mark.parametrize("db_app", ["postgresql"], indirect=True)
def test_the_intake_statements_fit_psycopgs_query_cache(db_app, api, integ):  # noqa: F811
    """psycopg converts a query's placeholders once and caches that (an lru_cache) only for a
    query of at most MAX_CACHED_STATEMENT_LENGTH bytes and MAX_CACHED_STATEMENT_PARAMS
    parameters: above either, every intake pays the conversion again (~0.5 ms of CPU). The
    limits are read from psycopg, so a psycopg upgrade that lowers them fails here too."""
    from psycopg import _queries

    shapes = [body(external_id="Q-1"),  # the demo's least-loaded rule, a citizen
              body(external_id="Q-2", official="MLSPP-MIN", applicant__iin=None,
                   applicant__citizenship="RU", applicant__patronymic="Иванович",
                   applicant__email="a@example.kz", applicant__address="Астана"),
              body(external_id="Q-3", applicant__kind="legal_entity", applicant__iin=None,
                   applicant__bin="180340021791", applicant__organization="ЖШС Мысал")]
    for shape in shapes:  # every shape once: psycopg's cache and prepared statements warm
        assert api.post("/api/v1/appeals", json=shape, headers=integ).status_code == 201
    seen: list[tuple[str, int]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, len(parameters)))

    event.listen(db.engine, "before_cursor_execute", record)
    hits = _queries._query2pg.cache_info().hits
    try:
        for n, shape in enumerate(shapes):
            again = {**shape, "external_id": f"Q-again-{n}"}
            made = api.post("/api/v1/appeals", json=again, headers=integ)
            assert made.status_code == 201, made.get_json()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    writes = [s for s, _n in seen if s.startswith("WITH num AS")]
    assert len(writes) == len(shapes), [s[:60] for s, _n in seen]
    for statement, params in seen:
        assert len(statement.encode()) <= _queries.MAX_CACHED_STATEMENT_LENGTH, (
            len(statement.encode()), statement)
        assert params <= _queries.MAX_CACHED_STATEMENT_PARAMS, (params, statement)
    # and psycopg did find each of them in its cache
    assert _queries._query2pg.cache_info().hits - hits >= len(seen)
