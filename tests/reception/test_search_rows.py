"""The search row (``engine_catalog_text``) keeps a copy of what a search filters, counts and
orders by — type, state, restriction, owner, places, facet values, modified_at — so that words,
visibility (R11) and facets are one index-driven scan (issue 11). These tests pin that the copy
stays equal to its source after every change (intake on both paths, transition, redirect,
reassignment, places, edits), that the old database's backfill computes the same, and that
results and facet counts equal a naive count over ``can()`` — on SQLite and PostgreSQL."""
from collections import Counter

import pytest
from sqlalchemy import null, select, update

from docflow.auth.models import User
from docflow.auth.operations import create_user
from docflow.engine import catalog, transition
from docflow.engine.catalog import COUNT_LIMIT, CatalogText
from docflow.engine.content import Item, ItemPlace, set_places
from docflow.engine.security import can
from docflow.extensions import db
from docflow.reception.assignment import reassign
from docflow.reception.models import Appeal
from docflow.reception.operations import redirect
from docflow.reception.search import FACETS
from docflow.scale.generate import generate
from tests.api.test_appeals_api import api, body, demo_data, integ  # noqa: F401  (fixtures)
from tests.conftest import own_database
from tests.reception.test_search import appeals, register_all, user  # noqa: F401  (fixtures)

COPIED = ("type", "state", "restricted", "owner_id", "modified_at")


def source(item_id: int) -> dict:
    """What the search row must hold, read straight from engine_item, its places and the
    appeal row (not through the catalog's own function)."""
    item = db.session.execute(select(Item.__table__).where(Item.id == item_id)).mappings().one()
    appeal = db.session.execute(select(Appeal.__table__).where(
        Appeal.__table__.c.id == item_id)).mappings().one()
    places = sorted(db.session.execute(select(ItemPlace.place).where(
        ItemPlace.item_id == item_id)).scalars())
    facets = {f"type={item['type']}", f"state={item['state']}", f"channel={appeal['channel']}",
              f"venue={appeal['venue_id']}", f"body={appeal['body_id']}",
              f"year={appeal['registration_year']}"}
    sorts = {"registered": appeal["registered_on"].isoformat(),
             "due": appeal["reply_due"].isoformat()}
    return {**{k: item[k] for k in COPIED}, "places": places, "facets": facets, "sorts": sorts}


def stored(item_id: int) -> dict:
    row = db.session.execute(select(CatalogText.__table__).where(
        CatalogText.item_id == item_id)).mappings().one()
    return {**{k: row[k] for k in COPIED}, "places": sorted(row["places"]),
            "facets": set(row["facets"]), "sorts": row["sorts"]}


def assert_in_step(*appeals_):
    db.session.flush()
    for appeal in appeals_:
        assert stored(appeal.id) == source(appeal.id), appeal


def test_the_row_follows_intake_transitions_redirect_and_reassignment(appeals):  # noqa: F811
    kk, ru = appeals["kk"], appeals["ru"]
    assert_in_step(*appeals.values())
    assert stored(appeals["secret"].id)["restricted"] is True
    responsible = user("demo-responsible")
    transition(kk, "start_review", responsible)
    assert_in_step(kk)
    assert stored(kk.id)["state"] == "in_review" and "state=in_review" in stored(kk.id)["facets"]
    db.session.commit()
    old_body = kk.body_id
    redirect(kk, responsible, "Health question", "MZ")  # body, places and state change
    db.session.commit()
    assert kk.body_id != old_body
    assert_in_step(kk)
    assert f"body:{kk.body_id}" in stored(kk.id)["places"]
    assert f"body={old_body}" not in stored(kk.id)["facets"]
    create_user("demo-responsible-2", "responsible", password="x" * 12, body_code="MLSPP",
                full_name="Second responsible")
    reassign(ru, "demo-responsible-2", user("demo-head"), "Holiday cover")
    db.session.commit()
    assert_in_step(ru)


