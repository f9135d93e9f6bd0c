"""The catalog on the memo application (issue 4): full text in Kazakh and Russian, the same on
SQLite and PostgreSQL, permission-filtered totals and facets, pagination, the index in step."""
import io

import pytest
from sqlalchemy import event, select

from docflow.engine import add_file_version, catalog, create_item, grant, transition, update_item
from docflow.engine.catalog import CatalogError, CatalogText, search
from docflow.engine.catalog_cli import catalog_cli
from docflow.engine.content import Item
from docflow.extensions import db
from tests.engine.memo import OTHER_PLACE, PLACE, Memo


@pytest.fixture
def cat(memo_app):
    catalog.register("memo", text=lambda m: [m.body], fields=["body"],
                     facets={"owner": Item.owner_id},
                     filters={"mine": lambda values, user: Item.owner_id == user.id})
    yield memo_app
    catalog.unregister("memo")


@pytest.fixture
def memos(cat):
    """Four memos by alice at PLACE and one by nobody at OTHER_PLACE, committed."""
    u = cat.memo.users
    made = {}
    for key, title, body, place in [
        ("kk", "Әкімдікке хат", "Жұмысқа орналасу туралы өтініш", PLACE),
        ("ru", "Письмо в министерство", "Прошу принять на личный прием по вопросу пенсии", PLACE),
        ("mix", "ҚАЗАҚСТАН Республикасы", "Ұлттық қор және пенсия жүйесі", PLACE),
        ("num", "Тіркеу KZ2026-00015", "v2 1e5 номер 2026kz", PLACE),
        ("far", "Әкімдікке басқа хат", "Жұмыс", OTHER_PLACE),
    ]:
        made[key] = create_item(Memo, title=title, body=body, places=[place],
                                owner=u.alice if place == PLACE else u.nobody)
    db.session.commit()
    return made


def ids(result, memos):
    by_id = {m.id: k for k, m in memos.items()}
    return sorted(by_id[i.id] for i in result.items)


def test_words_are_normalized_like_the_simple_configuration():
    assert catalog.words_of("ӘКІМ Сәрсенбаев-Ғалым, №15/2026 «Ұлттық»") == [
        "әкім", "сәрсенбаев", "ғалым", "no15", "2026", "ұлттық"]
    assert catalog.words_of("ЁЛКА Й\u0306") == ["ёлка", "й"]  # composed by NFKC
    assert catalog.index_words(["Пенсия пенсия", None, "ПЕНСИЯ жүйесі"]) == "пенсия жүйесі"
    assert catalog.query_words("  ") == []


# The same query gives the same items on SQLite and on PostgreSQL (db_app runs both): Kazakh and
# Russian words, prefixes, upper and lower case of Kazakh letters, all words required.
QUERIES = [
    ("әкімдік", ["kk"]),                         # alice sees PLACE only: "far" never appears
    ("ӘКІМДІК", ["kk"]),                         # Ә vs ә, І vs і
    ("әкім", ["kk"]),                            # prefix
    ("жұмыс", ["kk"]),
    ("ҰЛТТЫҚ қор", ["mix"]),
    ("қазақстан", ["mix"]),
    ("пенси", ["mix", "ru"]),                    # Russian prefix in two memos
    ("ПЕНСИИ", ["ru"]),
    ("пенсия прием", []),                        # every word is required
    ("прием пенсии", ["ru"]),
    ("письмо", ["ru"]),
    ("kz2026", ["num"]), ("00015", ["num"]), ("2026", ["num"]), ("1e5", ["num"]),
    ("V2", ["num"]), ("2026KZ", ["num"]),
    ("хат", ["kk"]), ("ха", ["kk"]),
    ("нет-такого", []),
]


def test_the_same_query_finds_the_same_items_on_both_backends(memos, cat):
    found = {q: ids(search(cat.memo.users.alice, q=q, type="memo"), memos) for q, _e in QUERIES}
    assert found == dict(QUERIES)


def test_without_a_query_everything_visible_is_listed(memos, cat):
    result = search(cat.memo.users.alice, type="memo")
    assert ids(result, memos) == ["kk", "mix", "num", "ru"] and result.total == 4
    assert search(cat.memo.users.carl, type="memo").total == 0  # a clerk sees no drafts


