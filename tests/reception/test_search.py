"""Searching appeals (issue 4): the appeal's catalog fields, R11 in results, totals and facets,
the /search page and the /dashboard of saved searches — on SQLite and PostgreSQL."""
import re

import pytest

from docflow.auth.models import User
from docflow.engine import add_file_version, catalog, transition
from docflow.engine.catalog import CatalogText
from docflow.extensions import db
from docflow.reception.intake import IntakeSchema
from docflow.reception.models import Appeal
from docflow.reception.operations import register_appeal
from docflow.reception.search import init_search
from docflow.reference.models import Body, Venue
from tests.api.test_appeals_api import body
from tests.conftest import csrf_token
from tests.sqlcount import statements_of_get

PASSWORD = "demo-pass-2026"
APPEALS = {
    "kk": dict(external_id="S-1", subject="Жұмысқа орналасу",
               text="Министрдің қабылдауына жазылғым келеді."),
    "ru": dict(external_id="S-2", subject="Пенсионное обеспечение",
               text="Прошу записать на приём по вопросу ПЕНСИИ.", applicant__last_name="Иванова",
               applicant__first_name="Ольга", applicant__language="ru", channel="e_appeals"),
    "mz": dict(external_id="S-3", subject="Емхана кезегі", text="Дәрігерге жазылу", body="MZ"),
    "secret": dict(external_id="S-4", subject="Құпия өтініш", text="Шетел азаматының жұмысы",
                   applicant__citizenship="UZ", applicant__iin=None,
                   applicant__last_name="Каримов"),
}


def user(login: str) -> User:
    return db.session.execute(db.select(User).where(User.login == login)).scalar_one()


def register_all(keys=APPEALS) -> dict[str, Appeal]:
    registrar = user("demo-registrar")
    made = {k: register_appeal(IntakeSchema().load(body(**APPEALS[k])), registrar).appeal
            for k in keys}
    db.session.commit()
    return made


@pytest.fixture
def appeals(db_app):
    from docflow.demo import load_demo
    init_search(db_app)
    load_demo()
    return register_all()


@pytest.fixture
def site(app, demo):
    init_search(app)
    return app


@pytest.fixture
def sign_in(client, login):
    """Sign in and read the pages in English (the msgids the tests look for)."""
    def do(name):
        login(name, PASSWORD)
        client.get("/dashboard?lang=en")
    return do


def names(result, appeals) -> list[str]:
    by_id = {a.id: k for k, a in appeals.items()}
    return sorted(by_id[a.id] for a in result.items)


def test_init_search_is_idempotent(app):
    init_search(app)
    init_search(app)
    assert "search" in app.blueprints and "catalog" in app.cli.commands
    assert catalog.registration("appeal").facets["venue"] is Appeal.venue_id


# The registrar at CRC-AST is cleared (R11): every appeal. The head of MLSPP is not, and sees
# his body's appeals only. The same ids on SQLite and PostgreSQL (db_app runs both).
QUERIES = [
    ("demo-registrar", "жұмыс", ["kk", "secret"]),
    ("demo-registrar", "ЖҰМЫСҚА", ["kk"]),
    ("demo-registrar", "пенси", ["ru"]),
    ("demo-registrar", "приём", ["ru"]),
    ("demo-registrar", "ОЛЬГА иванов", ["ru"]),
    ("demo-registrar", "сәрсенбаев", ["kk", "mz"]),
    ("demo-registrar", "ҒАЛЫМ ДӘРІГЕР", ["mz"]),
    ("demo-registrar", "құпия", ["secret"]),
    ("demo-registrar", "каримов", ["secret"]),
    ("demo-registrar", "CRC", ["kk", "mz", "ru", "secret"]),  # the registration number
    ("demo-head", "жұмыс", ["kk"]),
    ("demo-head", "құпия", []),
    ("demo-head", "каримов", []),
    ("demo-head", "дәрігер", []),                             # another body's appeal
    ("demo-head", "CRC", ["kk", "ru"]),
]


def test_the_same_words_find_the_same_appeals_on_both_backends(appeals):
    found = [(login, q, names(catalog.search(user(login), q=q, type="appeal"), appeals))
             for login, q, _e in QUERIES]
    assert found == QUERIES