def test_the_row_follows_places_and_edits_in_one_transaction(appeals):  # noqa: F811
    kk = appeals["kk"]
    set_places(kk, kk.places | {"venue:999"})
    kk.channel = "e_appeals"
    kk.subject = "Жаңа тақырып"
    catalog.reindex_item(kk)
    assert_in_step(kk)
    db.session.rollback()           # nothing of it stays, in the row either
    assert_in_step(kk)
    assert "venue:999" not in stored(kk.id)["places"]


def test_the_lean_intake_writes_the_same_row(db_app, api, integ):  # noqa: F811
    made = api.post("/api/v1/appeals", json=body(external_id="R-1", applicant__iin=None,
                                                 applicant__citizenship="RU"), headers=integ)
    assert made.status_code == 201, made.get_json()
    item_id = made.get_json()["id"]
    assert stored(item_id) == source(item_id)
    assert stored(item_id)["restricted"] is True


def test_the_backfill_computes_what_the_catalog_writes(pg_app):
    generate(40, seed=5)
    db.session.commit()
    before = {i: stored(i) for i in db.session.execute(select(CatalogText.item_id)).scalars()}
    db.session.execute(update(CatalogText.__table__).values(
        type=None, state=None, restricted=None, owner_id=None, modified_at=None, places=None,
        facets=None, sorts=None))
    assert sum(db.session.execute(s).rowcount for s in catalog.backfill_statements()) == 40
    assert {i: stored(i) for i in before} == before
    assert all(before[i] == source(i) for i in before)  # and generate wrote them right
    # a database from before the sort keys (session 5): only they are filled
    db.session.execute(update(CatalogText.__table__).values(sorts=null()))  # SQL NULL, as a new column
    assert sum(db.session.execute(s).rowcount for s in catalog.backfill_statements()) == 40
    assert {i: stored(i) for i in before} == before


# -- results and counts equal a naive count ------------------------------------------------------

@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def generated(request, tmp_path_factory):
    """150 generated appeals in a database of the module's own, made once per database for the
    tests below, which only read them (generate(150) per test cost ~1-2 s a test)."""
    with own_database(request, request.param, tmp_path_factory.mktemp("search-rows")) as app:
        generate(150, seed=3)
        db.session.commit()
        yield app


def naive(user_, words: str, filters: dict) -> list[Appeal]:
    """Every appeal the user may view (can(), one by one) whose words hold every query word as
    a prefix and whose values pass the filters."""
    wanted = catalog.query_words(words)
    out = []
    for appeal in db.session.execute(select(Appeal)).scalars():
        if not can(user_, "view", appeal):
            continue
        have = db.session.get(CatalogText, appeal.id).words.split()
        if not all(any(h.startswith(w) for h in have) for w in wanted):
            continue
        values = {"state": appeal.state, "channel": appeal.channel, "venue": appeal.venue_id,
                  "body": appeal.body_id, "year": appeal.registration_year}
        if all(values[name] in vals for name, vals in filters.items()):
            out.append(appeal)
    return out


def naive_facets(user_, words: str, filters: dict) -> dict[str, Counter]:
    out = {}
    for name in FACETS:
        others = {k: v for k, v in filters.items() if k != name}
        attr = {"state": "state", "channel": "channel", "venue": "venue_id", "body": "body_id",
                "year": "registration_year"}[name]
        out[name] = Counter(getattr(a, attr) for a in naive(user_, words, others))
    return out


CASES = [("", {}), ("жер", {}), ("кезек", {"year": [2025]}), ("",
         {"state": ["closed"], "channel": ["egov_portal", "paper"]}), ("помощь", {"state": ["closed"]})]