HOSTILE = ['"', "'", "*", ":", "а:*", "пенс*", '"пенсия', "пенсия OR 1=1", "NEAR(a b)",
           "a AND b", "!(x)", "x & y | z", "\\", "%", "_", "' OR ''='", "); DROP TABLE x; --",
           "^пенсия", "{words}: пенсия", "-пенсия", "пенсия:*A", "a\u0000b", "﷽", "ـ",
           "<script>", "😀 пенсия", "NOT", "col:val", "+", "пен-сия"]


def test_hostile_queries_give_results_or_a_message_never_an_error(memos, cat):
    answered = {}
    for q in HOSTILE:
        try:
            result = search(cat.memo.users.alice, q=q, type="memo", facets=["state"])
        except CatalogError as exc:
            answered[q] = str(exc)
        else:
            assert result.total == len(result.items) <= 4, q
            answered[q] = ids(result, memos)
        assert search(cat.memo.users.alice, q="пенси", type="memo").total == 2  # still usable
    messages = [q for q, a in answered.items() if isinstance(a, str)]
    assert all("letters or digits" in answered[q] for q in messages)
    assert {'"', "'", "*", ":", "%", "_", "\\", "+"} <= set(messages)
    assert answered["пенс*"] == ["mix", "ru"] and answered['"пенсия'] == ["mix"]
    assert answered["😀 пенсия"] == answered["-пенсия"] == ["mix"]
    assert answered["пен-сия"] == []


def test_operators_are_words_not_syntax(memos, cat):
    alice = cat.memo.users.alice
    assert ids(search(alice, q='"пенсии" OR "жүйесі"', type="memo"), memos) == []  # "or" is a word
    assert ids(search(alice, q="пенс*:прием", type="memo"), memos) == ["ru"]


@pytest.mark.parametrize("kwargs, message", [
    ({"q": "а" * 201}, "too long"),
    ({"q": " ".join(f"w{i}" for i in range(13))}, "at most 12 words"),
    ({"q": "ж" * 65}, "word is too long"),
    ({"q": "!!!"}, "no letters or digits"),
    ({"page": 0}, "numbered from 1"),
    ({"page": "two"}, "whole number"),
    ({"page": 501}, "first 500 pages"),
    ({"per_page": 1000}, "between 1 and 100"),
    ({"filters": {"colour": ["red"]}}, "Unknown filter colour"),
    ({"filters": {"owner": ["abc"]}}, "not a possible value of owner"),
    ({"facets": ["colour"]}, "Unknown facet colour"),
    ({"sort": "-colour"}, "Unknown sort order"),
    ({"type": "nosuch"}, "no search for items of the type nosuch"),
])
def test_bad_input_is_a_clear_message(memos, cat, kwargs, message):
    kwargs.setdefault("type", "memo")
    with pytest.raises(CatalogError, match=message):
        search(cat.memo.users.alice, **kwargs)


def test_facets_count_only_what_the_user_may_see(memos, cat):
    u = cat.memo.users
    transition(memos["mix"], "sign", u.sam)
    db.session.commit()
    result = search(u.alice, type="memo", facets=["state", "owner"])
    assert dict(result.facets["state"]) == {"draft": 3, "signed": 1}
    assert dict(result.facets["owner"]) == {u.alice.id: 4}
    # the clerk sees signed memos at PLACE only — not alice's drafts, not OTHER_PLACE
    result = search(u.carl, type="memo", facets=["state"])
    assert ids(result, memos) == ["mix"] and dict(result.facets["state"]) == {"signed": 1}
    assert search(u.arch, type="memo", facets=["state"]).facets == {"state": []}
    # the root admin sees all five, "far" included
    result = search(u.root, q="әкімдік", type="memo", facets=["state"])
    assert ids(result, memos) == ["far", "kk"] and dict(result.facets["state"]) == {"draft": 2}


def test_a_facet_counts_its_other_values_while_filtered(memos, cat):
    u = cat.memo.users
    transition(memos["mix"], "sign", u.sam)
    db.session.commit()
    result = search(u.alice, type="memo", filters={"state": "signed"}, facets=["state", "owner"])
    assert ids(result, memos) == ["mix"] and result.total == 1
    assert dict(result.facets["state"]) == {"draft": 3, "signed": 1}  # choose another state
    assert dict(result.facets["owner"]) == {u.alice.id: 1}          # within signed
    both = search(u.alice, type="memo", filters={"state": ["signed", "draft"]})
    assert both.total == 4
    assert search(u.alice, type="memo", filters={"owner": str(u.alice.id)}).total == 4
    assert search(u.alice, type="memo", filters={"mine": "1"}).total == 4
    assert search(u.sam, type="memo", filters={"mine": "1"}).total == 0


