"""The Alembic migrations build exactly the schema the models declare, on SQLite and PostgreSQL."""
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text

from docflow import create_app
from docflow.engine.catalog import include_object
from docflow.extensions import db


def _test_only_tables() -> set[str]:
    """Tables of models the tests define (e.g. the engine's memo), not part of docflow."""
    return {m.local_table.name for m in db.Model.registry.mappers
            if m.class_.__module__.startswith("tests.")}


def _include(obj, name, type_, reflected, compare_to) -> bool:
    if type_ == "table" and name in _test_only_tables():
        return False
    return include_object(obj, name, type_, reflected, compare_to)


def _check(url: str) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={
                "compare_type": True, "render_as_batch": True,
                "include_object": _include}), db.metadata)
        assert diff == [], f"models and migrations differ: {diff}"
        with db.engine.begin() as conn:  # the audit log is append-only in the database too
            conn.execute(text("INSERT INTO engine_audit (at, action) VALUES ('2026-01-01', 'x')"))
        with pytest.raises(Exception, match="append-only"), db.engine.begin() as conn:
            conn.execute(text("UPDATE engine_audit SET action = 'y'"))
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        db.engine.dispose()


def test_migrations_match_models_on_sqlite(tmp_path):
    _check(f"sqlite:///{tmp_path / 'm.sqlite3'}")


@pytest.mark.postgres
def test_migrations_match_models_on_postgresql(postgres):
    admin = create_engine(postgres.url("postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("DROP DATABASE IF EXISTS migrations_check"))
        conn.execute(text("CREATE DATABASE migrations_check"))
    admin.dispose()
    _check(postgres.url("migrations_check"))
