"""Exports of the worklist and the search results: the page's rows (all of its pages), in its
order, under the same filters and permission filter — restricted appeals (R11) are exported to
cleared users only."""
import csv
import io
import re

import pytest
from openpyxl import load_workbook

from docflow.auth.operations import create_user
from docflow.extensions import db
from docflow.reception.intake import IntakeSchema
from docflow.reception.operations import register_appeal
from docflow.reception.search import PER_PAGE, init_search
from tests.api.test_appeals_api import body
from tests.reception.test_search import register_all, user

NUMBER = re.compile(r"(?:CRC-AST|RR-MLSPP)-\d{4}-\d{6}")
PASSWORD = "demo-pass-2026"


@pytest.fixture
def appeals(app):
    """The search tests' four appeals (one restricted: a foreigner, R11) and enough more that
    the search has two pages. (Pages are read through the SQLite app's test client, as in
    tests/reception/test_search.py; the queries themselves run on both backends there.)"""
    from docflow.demo import load_demo
    init_search(app)
    load_demo()
    create_user("resp-cleared", "responsible", venue_code="CRC-AST", body_code="MLSPP",
                password=PASSWORD, cleared_restricted=True)
    made = register_all()
    registrar = user("demo-registrar")
    for i in range(PER_PAGE + 2):
        register_appeal(IntakeSchema().load(body(external_id=f"X-{i}", subject=f"Extra {i}")),
                        registrar)
    db.session.commit()
    return made


@pytest.fixture
def sign_in(client, login):
    def do(name):
        login(name, PASSWORD)
        client.get("/worklist?lang=en")
        return client
    return do


def numbers(html: str) -> list[str]:
    return list(dict.fromkeys(NUMBER.findall(html)))


def csv_numbers(response) -> list[str]:
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:2] == ["Number", "Applicant"]
    return [r[0] for r in rows[1:]]


def xlsx_numbers(response) -> list[str]:
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    return [r[0] for r in sheet.iter_rows(min_row=2, values_only=True)]


@pytest.mark.parametrize("who, sees_secret", [("demo-responsible", False),
                                                ("resp-cleared", True)])
@pytest.mark.parametrize("args", ["", "?scope=all", "?scope=all&show=new&sort=number&dir=desc"])
def test_worklist_export_is_the_page_list(appeals, sign_in, who, sees_secret, args):
    client = sign_in(who)
    page = client.get(f"/worklist{args}").get_data(as_text=True)
    assert 'data-testid="export-csv"' in page
    shown = numbers(page)
    assert shown, "the page lists appeals"
    secret = appeals["secret"].registration_number
    if not sees_secret:
        assert secret not in shown
    elif "scope=all" in args:
        assert secret in shown
    sep = "&" if args else "?"
    assert csv_numbers(client.get(f"/worklist/export.csv{args}")) == shown
    assert xlsx_numbers(client.get(f"/worklist/export.xlsx{args}{sep}page=1")) == shown


def search_pages(client, args: str) -> list[str]:
    found, page = [], 1
    while True:
        html = client.get(f"/search?page={page}{args}").get_data(as_text=True)
        found += numbers(html)
        if 'rel="next"' not in html:
            return found
        page += 1


@pytest.mark.parametrize("who, sees_secret", [("demo-responsible", False),
                                                ("resp-cleared", True)])
@pytest.mark.parametrize("args", ["", "&sort=number", "&f_channel=egov_portal&sort=-registered",
                                  "&q=Extra"])
def test_search_export_is_every_page_of_the_results(appeals, sign_in, who, sees_secret, args):
    client = sign_in(who)
    shown = search_pages(client, args)
    assert (appeals["secret"].registration_number in shown) is (sees_secret and "q=" not in args)
    query = args.replace("&", "?", 1)
    assert csv_numbers(client.get(f"/search/export.csv{query}")) == shown
    assert xlsx_numbers(client.get(f"/search/export.xlsx{query}")) == shown


def test_search_export_links_and_bad_queries(appeals, sign_in):
    client = sign_in("demo-responsible")
    page = client.get("/search?f_channel=egov_portal").get_data(as_text=True)
    assert "/search/export.csv?f_channel=egov_portal" in page
    bad = client.get("/search/export.csv?f_nope=1")
    assert bad.status_code == 303 and "/search?f_nope=1" in bad.headers["Location"]
    assert client.get("/search/export.pdf").status_code == 404


def test_exports_need_a_signed_in_user(appeals, client):
    for url in ("/worklist/export.csv", "/search/export.xlsx", "/surveys/export.csv"):
        response = client.get(url)
        assert response.status_code in (302, 401) and b"CRC-AST" not in response.get_data()