def test_restricted_items_are_not_listed_nor_counted_without_clearance(cat):
    u = cat.memo.users
    secret = create_item(Memo, title="Құпия хат", body="шетел азаматы", owner=u.nobody,
                         places=[PLACE], restricted=True)
    create_item(Memo, title="Ашық хат", body="азамат", owner=u.nobody, places=[PLACE])
    db.session.commit()
    for q in (None, "хат", "құпия"):
        result = search(u.sam, q=q, type="memo", facets=["state", "owner"])
        assert secret not in result.items
        assert result.total == (0 if q == "құпия" else 1)
        assert sum(c for _v, c in result.facets["state"]) == result.total
    cleared = cat.memo.directory.user("cleared", ("signer", PLACE), clearances=[PLACE])
    db.session.commit()
    result = search(cleared, q="құпия", type="memo", facets=["state"])
    assert result.items == [secret] and dict(result.facets["state"]) == {"draft": 1}


def test_text_of_the_latest_file_versions_is_found(memos, cat):
    from docx import Document
    from weasyprint import HTML

    u = cat.memo.users
    memo = memos["ru"]
    pdf = HTML(string="<p>Анықтама: зейнетақы төлемдері</p><p>Справка о выплатах</p>").write_pdf()
    add_file_version(memo, "brief", pdf, u.alice, filename="brief.pdf")
    doc = Document()
    doc.add_paragraph("Қосымша құжат: мүгедектік жәрдемақысы")
    buf = io.BytesIO()
    doc.save(buf)
    add_file_version(memo, "extra", buf.getvalue(), u.alice, filename="extra.docx")
    add_file_version(memo, "note", "алғашқы нұсқа".encode(), u.alice, filename="note.txt")
    db.session.commit()
    alice = u.alice
    for q in ("зейнетақы", "ВЫПЛАТ", "мүгедектік", "жәрдемақы", "алғашқы"):
        assert ids(search(alice, q=q, type="memo"), memos) == ["ru"], q
    add_file_version(memo, "note", "екінші нұсқа".encode(), u.alice, filename="note.txt")
    db.session.commit()
    assert search(alice, q="алғашқы", type="memo").total == 0  # only the latest version counts
    assert search(alice, q="екінші", type="memo").total == 1


def test_the_index_follows_edits_and_transitions(memos, cat):
    u = cat.memo.users
    memo = memos["kk"]
    update_item(memo, u.alice, body="Баспана кезегі")
    catalog.reindex_item(memo)
    db.session.commit()
    assert ids(search(u.alice, q="баспана", type="memo"), memos) == ["kk"]
    assert search(u.alice, q="орналасу", type="memo").total == 0
    # a transition changes who sees it and its state facet, at query time
    assert search(u.carl, q="баспана", type="memo").total == 0
    transition(memo, "sign", u.sam)
    db.session.commit()
    result = search(u.carl, q="баспана", type="memo", facets=["state"])
    assert ids(result, memos) == ["kk"] and dict(result.facets["state"]) == {"signed": 1}
    assert search(u.carl, q="баспана", type="memo", filters={"state": "draft"}).total == 0
    # a local role granted later needs no re-indexing
    other = cat.memo.directory.user("reader2")
    grant(memos["far"], f"user:{other.id}", "reader", u.root)
    db.session.commit()
    assert ids(search(other, q="әкімдік", type="memo"), memos) == ["far"]


def test_a_flush_that_changes_an_indexed_field_reindexes(memos, cat):
    u = cat.memo.users
    memo = memos["ru"]
    memo.body = "Көпбалалы отбасы"       # no reindex_item: the flush sees the indexed field
    db.session.commit()
    assert ids(search(u.alice, q="көпбалалы", type="memo"), memos) == ["ru"]
    memo.title = "Жаңа тақырып"
    db.session.commit()
    assert ids(search(u.alice, q="тақырып", type="memo"), memos) == ["ru"]
    before = db.session.get(CatalogText, memo.id).indexed_at
    memo.language = "kk"                 # not indexed: the index row is not rewritten
    db.session.commit()
    assert db.session.get(CatalogText, memo.id).indexed_at == before


def test_rolled_back_writes_leave_the_index_as_it_was(memos, cat):
    u = cat.memo.users
    create_item(Memo, title="Уақытша", body="жоба", owner=u.alice, places=[PLACE])
    db.session.rollback()
    assert search(u.alice, q="уақытша", type="memo").total == 0
    assert db.session.execute(select(db.func.count()).select_from(CatalogText)).scalar() == 5


