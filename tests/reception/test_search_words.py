"""PostgreSQL searches a query word as the indexed words it is a prefix of (issue 11, session 5).

``engine_catalog_word`` holds every lexeme of the search rows' tsvectors, kept by triggers in
the writer's transaction (and by ``catalog.fill_words`` after a bulk load), so ``'w':*`` can be
asked as ``('w1' | 'w2' ...)``: an exact GIN scan, which intersects with the user's places and
the facet keys inside the one (places, facets, tsv) index instead of collecting every TID of
the prefix first. These tests pin that the word list is complete after every way rows are
written, that the expanded search finds exactly what the prefix search finds (results, total,
facets, for readers with and without clearance: R11), and the plan's shape."""
import pytest
from sqlalchemy import func, select, text, update

from docflow.auth.models import User
from docflow.engine import catalog
from docflow.engine.catalog import CatalogText, CatalogWord
from docflow.extensions import db
from docflow.reception.models import Appeal
from docflow.reception.search import FACETS, init_search
from docflow.scale.generate import generate
from tests.reception.test_search import user


def indexed_words() -> set[str]:
    """Every lexeme of every search row, straight from the tsvectors."""
    return set(db.session.execute(text(
        "SELECT DISTINCT unnest(tsvector_to_array(tsv)) FROM engine_catalog_text")).scalars())


def word_list() -> set[str]:
    return set(db.session.execute(select(CatalogWord.c.word)).scalars())


def readers() -> list[User]:
    logins = db.session.execute(select(User.login).where(
        User.login.like("g-resp-%-1") | User.login.like("g-reg-%") | User.login.like("g-head-%"))
        .order_by(User.login).limit(4)).scalars().all()
    return [user(login) for login in logins]


def outcome(reader, q: str, **kw):
    result = catalog.search(reader, q=q, type="appeal", facets=list(FACETS), per_page=100, **kw)
    return ([a.id for a in result.items], result.total,
            {name: sorted(rows, key=repr) for name, rows in result.facets.items()})


@pytest.fixture
def data(pg_app):
    init_search(pg_app)
    generate(120, seed=7)
    db.session.commit()
    return pg_app


def test_the_word_list_holds_every_indexed_word_however_rows_are_written(data):
    words = indexed_words()
    assert len(words) > 100 and word_list() == words          # row by row: the insert trigger
    appeal = db.session.execute(select(Appeal).order_by(Appeal.id).limit(1)).scalar_one()
    appeal.subject = "Жаңасөз неологизм туралы"                # an edit: the update trigger
    db.session.commit()
    assert {"жаңасөз", "неологизм"} <= word_list() == indexed_words()
    # a change of anything but the words does not fire it
    db.session.execute(text("DELETE FROM engine_catalog_word"))
    db.session.execute(update(CatalogText).values(state=CatalogText.state,
                                                  facets=CatalogText.facets))
    assert word_list() == set()
    # the data step of a migration and of a bulk load
    assert catalog.fill_words(db.session.connection()) == len(indexed_words())
    assert word_list() == indexed_words()
    assert catalog.fill_words(db.session.connection()) == 0
    db.session.commit()
    # generate's bulk path writes with the triggers off, then fills the list itself
    generate(30, seed=8, bulk_from=1)
    db.session.commit()
    assert word_list() == indexed_words()


def test_a_prefix_is_asked_as_its_indexed_words(data, monkeypatch):
    words = indexed_words()
    prefix = next(w[:3] for w in sorted(words) if len(w) > 4 and w.isalpha()
                  and 1 < sum(x.startswith(w[:3]) for x in words) <= catalog.MAX_EXPANSION)
    expected = sorted(x for x in words if x.startswith(prefix))
    assert catalog.expansions([prefix, "ъъъъъ"]) == [expected, None]   # none: a prefix scan
    sql = str(catalog.row_text_match([prefix]).compile(db.engine))
    assert "to_tsquery" not in sql and "CAST(" in sql
    # more than MAX_EXPANSION words: searched as a prefix, as before
    monkeypatch.setattr(catalog, "MAX_EXPANSION", len(expected) - 1)
    db.session.rollback()  # the expansions are kept for the transaction
    assert catalog.expansions([prefix]) == [None]
    assert "to_tsquery" in str(catalog.row_text_match([prefix]).compile(db.engine))


COMMON = ("по", "өтін", "2025")  # in most generated appeals


@pytest.mark.parametrize("q", [*COMMON, "жер", "кезек", "помощь", "меди очеред", "қа жо"])
def test_the_expanded_search_finds_what_the_prefix_search_finds(data, monkeypatch, q):
    """The same results, totals and facet counts, with and without the expansion, for readers
    of several roles (R11: a restricted appeal stays invisible and uncounted either way)."""
    found = {}
    usual = catalog.MAX_EXPANSION
    for limit in (usual, 0):   # 0: every word searched as a prefix
        monkeypatch.setattr(catalog, "MAX_EXPANSION", limit)
        db.session.rollback()  # a new transaction: the expansions are per transaction
        found[limit] = [outcome(reader, q) for reader in readers()]
        found[limit].append(outcome(readers()[0], q, filters={"year": [2025]},
                                    sort="-registered"))
    assert found[usual] == found[0]
    assert any(total for _ids, total, _f in found[0]) or q not in COMMON
    restricted = db.session.execute(select(func.count()).select_from(Appeal).where(
        Appeal.restricted.is_(True))).scalar()
    assert restricted  # the generated data has restricted appeals for R11 to hide


def test_the_search_is_one_scan_of_one_index_with_an_exact_query(data):
    reader = readers()[0]
    word = "помощь"
    assert catalog.expansions([word]) == [[word]]
    query = catalog.prepare(q=word, type="appeal")
    stmt = catalog.counts_statement(reader, query, list(FACETS), page=(0, 20))
    compiled = stmt.compile(db.engine, compile_kwargs={"render_postcompile": True})
    conn = db.session.connection()
    conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
    plan = "\n".join(conn.exec_driver_sql("EXPLAIN " + str(compiled), compiled.params).scalars())
    assert "ix_engine_catalog_text_search" in plan and "BitmapAnd" not in plan
    assert f"'''{word}'''::tsquery" in plan and ":*" not in plan, plan


def test_writers_of_the_same_new_word_do_not_wait_for_each_other(data):
    """No unique constraint on the word list: a transaction adding a word another one has added
    but not committed yet adds it too, instead of waiting for it (a lock_timeout would fail)."""
    first, second = db.session.execute(select(CatalogText.item_id).order_by(CatalogText.item_id)
                                       .limit(2)).scalars().all()
    db.session.commit()
    add = text("UPDATE engine_catalog_text SET words = words || ' зорзорсөз' WHERE item_id = :i")
    with db.engine.connect() as one, db.engine.connect() as two:
        one.execute(add, {"i": first})                       # not committed yet
        two.execute(text("SET lock_timeout = '2s'"))
        two.execute(add, {"i": second})
        two.commit()
        one.commit()
    assert catalog.expansions(["зорзор"]) == [["зорзорсөз"]]
    found = catalog.search(readers()[0], q="зорзор", type="appeal")
    assert found.total == catalog.search(readers()[0], q="зорзорсөз", type="appeal").total