def test_a_restricted_appeal_is_never_counted_for_an_uncleared_user(appeals):
    """R11: not in the results, the total nor any facet count; the cleared registrar sees it."""
    facets = ["state", "channel", "venue", "body", "year"]
    head = catalog.search(user("demo-head"), type="appeal", facets=facets)
    assert names(head, appeals) == ["kk", "ru"] and head.total == 2
    for name in facets:
        assert sum(n for _v, n in head.facets[name]) == 2, name
    egov = catalog.search(user("demo-head"), type="appeal", facets=["channel"],
                          filters={"channel": "egov_portal"})
    assert egov.total == 1 and dict(egov.facets["channel"]) == {"egov_portal": 1, "e_appeals": 1}
    registrar = catalog.search(user("demo-registrar"), type="appeal", facets=facets)
    assert registrar.total == 4
    assert dict(registrar.facets["channel"]) == {"egov_portal": 3, "e_appeals": 1}
    mlspp = db.session.execute(db.select(Body.id).where(Body.code == "MLSPP")).scalar()
    assert dict(head.facets["body"]) == {mlspp: 2}
    assert dict(registrar.facets["body"])[mlspp] == 3
    assert catalog.count(user("demo-head"), q="құпия", type="appeal") == 0
    assert catalog.count(user("demo-registrar"), q="құпия", type="appeal") == 1


def test_text_in_an_attached_pdf_is_found(appeals):
    from weasyprint import HTML

    pdf = HTML(string="<h1>Анықтама</h1><p>Тұрғын үй кезегі туралы мәлімет</p>").write_pdf()
    add_file_version(appeals["kk"], "attachment-1", pdf, user("demo-registrar"),
                     filename="certificate.pdf")
    db.session.commit()
    for q in ("тұрғын", "КЕЗЕГІ", "анықтама"):
        assert names(catalog.search(user("demo-head"), q=q, type="appeal"), appeals) == ["kk"]


def test_the_index_follows_a_transition(appeals):
    head, responsible = user("demo-head"), user("demo-responsible")
    kk = appeals["kk"]
    transition(kk, "start_review", responsible)
    db.session.commit()
    result = catalog.search(head, q="жұмыс", type="appeal", facets=["state"],
                            filters={"state": "in_review"})
    assert names(result, appeals) == ["kk"]
    assert dict(result.facets["state"]) == {"in_review": 1}
    assert catalog.count(head, type="appeal", filters={"state": "registered"}) == 1
    row = db.session.get(CatalogText, kk.id)
    assert "жұмысқа" in row.words.split()


def test_edits_reach_the_index_with_reindex_item(appeals):
    ru = appeals["ru"]
    ru.text = "Жилищная очередь"
    catalog.reindex_item(ru)
    db.session.commit()
    head = user("demo-head")
    assert names(catalog.search(head, q="жилищн", type="appeal"), appeals) == ["ru"]
    assert catalog.search(head, q="записать", type="appeal").total == 0  # the old text


def test_saved_searches_count_what_each_user_may_see(appeals):
    for login in ("demo-head", "demo-registrar"):
        catalog.save_search(user(login), "Жұмыс", q="жұмыс", type="appeal")
        catalog.save_search(user(login), "E-appeals", type="appeal",
                            filters={"channel": ["e_appeals"]})
    db.session.commit()
    assert [(s.name, n) for s, n in catalog.saved_counters(user("demo-head"), "appeal")] == [
        ("E-appeals", 1), ("Жұмыс", 1)]
    assert [(s.name, n) for s, n in catalog.saved_counters(user("demo-registrar"))] == [
        ("E-appeals", 1), ("Жұмыс", 2)]


# -- the pages -----------------------------------------------------------------------------------

def test_pages_need_a_sign_in(site, client):
    for url in ("/search", "/dashboard"):
        assert client.get(url).status_code in (302, 401)


def test_the_search_page_lists_counts_and_names_facets(site, client, sign_in):
    made = register_all()
    sign_in("demo-head")
    page = client.get("/search?lang=ru")
    html = page.get_data(True)
    assert page.status_code == 200
    assert made["kk"].registration_number in html and made["ru"].registration_number in html
    assert made["secret"].registration_number not in html and "Каримов" not in html
    assert f'href="/appeals/{made["kk"].id}"' in html
    crc = db.session.execute(db.select(Venue).where(Venue.code == "CRC-AST")).scalar()
    assert crc.name("ru") in html
    assert f'data-testid="count-venue-{crc.id}">2<' in html
    kk_page = client.get("/search?lang=kk&q=жұмыс").get_data(True)
    assert crc.name("kk") in kk_page
    assert made["kk"].registration_number in kk_page
    assert made["ru"].registration_number not in kk_page
    filtered = client.get("/search?f_channel=e_appeals").get_data(True)
    assert made["ru"].registration_number in filtered
    assert made["kk"].registration_number not in filtered
    assert re.search(r'value="e_appeals"\s+checked', filtered)
    assert not re.search(r'value="egov_portal"\s+checked', filtered)