def test_pagination_and_sorting(cat):
    u = cat.memo.users
    made = [create_item(Memo, title=f"Хат {i:02d}", body="жалпы", owner=u.alice, places=[PLACE])
            for i in range(25)]
    db.session.commit()
    first = search(u.alice, q="хат", type="memo", sort="title", per_page=10)
    assert [m.title for m in first.items] == [f"Хат {i:02d}" for i in range(10)]
    assert (first.total, first.pages, first.has_prev, first.has_next) == (25, 3, False, True)
    last = search(u.alice, q="хат", type="memo", sort="-title", per_page=10, page=3)
    assert [m.title for m in last.items] == [f"Хат {i:02d}" for i in range(4, -1, -1)]
    assert not last.has_next and last.has_prev
    beyond = search(u.alice, q="хат", type="memo", per_page=10, page=4)
    assert beyond.items == [] and beyond.total == 25
    newest = search(u.alice, type="memo", per_page=1)  # -modified, ties by id
    assert newest.items == [made[-1]]


class Statements:
    def __init__(self):
        self.sql = []

    def __call__(self, conn, cursor, statement, *args):
        self.sql.append(statement)


def _loaded(user):
    """The user and their principal loaded outside a statement count (a request has them)."""
    from docflow.engine.security import principal_for
    principal_for(user)
    return user


def _statements(user, **kw) -> tuple[int, list]:
    _loaded(user)
    counter = Statements()
    event.listen(db.engine, "before_cursor_execute", counter)
    try:
        result = search(user, **kw)
    finally:
        event.remove(db.engine, "before_cursor_execute", counter)
    return len(result.items), counter.sql


def test_a_search_is_a_constant_number_of_statements(cat):
    u = cat.memo.users
    assert u.alice.id  # loaded outside the count
    kw = dict(q="хат", type="memo", facets=["state", "owner"], per_page=50)
    seen = []
    for n in (3, 60):
        for i in range(n - sum(x for x, _ in seen[-1:]) if seen else n):
            create_item(Memo, title=f"Хат {i}", body="мәтін", owner=u.alice, places=[PLACE])
        db.session.commit()
        db.session.expire_all()
        seen.append(_statements(u.alice, **kw))
    # the user's local grants (1, once per transaction: visible_filter's literal prefixes) +
    # ONE scan of the search rows for the total, every facet and the page's ids
    # (catalog.counts_statement) + the page's items by id (1) + their places (1), on both
    # backends; on PostgreSQL one more, before the scan: the query words' indexed words
    # (catalog.expansions, from engine_catalog_word)
    pg = db.engine.dialect.name == "postgresql"
    assert [(n, len(sql)) for n, sql in seen] == [(3, 4 + pg), (50, 4 + pg)]
    assert sum("engine_catalog_text" in s for s in seen[-1][1]) == 1
    assert sum("engine_catalog_word" in s for s in seen[-1][1]) == pg


