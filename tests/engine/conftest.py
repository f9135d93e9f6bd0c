"""Engine fixtures: the memo application attached to an app on SQLite and PostgreSQL."""
from types import SimpleNamespace

import pytest

from docflow.engine import create_item
from docflow.extensions import db
from tests.engine.memo import PLACE, Memo, build_engine


@pytest.fixture
def memo_app(db_app):
    """``db_app`` with the memo engine attached; ``.users`` holds a cast of role holders."""
    engine, directory = build_engine()
    engine.init_app(db_app)
    users = SimpleNamespace(
        alice=directory.user("alice", ("author", PLACE), email="alice@example.kz"),
        sam=directory.user("sam", ("signer", PLACE), email="sam@example.kz"),
        carl=directory.user("carl", ("clerk", PLACE)),
        arch=directory.user("arch", ("archivist", PLACE)),
        root=directory.user("root", ("admin", None)),
        nobody=directory.user("nobody"),
    )
    db.session.commit()
    db_app.memo = SimpleNamespace(engine=engine, directory=directory, users=users)
    return db_app


@pytest.fixture
def new_memo(memo_app):
    def make(title="Memo", body="Text", owner=None, **kw):
        kw.setdefault("places", [PLACE])
        return create_item(Memo, title=title, body=body,
                           owner=owner or memo_app.memo.users.alice, **kw)
    return make