@pytest.mark.parametrize("args, message", [
    ("page=0", "Pages are numbered from 1"),
    ("page=abc", "whole number"),
    ("page=501", "first 500 pages"),
    ("f_colour=red", "Unknown filter colour"),
    ("f_venue=abc", "not a possible value of venue"),
    ("sort=-colour", "Unknown sort order"),
    ("q=" + "я" * 201, "too long"),
    ("q=%22%2A%3A", "no letters or digits"),
])
def test_bad_input_is_a_message_not_an_error(site, client, sign_in, args, message):
    sign_in("demo-head")
    page = client.get(f"/search?{args}")
    assert page.status_code == 400
    assert message in page.get_data(True)


HOSTILE = ['"', "пенс*", "a OR b", "x:*", "'; DROP TABLE appeal; --", "NEAR(a b)", "\\",
           "%_%", "жұмыс)(", "😀", "a" * 500]


def test_hostile_queries_never_fail(site, client, sign_in):
    register_all(["kk"])
    sign_in("demo-head")
    for q in HOSTILE:
        page = client.get("/search", query_string={"q": q})
        html = page.get_data(True)
        assert page.status_code in (200, 400), q
        assert ('data-testid="search-total"' in html) == (page.status_code == 200), q
        assert page.status_code == 200 or 'data-testid="search-error"' in html, q
    found = client.get("/search", query_string={"q": "жұмыс)("}).get_data(True)
    assert "1 result" in found


def test_pagination_links_keep_the_query(site, client, sign_in):
    registrar = user("demo-registrar")
    for i in range(23):
        register_appeal(IntakeSchema().load(body(external_id=f"P-{i}", subject=f"Өтініш {i}")),
                        registrar)
    db.session.commit()
    sign_in("demo-head")
    first = client.get("/search?q=өтініш&f_channel=egov_portal").get_data(True)
    assert "Page 1 of 2" in first and 'rel="next"' in first and 'rel="prev"' not in first
    second = client.get("/search?q=өтініш&f_channel=egov_portal&page=2").get_data(True)
    assert second.count('href="/appeals/') == 3 and 'rel="prev"' in second
    assert "f_channel=egov_portal" in second and "q=%D3%A9" in second


def test_save_a_search_and_see_its_counter_on_the_dashboard(site, client, sign_in):
    made = register_all()
    sign_in("demo-head")
    token = csrf_token(client.get("/search").get_data(True))
    saved = client.post("/search/save", data={"csrf_token": token, "name": "Менің іздеуім",
                                              "q": "жұмыс", "f_channel": "egov_portal"})
    assert saved.status_code == 303 and saved.headers["Location"].endswith("/dashboard")
    board = client.get("/dashboard").get_data(True)
    (row,) = catalog.saved_searches(user("demo-head"))
    assert "Менің іздеуім" in board and f'data-testid="counter-{row.id}">1<' in board
    assert row.filters == {"channel": ["egov_portal"]} and row.q == "жұмыс"
    register_appeal(IntakeSchema().load(body(external_id="S-9", subject="Жұмыс іздеу")),
                    user("demo-registrar"))
    db.session.commit()
    assert f'data-testid="counter-{row.id}">2<' in client.get("/dashboard").get_data(True)
    assert made["secret"].id
    # refusals are messages: no name, a bad filter, another user's search
    bad = client.post("/search/save", data={"csrf_token": token, "name": ""})
    assert bad.status_code == 303
    assert "Give the search a name" in client.get(bad.headers["Location"]).get_data(True)
    bad = client.post("/search/save", data={"csrf_token": token, "name": "x", "f_colour": "1"})
    assert "Unknown filter colour" in client.get(bad.headers["Location"]).get_data(True)
    gone = client.post(f"/dashboard/{row.id}/delete", data={"csrf_token": token})
    assert gone.status_code == 303
    assert catalog.saved_searches(user("demo-head")) == []
    again = client.post(f"/dashboard/{row.id}/delete", data={"csrf_token": token})
    assert "No such saved search" in client.get(again.headers["Location"]).get_data(True)


def _page_statements(client, url) -> int:
    return len(statements_of_get(client, url))


def test_the_search_page_costs_the_same_statements_for_3_or_30_appeals(site, client, sign_in):
    registrar = user("demo-registrar")
    sign_in("demo-registrar")
    counts = []
    for start, n in ((0, 3), (3, 27)):
        for i in range(start, start + n):
            register_appeal(IntakeSchema().load(body(external_id=f"Q-{i}", subject="Өтініш")),
                            registrar)
        db.session.commit()
        counts.append(_page_statements(client, "/search?q=өтініш"))
    assert counts[0] == counts[1]


def test_the_reindex_command_is_registered(site):
    register_all(["kk"])
    db.session.execute(CatalogText.__table__.delete())
    db.session.commit()
    out = site.test_cli_runner().invoke(args=["catalog", "reindex"])
    assert out.exit_code == 0 and "1 items indexed" in out.output
    assert catalog.count(user("demo-registrar"), q="жұмыс", type="appeal") == 1
