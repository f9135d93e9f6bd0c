"""The quarterly reports list sorted on the server by every column, both ways, on SQLite and
PostgreSQL (ties by id), with its total; an unknown key falls back to the newest quarter first."""
import re

import pytest

from docflow.auth.operations import create_user
from docflow.extensions import db
from docflow.reference.models import Body, Venue
from docflow.reports import quarterly
from tests.conftest import csrf_token
from tests.reception.test_list_sorting import Client

KEYS = {
    "quarter": lambda r: (r.year, r.quarter),
    "venue": lambda r: r.venue.code,
    "body": lambda r: r.body.code,
    "status": lambda r: r.state,
}


@pytest.fixture
def listing(db_app):
    from docflow.demo import load_demo
    load_demo()
    create_user("root", "admin", password="secret-pass-1")
    venues = {v.code: v for v in db.session.execute(db.select(Venue)).scalars()}
    bodies = {b.code: b for b in db.session.execute(db.select(Body)).scalars()}
    reports = [quarterly.report_for(venues[v].id, bodies[b].id, y, q) for v, b, y, q in [
        ("CRC-AST", "MZ", 2025, 2), ("RR-MLSPP", "MLSPP", 2025, 1), ("CRC-AST", "MLSPP", 2025, 2),
        ("CRC-AST", "MLSPP", 2024, 4)]]
    db.session.commit()
    client = Client(db_app)
    page = client.get("/login")
    client.post("/login", data={"login": "root", "password": "secret-pass-1",
                                "csrf_token": csrf_token(page.get_data(True))})
    return client, reports


@pytest.mark.parametrize("key", list(KEYS))
def test_reports_sort_by_every_column(db_app, listing, key):
    client, reports = listing
    for desc in (False, True):
        page = client.get(f"/reports/quarterly/?sort={'-' if desc else ''}{key}&lang=en")
        assert page.status_code == 200
        html = page.get_data(True)
        shown = [int(i) for i in re.findall(r'data-testid="report-(\d+)"', html)]
        want = [r.id for r in sorted(reports, key=lambda r: (KEYS[key](r), r.id), reverse=desc)]
        assert shown == want, (key, desc)
        assert f'aria-sort="{"descending" if desc else "ascending"}" data-sort-key="{key}"' in html
        assert "4 reports" in html


def test_an_unknown_key_is_the_newest_quarter_first(db_app, listing):
    client, reports = listing
    html = client.get("/reports/quarterly/?sort=drop%20table&lang=en").get_data(True)
    assert 'aria-sort="descending" data-sort-key="quarter"' in html
    shown = [int(i) for i in re.findall(r'data-testid="report-(\d+)"', html)]
    assert shown == [r.id for r in sorted(reports, key=lambda r: (r.year, r.quarter, r.id),
                                          reverse=True)]