def test_postgres_parser_keeps_our_words_whole(db_app, cat):
    """The generated tsvector (PostgreSQL's parser, 'simple') holds exactly the words we wrote."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's parser only")
    u = cat.memo.users
    memo = create_item(Memo, title="kz2026 2026kz 1e5 00015 v2 ә1 1ә қазақ", body="x1y2 3.5",
                       owner=u.alice, places=[PLACE])
    db.session.commit()
    lexemes = db.session.execute(db.text(
        "SELECT tsvector_to_array(tsv) FROM engine_catalog_text WHERE item_id = :id"),
        {"id": memo.id}).scalar()
    assert sorted(lexemes) == sorted(db.session.get(CatalogText, memo.id).words.split())


def test_reindex_command_rebuilds_the_index(memos, cat):
    db.session.execute(CatalogText.__table__.delete())
    db.session.commit()
    assert search(cat.memo.users.alice, q="пенси", type="memo").total == 0
    out = cat.test_cli_runner().invoke(catalog_cli, ["reindex"])
    assert out.exit_code == 0 and "5 items indexed" in out.output, out.output
    assert search(cat.memo.users.alice, q="пенси", type="memo").total == 2
    bad = cat.test_cli_runner().invoke(catalog_cli, ["reindex", "--type", "nosuch"])
    assert bad.exit_code != 0 and "no search for items of the type nosuch" in bad.output


def test_saved_searches_and_their_counters(memos, cat):
    u = cat.memo.users
    mine = catalog.save_search(u.alice, "  Менің   хаттарым ", q="ӘКІМДІК", type="memo")
    catalog.save_search(u.alice, "Pensions", q="пенси", type="memo", filters={"state": "draft"})
    catalog.save_search(u.sam, "Signed", type="memo", filters={"state": ["signed"]})
    db.session.commit()
    assert mine.name == "Менің хаттарым" and mine.q == "әкімдік"
    counters = [(s.name, n) for s, n in catalog.saved_counters(u.alice)]
    assert counters == [("Pensions", 2), ("Менің хаттарым", 1)]
    assert [(s.name, n) for s, n in catalog.saved_counters(u.sam)] == [("Signed", 0)]
    transition(memos["ru"], "sign", u.sam)
    db.session.commit()
    assert [n for _s, n in catalog.saved_counters(u.alice)] == [1, 1]
    assert [n for _s, n in catalog.saved_counters(u.sam)] == [1]
    # the same name replaces; invalid searches are refused; only the owner deletes
    again = catalog.save_search(u.alice, "Pensions", q="жүйесі", type="memo")
    db.session.commit()
    assert again.id == catalog.saved_searches(u.alice)[0].id and again.filters == {}
    with pytest.raises(CatalogError, match="name"):
        catalog.save_search(u.alice, "   ", q="x", type="memo")
    with pytest.raises(CatalogError, match="Unknown filter"):
        catalog.save_search(u.alice, "Bad", type="memo", filters={"colour": "red"})
    assert not catalog.delete_saved_search(u.sam, again.id)
    assert catalog.delete_saved_search(u.alice, again.id)
    db.session.commit()
    assert [s.name for s in catalog.saved_searches(u.alice)] == ["Менің хаттарым"]


def test_saved_search_counters_are_one_count_each(memos, cat):
    u = cat.memo.users
    for i in range(4):
        catalog.save_search(u.alice, f"S{i}", q="хат" if i % 2 else None, type="memo")
    db.session.commit()
    _loaded(u.alice)
    counter = Statements()
    event.listen(db.engine, "before_cursor_execute", counter)
    try:
        rows = catalog.saved_counters(u.alice)
    finally:
        event.remove(db.engine, "before_cursor_execute", counter)
    assert [n for _s, n in rows] == [4, 1, 4, 1]
    # the saved searches (1), the user's local grants (1, once per transaction), one COUNT each;
    # on PostgreSQL the words' expansion, once per transaction for the two searches of "хат"
    pg = db.engine.dialect.name == "postgresql"
    assert len(counter.sql) == 1 + 1 + 4 + pg and "engine_local_role" in counter.sql[1]
    counts = [s for s in counter.sql[2:] if "engine_catalog_word" not in s]
    assert len(counts) == 4 and all("count" in s.lower() for s in counts)


def test_a_saved_search_that_can_no_longer_run_shows_no_count(memos, cat):
    u = cat.memo.users
    catalog.save_search(u.alice, "Mine", type="memo", filters={"mine": "1"})
    db.session.commit()
    catalog.register("memo", text=lambda m: [m.body])  # the application dropped "mine"
    assert [(s.name, n) for s, n in catalog.saved_counters(u.alice)] == [("Mine", None)]


def test_search_across_types_has_the_common_facets(memos, cat):
    result = search(cat.memo.users.alice, q="хат", facets=["type", "state"])
    assert ids(result, memos) == ["kk"] and dict(result.facets["type"]) == {"memo": 1}
    with pytest.raises(CatalogError, match="Unknown facet owner"):
        search(cat.memo.users.alice, q="хат", facets=["owner"])


def test_other_place_items_found_by_the_admin_only(memos, cat):
    assert OTHER_PLACE != PLACE
    assert ids(search(cat.memo.users.root, q="жұмыс", type="memo"), memos) == ["far", "kk"]


def test_migrations_can_ignore_the_fulltext_objects(db_app):
    """The FTS5 table (SQLite) and the tsv column and GIN index (PostgreSQL) are DDL, not
    models: Alembic's comparison sees them unless given catalog.include_object."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    def catalog_diff(**opts):
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts=opts), db.metadata)
        return [d for d in diff if "catalog" in repr(d)]

    assert catalog_diff() != []
    assert catalog_diff(include_object=catalog.include_object) == []
