"""The business day is the venue's date (``docflow.i18n.local_today``), not the server's.

The servers run in UTC and Kazakhstan is UTC+5 (Asia/Almaty): from 19:00 UTC it is already the
next day at the venues. Each test sets the clock (``pin_clock``: the venues' clock and the
server's ``date.today()``) to an evening instant and checks what a user sees: the worklist's
overdue counter and "due in N working days", a material request's due date and overdue state,
the receptions offered, the statistics period, the report form's quarter, an export's name.
Code still reading the server's date would show the day before.

The evening is Wednesday 18 February 2026, 20:30 UTC = Thursday 19 February, 01:30 in Almaty: a
plain working week, so a day's difference is a working day's difference.
"""
import re
from datetime import UTC, date, datetime
from types import SimpleNamespace

import pytest

from docflow.engine.workflow import transition
from docflow.extensions import db
from docflow.i18n import local_datetime, local_today
from docflow.reception import documents, materials, receptions
from docflow.reception.identity import iin_birth_date
from docflow.reception.intake import IntakeSchema
from docflow.reception.operations import register_appeal
from tests.api.test_appeals_api import body

PASSWORD = "demo-pass-2026"
EVENING = datetime(2026, 2, 18, 20, 30, tzinfo=UTC)
SERVER_DAY = date(2026, 2, 18)  # Wednesday: the UTC date
VENUE_DAY = date(2026, 2, 19)  # Thursday: the date in Almaty


@pytest.fixture
def evening(pin_clock):
    return pin_clock(EVENING)


@pytest.fixture
def appeal(demo):
    """An appeal registered at CRC-AST (Astana) for MLSPP; demo-responsible is responsible."""
    def make(external_id: str, reply_due: date | None = None):
        made = register_appeal(IntakeSchema().load(body(
            external_id=external_id, received_at="2026-02-02T10:00:00+05:00")), None).appeal
        if reply_due is not None:
            made.reply_due = reply_due
        db.session.commit()
        return made
    return make


def _user(login: str):
    from docflow.auth.models import User
    return db.session.execute(db.select(User).where(User.login == login)).scalar_one()


def _due_text(html: str, number: str) -> str:
    row = html.split(f">{number}</a>")[1].split("</tr>")[0]
    return re.sub(r"\s+", " ", row.split("—")[-1].split("</td>")[0]).strip()


def test_the_clock_is_set_to_an_evening_that_is_already_tomorrow_in_almaty(app, evening):
    assert date.today() == SERVER_DAY  # the server's date, in UTC
    assert local_today() == VENUE_DAY  # VENUE_TIMEZONE
    assert local_today("Asia/Almaty") == VENUE_DAY and local_today("Europe/London") == SERVER_DAY
    assert local_datetime(EVENING.replace(tzinfo=None)) == datetime(
        2026, 2, 19, 1, 30, tzinfo=local_datetime(EVENING).tzinfo)


def test_without_an_app_the_zone_is_almatys(evening):
    """Outside an app context (a script, a unit test) the zone rule still holds: Asia/Almaty."""
    assert local_today() == VENUE_DAY
    # an IIN of someone born on the venue's today is not "born in the future"
    assert iin_birth_date("260219500000") == VENUE_DAY


def test_the_worklist_counts_overdue_and_working_days_from_the_venues_date(
        appeal, evening, client, login):
    yesterday = appeal("LT-1", reply_due=SERVER_DAY)  # due Wednesday: overdue on Thursday
    friday = appeal("LT-2", reply_due=date(2026, 2, 20))
    login("demo-responsible", PASSWORD)
    html = client.get("/worklist?lang=en").get_data(True)
    overdue = re.search(r'data-testid="counter-overdue">\s*Overdue <span class="count">(\d+)<',
                        html)
    assert overdue and overdue.group(1) == "1"
    assert _due_text(html, yesterday.registration_number) == "overdue by 1 working days"
    assert _due_text(html, friday.registration_number) == "due in 1 working days"
    only_overdue = client.get("/worklist?show=overdue&lang=en").get_data(True)
    assert yesterday.registration_number in only_overdue
    assert friday.registration_number not in only_overdue
    # the appeal's own page: its deadline is overdue, by one working day
    page = client.get(f"/appeals/{yesterday.id}?lang=en").get_data(True)
    assert 'class="deadline overdue" data-testid="deadline-reply_due"' in page
    assert "overdue by 1 working days" in page


