"""Engine fixtures: the memo application attached to an app on SQLite and PostgreSQL."""
from types import SimpleNamespace

import pytest

from docflow.engine import create_item
from docflow.extensions import db
from tests.engine.memo import PLACE, Memo, build_engine


def attach_memo(app):
    """Attach the memo engine to ``app``; ``app.memo.users`` holds a cast of role holders."""
    engine, directory = build_engine()
    engine.init_app(app)
    users = SimpleNamespace(
        alice=directory.user("alice", ("author", PLACE), email="alice@example.kz"),
        sam=directory.user("sam", ("signer", PLACE), email="sam@example.kz"),
        carl=directory.user("carl", ("clerk", PLACE)),
        arch=directory.user("arch", ("archivist", PLACE)),
        root=directory.user("root", ("admin", None)),
        nobody=directory.user("nobody"),
    )
    db.session.commit()
    app.memo = SimpleNamespace(engine=engine, directory=directory, users=users)
    return app


@pytest.fixture
def memo_app(db_app):
    """The memo application on SQLite and on PostgreSQL."""
    return attach_memo(db_app)


@pytest.fixture
def memo_pg(pg_app):
    """The memo application on PostgreSQL only (tests with a real RQ worker process)."""
    return attach_memo(pg_app)


@pytest.fixture
def new_memo(memo_app):
    def make(title="Memo", body="Text", owner=None, **kw):
        kw.setdefault("places", [PLACE])
        return create_item(Memo, title=title, body=body,
                           owner=owner or memo_app.memo.users.alice, **kw)
    return make