@pytest.mark.parametrize("words,filters", CASES)
def test_results_and_facets_equal_a_naive_count(generated, words, filters):
    logins = db.session.execute(select(User.login).where(
        User.login.like("g-resp-%-1") | User.login.like("g-reg-%") | User.login.like("g-head-%"))
        .order_by(User.login).limit(5)).scalars().all()
    assert logins
    for login in logins:
        reader = user(login)
        expected = naive(reader, words, filters)
        result = catalog.search(reader, q=words, type="appeal", filters=filters,
                                facets=list(FACETS), per_page=100)
        assert result.total == len(expected) <= COUNT_LIMIT and not result.capped
        assert {a.id for a in result.items} == {a.id for a in expected}
        assert [a.modified_at for a in result.items] == sorted(
            (a.modified_at for a in expected), reverse=True)
        counts = naive_facets(reader, words, {k: v for k, v in filters.items()})
        for name, rows in result.facets.items():
            assert {fc.value: fc.count for fc in rows} == dict(counts[name]), (login, name)
        assert catalog.count(reader, q=words, type="appeal", filters=filters) == len(expected)


def test_past_the_count_limit_the_total_and_other_facets_stay_exact(generated, monkeypatch):
    """One scan reads the matches without the filtered facet's own filter; when that scan
    passes COUNT_LIMIT, the total and the other facets come from the query's own matches
    (exact while those are within the limit) and only the filtered facet is a lower bound."""
    reader = user(db.session.execute(select(User.login).where(User.login.like("g-reg-%"))
                                     .order_by(User.login).limit(1)).scalar_one())
    years = catalog.search(reader, type="appeal", facets=["year"]).facets["year"]
    year = min(years, key=lambda fc: fc.count).value
    kw = dict(type="appeal", filters={"year": [year]}, facets=list(FACETS), per_page=100)
    full = catalog.search(reader, **kw)
    superset = sum(fc.count for fc in full.facets["year"])
    assert full.total < superset and not full.capped and not full.capped_facets
    monkeypatch.setattr(catalog, "COUNT_LIMIT", full.total)
    cut = catalog.search(reader, **kw)
    assert (cut.total, cut.capped, cut.capped_facets) == (full.total, False, {"year"})
    assert [a.id for a in cut.items] == [a.id for a in full.items]
    assert {k: v for k, v in cut.facets.items() if k != "year"} == \
        {k: v for k, v in full.facets.items() if k != "year"}
    assert sum(fc.count for fc in cut.facets["year"]) == full.total + 1   # the rows read
    monkeypatch.setattr(catalog, "COUNT_LIMIT", full.total - 1)
    over = catalog.search(reader, **kw)
    assert (over.total, over.capped) == (full.total, True) and over.capped_facets == set(FACETS)
    assert [a.id for a in over.items] == [a.id for a in full.items]       # the page is exact


# -- the copied sort keys ------------------------------------------------------------------------

def test_the_row_follows_a_moved_reply_due(appeals):  # noqa: F811
    kk = appeals["kk"]
    kk.reply_due = kk.reply_due.replace(year=kk.reply_due.year + 1)
    assert_in_step(kk)


@pytest.mark.parametrize("sort", ["-registered", "registered", "due", "-due"])
def test_a_date_sort_reads_the_row_and_orders_as_the_appeal(generated, sort):
    """sort=-registered / due read the search row's copy (``sorts``, ISO text): no join of
    ``appeal`` per match, and the same order as the appeal's own column (ties by id)."""
    logins = db.session.execute(select(User.login).where(
        User.login.like("g-reg-%") | User.login.like("g-head-%"))).scalars().all()
    reader = max((user(login) for login in logins),
                 key=lambda u: catalog.count(u, q="по", type="appeal"))
    query = catalog.prepare(q="по", type="appeal", sort=sort)
    counts = catalog.counts_statement(reader, query, list(FACETS), page=(0, 20))
    assert "appeal." not in str(counts.compile(db.engine))  # no join: the row's copy
    result = catalog.search(reader, q="по", type="appeal", sort=sort, per_page=100)
    assert result.total > 10
    column = {"registered": Appeal.registered_on, "due": Appeal.reply_due}[sort.lstrip("-")]
    desc = sort.startswith("-")
    expected = [a.id for a in sorted(result.items, key=lambda a: (
        getattr(a, column.key), a.id), reverse=desc)]
    assert [a.id for a in result.items] == expected
    page = db.session.execute(catalog.page_statement(reader, query, 2, 7)).scalars().all()
    assert [a.id for a in page] == expected[7:14]
