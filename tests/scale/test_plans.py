"""The daily screens' statements stay index-friendly at scale (issue 11), pinned on small data:
the visibility filter lists a user's local grants as literal path prefixes (no per-row subquery
on the local roles), and it still agrees with ``can`` item by item; the index those prefixes
need exists and PostgreSQL can use it; the worklist's partial index covers exactly the open
states; the search counts at most COUNT_LIMIT matches and says so."""
import re

import pytest
from sqlalchemy import event, func, select, text

from docflow.auth.models import User
from docflow.engine import catalog
from docflow.engine.content import Item
from docflow.engine.security import can, grant, local_grants, principal_for, revoke, visible_filter
from docflow.extensions import db
from docflow.reception.models import Appeal
from docflow.reception.queries import TERMINAL_STATES
from docflow.scale.generate import generate

N = 300


@pytest.fixture
def generated(db_app):
    generate(N, seed=11)
    db.session.commit()
    return db_app


def _helper_and_grants() -> tuple[User, list[Appeal]]:
    """A responsible officer of one body made "helper" on four appeals of other bodies (three
    in states a helper may view, one closed: not visible to a helper)."""
    officer = db.session.execute(select(User).where(User.login.like("g-resp-%"))
                                 .order_by(User.login).limit(1)).scalar_one()
    body = officer.roles[0].body_id
    others = select(Appeal).where(Appeal.body_id != body).order_by(Appeal.id)
    open_ = db.session.execute(others.where(Appeal.state.in_(("in_review", "collecting", "held")),
                                            Appeal.restricted.is_(False)).limit(3)).scalars()
    closed = db.session.execute(others.where(Appeal.state == "closed").limit(1)).scalars()
    chosen = [*open_, *closed]
    assert len(chosen) == 4
    for appeal in chosen:
        grant(appeal, f"user:{officer.id}", "helper", None)
    db.session.commit()
    return officer, chosen


def _visible_ids(user) -> set[int]:
    return set(db.session.execute(select(Appeal.id).where(
        visible_filter(user, "view", "appeal"))).scalars())


def test_local_grants_become_literal_prefixes_and_agree_with_can(generated):
    officer, chosen = _helper_and_grants()
    sql = str(visible_filter(officer, "view", "appeal").compile(
        db.engine, compile_kwargs={"literal_binds": True})).replace("%%", "%")  # psycopg's %
    assert "engine_local_role" not in sql
    for appeal in chosen:
        assert f"engine_item.path LIKE '{appeal.path}%'" in sql
    # the same rule as can(), item by item, over every appeal (restricted ones included)
    visible = _visible_ids(officer)
    expected = {a.id for a in db.session.execute(select(Appeal)).scalars()
                if can(officer, "view", a)}
    assert visible == expected
    helper_seen = {a.id for a in chosen if can(officer, "view", a)}
    assert len(helper_seen) == 3 and helper_seen <= visible  # other bodies' appeals, by grant
    assert chosen[3].id not in visible


def test_grants_are_read_once_per_transaction_and_a_change_is_seen(generated):
    officer, chosen = _helper_and_grants()
    principal = principal_for(officer)
    statements = []
    listener = lambda *args, **kw: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        for _ in range(3):
            visible_filter(officer, "view", "appeal")
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert len(statements) == 1 and "engine_local_role" in statements[0]
    before = _visible_ids(officer)
    # a revoke in the same transaction drops the cached grants: the next filter has one less
    gone = next(a for a in chosen if a.id in before)
    assert revoke(gone, f"user:{officer.id}", "helper", None)
    assert gone.path not in local_grants(principal).get("helper", ())
    assert gone.id not in _visible_ids(officer)
    grant(gone, f"user:{officer.id}", "helper", None)
    assert gone.id in _visible_ids(officer)


def test_the_open_appeals_index_covers_exactly_the_open_states():
    index = next(i for i in Item.__table__.indexes if i.name == "ix_engine_item_open_appeal_cover")
    where = str(index.dialect_options["postgresql"]["where"])
    assert set(re.findall(r"'([a-z_]+)'", where)) == {"appeal", *TERMINAL_STATES}
    assert list(index.dialect_options["postgresql"]["include"]) == ["state", "restricted"]


def test_postgresql_uses_the_path_prefix_index(pg_app):
    generate(N, seed=11)
    db.session.commit()
    officer, chosen = _helper_and_grants()
    db.session.execute(text("ANALYZE"))
    stmt = select(func.count()).select_from(Appeal).where(visible_filter(officer, "view", "appeal"))
    compiled = stmt.compile(db.engine, compile_kwargs={"literal_binds": True})
    conn = db.session.connection()
    conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
    plan = "\n".join(conn.exec_driver_sql(f"EXPLAIN {compiled}").scalars())
    assert "engine_local_role" not in plan
    # the literal prefixes reach the index (varchar_pattern_ops: whatever the collation)
    conn.exec_driver_sql("SET LOCAL enable_bitmapscan = off")
    one = "\n".join(conn.exec_driver_sql(
        f"EXPLAIN SELECT id FROM engine_item WHERE path LIKE '{chosen[0].path}%%'").scalars())
    assert "ix_engine_item_path_prefix" in one, one


def test_search_counts_at_most_count_limit_matches(pg_app, monkeypatch):
    generate(N, seed=11)
    db.session.commit()
    officer = db.session.execute(select(User).where(User.login.like("g-reg-%"))
                               .order_by(User.login).limit(1)).scalar_one()
    full = catalog.search(officer, type="appeal", facets=["state", "year"])
    assert full.total >= 2 and not full.capped
    limit = full.total // 2
    monkeypatch.setattr(catalog, "COUNT_LIMIT", limit)
    capped = catalog.search(officer, type="appeal", facets=["state", "year"])
    assert (capped.total, capped.capped) == (limit + 1, True)
    assert sum(fc.count for fc in capped.facets["state"]) == limit + 1  # over the rows read
    assert [a.id for a in capped.items] == [a.id for a in full.items]  # the page is not bounded


def test_the_benchs_explained_statements_run_and_are_the_apps(pg_app):
    from docflow.scale.explain import statements

    generate(N, seed=11)
    db.session.commit()
    officer = db.session.execute(select(User).where(User.login.like("g-reg-%"))
                                 .order_by(User.login).limit(1)).scalar_one()
    with pg_app.test_request_context():
        # the case view's statement loads the appeal with its places (a joined collection)
        ran = {name: (db.session.execute(stmt).unique() if name == "case_load"
                      else db.session.execute(stmt)).all()
               for name, stmt in statements(officer)}
    assert set(ran) >= {"worklist", "worklist_all", "search_page", "search_total_and_facets",
                        "case_load"}
    # the facet statement is the search's own: its grand total is the search's total
    full = catalog.search(officer, q="очередь", type="appeal")
    totals = [n for s, _key, n, _id in ran["search_total_and_facets"] if s == catalog.TOTAL]
    assert totals == [full.total]
    page = sorted((n, id_) for s, _key, n, id_ in ran["search_total_and_facets"]
                  if s == catalog.PAGE)
    assert [id_ for _n, id_ in page] == [a.id for a in full.items]
