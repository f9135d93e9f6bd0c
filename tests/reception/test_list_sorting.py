"""Server-side sorting of the appeal lists (issue 12): the worklist and the search, by every
sortable column in both directions, on SQLite and PostgreSQL; ties broken by id in the same
direction; the restricted appeal (R11) never shown to an uncleared user whatever the order; the
sort kept in the filter, page and export links; unknown keys never a 500."""
import re

import pytest

from docflow.auth.models import User
from docflow.engine.workflow import transition
from docflow.extensions import db
from docflow.reception.intake import IntakeSchema
from docflow.reception.models import Appeal
from docflow.reception.operations import register_appeal
from docflow.reception.search import init_search
from tests.api.test_appeals_api import body
from tests.conftest import csrf_token

PASSWORD = "demo-pass-2026"

# subjects and names whose order is the same in every collation (one case, distinct letters);
# two share a subject and a name and a day, so ties are broken by id
APPEALS = [
    dict(external_id="L-1", subject="Гамма", applicant__last_name="Бекова",
         received_at="2026-11-23T10:00:00+05:00"),
    dict(external_id="L-2", subject="Альфа", applicant__last_name="Ванова",
         received_at="2026-11-20T10:00:00+05:00"),
    dict(external_id="L-3", subject="Бета", applicant__last_name="Абаева",
         received_at="2026-11-24T10:00:00+05:00"),
    dict(external_id="L-4", subject="Бета", applicant__last_name="Абаева",
         received_at="2026-11-24T10:00:00+05:00"),
    # restricted (R11): a foreign citizen's appeal
    dict(external_id="L-5", subject="Альфа", applicant__last_name="Аааев",
         applicant__citizenship="UZ", applicant__iin=None,
         received_at="2026-11-19T10:00:00+05:00"),
]
RESTRICTED = "L-5"

KEYS = {
    "number": lambda a: a.registration_number,
    "applicant": lambda a: a.last_name,
    "subject": lambda a: a.subject,
    "state": lambda a: a.state,
    "registered": lambda a: a.registered_on,
    "due": lambda a: a.reply_due,
}


def user(login: str) -> User:
    return db.session.execute(db.select(User).where(User.login == login)).scalar_one()


@pytest.fixture
def listed(db_app):
    from docflow.demo import load_demo
    init_search(db_app)
    load_demo()
    registrar = user("demo-registrar")
    made = {a["external_id"]: register_appeal(IntakeSchema().load(body(**a)), registrar).appeal
            for a in APPEALS}
    db.session.commit()
    transition(made["L-1"], "start_review", user("demo-responsible"))
    db.session.commit()
    return made


class Client:
    """A test client whose every request runs in its own app context: the test's context would
    otherwise be shared by all requests, and Flask-Login caches the signed-in user in ``g``."""

    def __init__(self, app):
        self.app, self.client = app, app.test_client()

    def get(self, *args, **kw):
        with self.app.app_context():
            return self.client.get(*args, **kw)

    def post(self, *args, **kw):
        with self.app.app_context():
            return self.client.post(*args, **kw)


def client_for(app, login: str) -> Client:
    client = Client(app)
    page = client.get("/login")
    client.post("/login", data={"login": login, "password": PASSWORD,
                                "csrf_token": csrf_token(page.get_data(True))})
    return client


def shown(html: str, testid: str) -> list[int]:
    table = html.split(f'data-testid="{testid}"', 1)[1].split("</table>", 1)[0]
    return [int(i) for i in re.findall(r'href="/appeals/(\d+)"', table)]


def expected(appeals, key, desc: bool) -> list[int]:
    """Python's order: the key, then the id, both in the chosen direction."""
    rows = sorted(appeals, key=lambda a: (KEYS[key](a), a.id), reverse=desc)
    return [a.id for a in rows]


@pytest.mark.parametrize("key", list(KEYS))
def test_the_worklist_sorts_by_every_column_both_ways(db_app, listed, key):
    client = client_for(db_app, "demo-head")
    visible = [a for ext, a in listed.items() if ext != RESTRICTED]
    for desc in (False, True):
        page = client.get(f"/worklist?scope=all&sort={'-' if desc else ''}{key}&lang=en")
        assert page.status_code == 200
        html = page.get_data(True)
        assert shown(html, "worklist") == expected(visible, key, desc), (key, desc)
        assert listed[RESTRICTED].registration_number not in html
        direction = "descending" if desc else "ascending"
        assert re.search(rf'aria-sort="{direction}" data-sort-key="{key}"', html)
        assert html.count("aria-sort=") == 1


