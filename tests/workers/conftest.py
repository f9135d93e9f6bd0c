"""Worker fixtures: the memo application (tests/engine/memo) on SQLite or PostgreSQL, with a
memo owned by ``owner`` to build documents for."""
from types import SimpleNamespace

import pytest

from docflow.engine import create_item
from docflow.extensions import db
from tests.engine.memo import PLACE, Memo, build_engine
from tests.workers import builders_for_tests  # noqa: F401  (registers the test builders)


def attach_memo(app):
    engine, directory = build_engine(rules=False)
    engine.init_app(app)
    from docflow.auth.operations import create_user

    owner = directory.user("owner", ("author", PLACE))
    owner.set_password("secret-pass-1")
    other = create_user("other", "registrar", password="secret-pass-1")
    admin = create_user("root", "admin", password="secret-pass-1")
    memo = create_item(Memo, title="Memo", body="Түркістан қ., 1-үй", owner=owner,
                       places=[PLACE])
    db.session.commit()
    return SimpleNamespace(app=app, engine=engine, owner=owner, other=other, admin=admin,
                           memo=memo)


@pytest.fixture
def memo_env(app):
    return attach_memo(app)


@pytest.fixture
def memo_pg_env(pg_app):
    return attach_memo(pg_app)
