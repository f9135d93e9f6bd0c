"""docflow: document management for citizen reception centers and public reception rooms."""
import os
from pathlib import Path

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

import config as config_module

from .extensions import csrf, db, login_manager, migrate

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None) -> Flask:
    """Application factory: configuration, extensions, blueprints, commands, error handlers."""
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        instance_path=str(config_module.INSTANCE_DIR),
    )
    if test_config is not None:
        app.config.from_object(config_module.TestConfig)
        app.config.update(test_config)
    else:
        try:
            app.config.from_object(config_module.config_for_env())
        except config_module.ConfigError as exc:  # a clear message, not a traceback
            raise SystemExit(f"docflow: {exc}") from None
    os.makedirs(app.instance_path, exist_ok=True)

    db.init_app(app)
    if app.config.get("DATABASE_PING_IDLE_SECONDS") is not None:  # production: see dbping
        from . import dbping
        with app.app_context():
            dbping.init_engine(db.engine, app.config["DATABASE_PING_IDLE_SECONDS"])
    if app.config.get("DATABASE_KEEP_PREPARED"):  # production: see dbprepared
        from . import dbprepared
        dbprepared.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)

    from . import i18n
    i18n.init_app(app)

    from .calendar import store as _calendar_store  # noqa: F401  (registers its model)
    from .engine import engine
    engine.init_app(app)

    from . import api, auth, documents, errors, jobs, main, reception, reference, schedules
    for area in (auth, main, errors, jobs, reference, documents, reception, schedules, api):
        area.init_app(app)
    from . import exports, reports, surveys  # issue 9: surveys (R38), reports (R40), exports
    for area in (exports, surveys, reports):
        area.init_app(app)

    from . import security_headers
    security_headers.init_app(app)
    from . import backup
    backup.init_app(app)

    from .cli import init_app as init_cli
    init_cli(app)
    return app


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """SQLite: WAL for concurrent readers, a busy timeout for the single writer, real FKs."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