def test_a_material_request_is_due_and_overdue_by_the_venues_date(appeal, evening, client,
                                                                   login):
    case = appeal("LT-3")
    responsible = _user("demo-responsible")
    transition(case, "start_review", responsible)
    asked_tonight = materials.request_materials(
        case, responsible, addressee_kind="division", addressee_code="MLSPP-SOC",
        question="Сведения о выплатах", working_days=1)
    due_yesterday = materials.request_materials(
        case, responsible, addressee_kind="division", addressee_code="MLSPP-SOC",
        question="Справка о составе семьи", working_days=1, today=date(2026, 2, 17))
    db.session.commit()
    # asked on Thursday (the venue's day), due one working day later
    assert (asked_tonight.asked_on, asked_tonight.due_on) == (VENUE_DAY, date(2026, 2, 20))
    assert due_yesterday.due_on == SERVER_DAY
    assert due_yesterday.status() == "overdue" and asked_tonight.status() == "asked"
    login("demo-division", PASSWORD)
    html = client.get("/materials?lang=en").get_data(True)
    row = html.split(f'data-testid="material-{due_yesterday.id}"')[1].split("</tr>")[0]
    assert row.startswith(' class="overdue"') and "Overdue" in row
    page = client.get(f"/materials/{due_yesterday.id}?lang=en").get_data(True)
    assert '<span class="badge">Overdue</span>' in page
    # the daily sweep, run this evening without a date, escalates it
    assert materials.sweep_material_requests()["escalated"] == 1


def test_receptions_offered_start_at_the_venues_date(appeal, evening, monkeypatch):
    """A reception held on the server's date is already past at the venue: not offered."""
    case = appeal("LT-4")

    class Source:
        entries = [SimpleNamespace(id=i, date=d, start=None, venue_id=case.venue_id)
                   for i, d in ((1, SERVER_DAY), (2, VENUE_DAY))]

        def published_entries(self, venue_id, *, body_id=None, official_id=None,
                              date_from=None):
            return [e for e in self.entries if date_from is None or e.date >= date_from]

    monkeypatch.setattr(receptions, "schedule_source", Source())
    assert [e.date for e in receptions.entries_for(case)] == [VENUE_DAY]
    assert documents.today_in_venue(case) == VENUE_DAY  # a reply letter's date too


def test_the_statistics_period_ends_on_the_venues_date(demo, evening, client, login):
    login("demo-head", PASSWORD)
    html = client.get("/reports/?lang=en").get_data(True)
    assert 'id="f-end" name="end" value="2026-02-19"' in html


def test_the_report_form_offers_the_quarter_that_ended_at_the_venue(demo, pin_clock, client,
                                                                     login):
    """31 March 20:30 UTC is 1 April in Almaty: the first quarter has ended there."""
    pin_clock(datetime(2026, 3, 31, 20, 30, tzinfo=UTC))
    login("demo-head", PASSWORD)
    html = client.get("/reports/quarterly/?lang=en").get_data(True)
    assert 'name="year" inputmode="numeric" value="2026"' in html
    assert '<option value="1" selected>' in html


def test_an_export_is_named_by_the_venues_date(appeal, evening, client, login):
    made = appeal("LT-5")
    login("demo-responsible", PASSWORD)
    response = client.get("/worklist/export.csv")
    text = response.get_data(True)  # read to the end: the stream ends its request context
    assert response.status_code == 200 and made.registration_number in text
    assert 'filename="worklist-2026-02-19.csv"' in response.headers["Content-Disposition"]