@pytest.mark.parametrize("key", ["number", "applicant", "subject", "state", "registered", "due"])
def test_the_search_sorts_by_every_column_both_ways(db_app, listed, key):
    catalog_key = "title" if key == "subject" else key
    for login, cleared in (("demo-head", False), ("demo-registrar", True)):
        client = client_for(db_app, login)
        visible = [a for ext, a in listed.items() if cleared or ext != RESTRICTED]
        for desc in (False, True):
            page = client.get(f"/search?sort={'-' if desc else ''}{catalog_key}&lang=en")
            assert page.status_code == 200
            html = page.get_data(True)
            order = shown(html, "search-results")
            # the demo's own appeals (none) and ours: exactly the ones this user may view
            assert order == expected(visible, key, desc), (login, key, desc)
            assert (listed[RESTRICTED].registration_number in html) == cleared


def test_the_old_worklist_direction_argument_still_works(db_app, listed):
    client = client_for(db_app, "demo-head")
    new = client.get("/worklist?scope=all&sort=-number").get_data(True)
    old = client.get("/worklist?scope=all&sort=number&dir=desc").get_data(True)
    assert shown(new, "worklist") == shown(old, "worklist")


@pytest.mark.parametrize("args, key", [
    ("sort=colour", "due"), ("sort=-", "due"), ("sort=--number", "due"), ("sort=%00", "due"),
    ("sort=number&dir=sideways", "number"), ("sort=" + "x" * 500, "due")])
def test_an_unknown_worklist_sort_is_ignored(app, client, login, args, key):
    from docflow.demo import load_demo
    load_demo()
    login("demo-responsible", PASSWORD)
    page = client.get(f"/worklist?{args}")
    assert page.status_code == 200
    assert f'aria-sort="ascending" data-sort-key="{key}"' in page.get_data(True)


@pytest.mark.parametrize("args", ["sort=colour", "sort=--number", "sort=" + "x" * 500])
def test_an_unknown_search_sort_is_a_400_naming_it(app, client, login, args):
    from docflow.demo import load_demo
    init_search(app)
    load_demo()
    login("demo-responsible", PASSWORD)
    page = client.get(f"/search?{args}&lang=en")
    assert page.status_code == 400
    html = page.get_data(True)
    assert "Unknown sort order" in html and "number" in html


def test_links_keep_the_sort(db_app, listed):
    client = client_for(db_app, "demo-head")
    html = client.get("/worklist?scope=all&show=new&sort=-subject&lang=en").get_data(True)
    export = re.search(r'href="(/worklist/export.csv[^"]*)"', html).group(1)
    assert "sort=-subject" in export and "scope=all" in export and "show=new" in export
    counter = re.search(r'href="([^"]*)"[^>]*data-testid="counter-overdue"', html).group(1)
    assert "sort=-subject" in counter and "show=overdue" in counter and "scope=all" in counter
    header = re.search(r'data-sort-key="number"><a class="sort" href="([^"]*)"', html).group(1)
    assert "sort=number" in header and "show=new" in header and "scope=all" in header
    # the export gives the page's rows in the page's order
    csv_text = client.get(export.replace("&amp;", "&")).get_data(True)
    numbers = [db.session.get(Appeal, i).registration_number
               for i in shown(html, "worklist")]
    found = [n for n in re.findall(r"[A-Z]{3}-[A-Z]{3}[^,;\s]*", csv_text)]
    assert [n for n in found if n in numbers] == numbers

    html = client.get("/search?f_channel=egov_portal&sort=-applicant&lang=en").get_data(True)
    export = re.search(r'href="(/search/export.xlsx[^"]*)"', html).group(1)
    assert "sort=-applicant" in export and "f_channel=egov_portal" in export
    header = re.search(r'data-sort-key="title"><a class="sort" href="([^"]*)"', html).group(1)
    assert "sort=title" in header and "f_channel=egov_portal" in header
