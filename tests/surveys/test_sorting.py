"""The survey call list sorted on the server by every column, both ways, on SQLite and
PostgreSQL (ties by the task's id); restricted tasks (R11) stay hidden whatever the order; the
sort is kept in the counters' and the export's links."""
import re

import pytest
from flask_babel import force_locale

from docflow.extensions import db
from docflow.i18n import local_today
from docflow.surveys.models import SurveyTask
from docflow.surveys.operations import start_round
from tests.conftest import csrf_token
from tests.reception.test_list_sorting import Client
from tests.surveys.conftest import PASSWORD, this_quarter

KEYS = {
    "served": lambda t: t.served_on,
    "number": lambda t: t.appeal.registration_number,
    "applicant": lambda t: t.appeal.last_name,
    "language": lambda t: t.appeal.applicant_language,
    "group": lambda t: t.category,
    "outcome": lambda t: "",  # none recorded yet: the id decides
    "score": lambda t: 0,
}


@pytest.fixture
def tasks(db_app, world):
    appeals = {
        "kk": world.serve("consulted"),
        "ru": world.serve("withdrawn", language="ru", applicant__last_name="Иванова"),
        "secret": world.serve("consulted", foreign=True, applicant__last_name="Каримов"),
        "kk2": world.serve("consulted", applicant__last_name="Абаев"),
    }
    start, end = this_quarter()
    with force_locale("en"):
        start_round(period_start=start, period_end=min(end, local_today()), share_percent=100,
                    seed=1, actor=world.admin)
    db.session.commit()
    return {k: db.session.execute(db.select(SurveyTask).where(
        SurveyTask.appeal_id == a.id)).scalar_one() for k, a in appeals.items()}


def signed_in(app, login) -> Client:
    client = Client(app)
    page = client.get("/login")
    client.post("/login", data={"login": login, "password": PASSWORD,
                                "csrf_token": csrf_token(page.get_data(True))})
    return client


@pytest.mark.parametrize("key", list(KEYS))
def test_the_call_list_sorts_by_every_column(db_app, tasks, key):
    for login, cleared in (("op-plain", False), ("op-cleared", True)):
        client = signed_in(db_app, login)
        visible = [t for k, t in tasks.items() if cleared or k != "secret"]
        for desc in (False, True):
            page = client.get(f"/surveys/?show=all&sort={'-' if desc else ''}{key}&lang=en")
            assert page.status_code == 200
            html = page.get_data(True)
            shown = [int(i) for i in re.findall(r'data-testid="task-(\d+)"', html)]
            want = [t.id for t in sorted(visible, key=lambda t: (KEYS[key](t), t.id),
                                         reverse=desc)]
            assert shown == want, (login, key, desc)
            assert (tasks["secret"].appeal.registration_number in html) == cleared
            state = "descending" if desc else "ascending"
            assert f'aria-sort="{state}" data-sort-key="{key}"' in html


def test_links_keep_the_sort_and_a_bad_key_is_ignored(db_app, tasks):
    client = signed_in(db_app, "op-cleared")
    html = client.get("/surveys/?show=all&sort=-applicant&lang=en").get_data(True)
    export = re.search(r'href="(/surveys/export.csv[^"]*)"', html).group(1)
    assert "sort=-applicant" in export and "show=all" in export
    counter = re.search(r'href="([^"]*)"[^>]*data-testid="counter-open"', html).group(1)
    assert "sort=-applicant" in counter and "show=open" in counter
    text = client.get(export.replace("&amp;", "&")).get_data(True)
    order = [t.appeal.registration_number for t in sorted(
        tasks.values(), key=lambda t: (t.appeal.last_name, t.id), reverse=True)]
    assert [n for n in re.findall(r"CRC-AST-\d{4}-\d+", text)] == order
    page = client.get("/surveys/?sort=nonsense&lang=en")
    assert page.status_code == 200
    assert 'aria-sort="ascending" data-sort-key="served"' in page.get_data(True)
