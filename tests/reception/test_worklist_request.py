"""What one worklist request costs (issue 11): under gunicorn every request has an app context of
its own, so the signed-in user is loaded anew — in ONE statement that also brings the calendar
overrides' stamp, the header's unread count and the user's local grants (docflow.auth). With the
worklist's own statement (counters and page), a worklist page runs exactly two statements.

What that one statement read must be as fresh as the statements it replaced: an override of the
calendar, a notification or a local grant written elsewhere shows on the very next page."""
import re

import pytest
from sqlalchemy import event, select

from docflow import create_app
from docflow.auth.models import User
from docflow.calendar.store import current_calendar, set_override
from docflow.engine.rules import Notification
from docflow.engine.security import grant
from docflow.extensions import db
from docflow.i18n import local_today
from docflow.reception.intake import IntakeSchema
from docflow.reception.models import Appeal
from docflow.reception.operations import register_appeal
from tests.api.test_appeals_api import body
from tests.conftest import csrf_token


@pytest.fixture
def production(app):
    """A second app on the same database, whose requests each get an app context (and so a
    session and a ``g``) of their own, as under gunicorn: the tests' app context is the first
    app's, shared by its requests, which would keep the user the sign-in loaded."""
    other = create_app({key: app.config[key] for key in (
        "SQLALCHEMY_DATABASE_URI", "BLOB_STORE", "JOBS_BACKEND", "SECRET_KEY")})
    yield other
    with other.app_context():
        db.engine.dispose()


def sign_in(app, login: str):
    client = app.test_client()
    page = client.get("/login")
    client.post("/login", data={"login": login, "password": "demo-pass-2026",
                                "csrf_token": csrf_token(page.get_data(True))})
    return client


def _get(client, url: str):
    return client.get(url)


@pytest.fixture
def signed_in(production, demo):
    appeals = [register_appeal(IntakeSchema().load(body(external_id=f"Q{i}")), None).appeal
               for i in range(3)]
    db.session.commit()
    return sign_in(production, "demo-responsible"), appeals


@pytest.fixture
def statements(production):
    seen: list[str] = []

    def listener(conn, cursor, statement, *args):
        seen.append(statement)
    with production.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", listener)
    yield seen
    event.remove(engine, "before_cursor_execute", listener)


def test_a_worklist_page_runs_two_statements(signed_in, statements):
    client, appeals = signed_in
    _get(client, "/worklist")  # the process's first page since the overrides changed reads them
    for url in ("/worklist", "/worklist?show=overdue&sort=-registered", "/worklist?page=2",
                "/worklist?show=new&sort=applicant", "/worklist?scope=all"):
        statements.clear()
        page = _get(client, url)
        assert page.status_code == 200
        if url == "/worklist":
            assert all(a.registration_number in page.get_data(True) for a in appeals)
        assert len(statements) == 2, "\n\n".join(s[:200] for s in statements)
        user, worklist = statements
        for table in ("user_account", "role_assignment", "calendar_override",
                      "engine_notification", "engine_local_role"):
            assert table in user, table
        assert "WITH worklist_open" in worklist


def _due_text(html: str, number: str) -> str:
    row = html.split(f">{number}</a>")[1].split("</tr>")[0]
    return re.sub(r"\s+", " ", row.split("—")[-1].split("</td>")[0]).strip()


@pytest.mark.usefixtures("writing_day")
def test_a_calendar_override_shows_on_the_next_page(signed_in):
    client, appeals = signed_in
    appeal = appeals[0]
    before = _due_text(_get(client, "/worklist?lang=en").get_data(True),
                       appeal.registration_number)
    today = local_today()  # the page's: the venue's date
    n = current_calendar().working_days_between(today, appeal.reply_due)
    assert before == f"due in {n} working days"
    day = current_calendar().shift(today, 1)  # a working day before the reply is due
    set_override(day, False, "Decree: a day off moved")
    db.session.commit()
    after = _due_text(_get(client, "/worklist").get_data(True), appeal.registration_number)
    assert after == f"due in {n - 1} working days"


def test_a_new_notification_shows_in_the_header_of_the_next_page(signed_in):
    client, appeals = signed_in
    user = db.session.execute(select(User).where(User.login == "demo-responsible")).scalar_one()

    def count():
        html = _get(client, "/worklist").get_data(True)
        link = html.split('data-testid="inbox-link"')[1].split("</a>")[0]
        found = re.search(r'class="count">(\d+)<', link)
        return int(found.group(1)) if found else 0
    start = count()
    db.session.add(Notification(user_id=user.id, item_id=appeals[0].id, text="Look at this",
                                key=f"test-{user.id}-1"))
    db.session.commit()
    assert count() == start + 1


def test_a_local_grant_shows_on_the_next_page(production, demo):
    """The grants read with the user decide what the case view shows (engine.security.can)."""
    appeal = register_appeal(IntakeSchema().load(body(external_id="G1")), None).appeal
    db.session.commit()
    client = sign_in(production, "demo-psychologist")
    assert _get(client, f"/appeals/{appeal.id}").status_code == 404
    helper = db.session.execute(select(User).where(User.login == "demo-psychologist")).scalar_one()
    grant(db.session.get(Appeal, appeal.id), f"user:{helper.id}", "responsible", None)
    db.session.commit()
    assert _get(client, f"/appeals/{appeal.id}").status_code == 200
