"""The dashboard (/reports/) and the quarterly reports' pages: who may see what, the period
picker's messages, charts that parse as SVG and carry their numbers, in kk, ru and en."""
import re
import shutil
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest

from docflow import create_app
from docflow.extensions import db
from docflow.i18n import local_today
from docflow.reports import charts, quarterly
from docflow.reports.models import QuarterlyReport
from tests.conftest import _config, csrf_token
from tests.reports import fixture

SVG = "{http://www.w3.org/2000/svg}"


def fake_figures():
    official = SimpleNamespace(code="X-1", full_name=lambda locale=None: "Сейітов Ерғали",
                               body_id=1, rank="deputy", last_name_ru="Сеитов", id=1)
    deadline = {"due": 10, "on_time": 6, "late": 2, "overdue": 1, "pending": 1,
                "not_needed": 0, "rate": 0.6667}
    return {
        "appeals": {"total": 12, "by_channel": {"egov_portal": 7, "paper": 5},
                    "by_status": {"registered": 4, "held": 8}},
        "registration": {"total": 12, "same_day": 9, "late": 3, "rate": 0.75},
        "briefs": deadline, "replies": deadline,
        "materials": {"due": 4, "answered_on_time": 2, "answered_late": 1, "overdue": 1,
                      "open": 0, "waived": 0, "late_or_overdue": 2},
        "receptions": {"officials": [{"official": official, "total": 3}],
                       "officials_meeting_r71": 1, "officials_counted": 1},
        "satisfaction": None,
    }


def test_charts_are_svg_with_their_figures(app):
    with app.test_request_context("/?lang=en"):
        secs = charts.sections(fake_figures(), "en")
        drawn = charts.charts(secs)
    assert [c["section"].code for c in drawn] == ["channels", "statuses", "deadlines",
                                                  "replies", "receptions"]
    for chart in drawn:
        root = ET.fromstring(chart["svg"])  # well-formed XML
        assert root.tag == f"{SVG}svg" and root.get("role") == "img"
        title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
        assert title.text == chart["section"].title
        assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
        texts = [t.text for t in root.iter(f"{SVG}text")]
        for row in chart["section"].rows:
            assert row.display in texts and row.display in desc.text
    channels = ET.fromstring(drawn[0]["svg"])
    # bars scaled to the largest (12 of 330 px): 7/12 -> 192.5, 5/12 -> 137.5 (rounded half-even)
    widths = [int(r.get("width")) for r in channels.iter(f"{SVG}rect")]
    assert widths == [330, 192, 138]
    deadlines = {r.code: r.display for r in secs[2].rows}
    assert deadlines == {"registration_rate": "75.0 %", "brief_rate": "66.7 %",
                         "reply_rate": "66.7 %", "material_rate": "50.0 %"}
    satisfaction = {r.code: r.display for r in secs[-1].rows}
    assert set(satisfaction.values()) == {"—"}  # no survey module: no data, not zero
    surveyed = dict(fake_figures(), satisfaction={"called": 20, "reached": 17,
                                                  "response_rate": 0.85, "average_score": 4.2})
    with app.test_request_context("/?lang=en"):
        last = charts.sections(surveyed, "en")[-1]
    assert [r.display for r in last.rows] == ["20", "17", "85.0 %", "4.2"]


def test_chart_text_is_escaped(app):
    section = charts.Section("x", "<b>&", "desc <script>", [charts.Row("a", "a<b>&c", 3)])
    root = ET.fromstring(charts.bar_chart(section, "c1"))
    assert root.find(f"{SVG}title").text == "<b>&"
    assert [t.text for t in root.iter(f"{SVG}text")][0] == "a<b>&c"


def _build_people(make_user):
    fixture.build()
    make_user("gov", "government_office")
    make_user("head", "head", body_code="MLSPP")
    make_user("head-mz", "head", body_code="MZ")
    make_user("reg", "registrar", venue_code="CRC-AST")


@pytest.fixture(scope="module")
def _people_database(_sqlite_schema, tmp_path_factory):
    """fixture.build() and the users, made once in a SQLite file (about 3 s); each test gets a
    fresh copy of it (see people)."""
    from docflow.auth.operations import create_user

    def make_user(login, role, password="secret-pass-1", **kw):
        create_user(login, role, password=password, **kw)
        db.session.commit()

    folder = tmp_path_factory.mktemp("reports-people")
    shutil.copyfile(_sqlite_schema, folder / "test.sqlite3")
    template = create_app(_config(folder))
    with template.app_context():
        _build_people(make_user)
        db.session.remove()
        db.engine.dispose()  # the last connection closing checkpoints the WAL into the file
    stored = [f for f in (folder / "blobs").rglob("*") if f.is_file()]
    assert not stored, f"the copies would lack the stored files {stored}"
    return folder / "test.sqlite3"


@pytest.fixture
def people(app, _people_database):
    """The test's own database is a copy of the one made once with the fixture and the users."""
    db.session.remove()
    db.engine.dispose()
    path = Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
    for suffix in ("-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    shutil.copyfile(_people_database, path)
    return app


Q1_ARGS = "start=2025-01-01&end=2025-03-31&venue=CRC-AST&body=MLSPP"


@pytest.mark.parametrize("lang,word", [("kk", "lang=\"kk\""), ("ru", "lang=\"ru\""),
                                       ("en", "lang=\"en\"")])
def test_dashboard_renders_in_each_language(people, client, login, lang, word):
    login("head")
    page = client.get(f"/reports/?{Q1_ARGS}&lang={lang}")
    html = page.get_data(True)
    assert page.status_code == 200 and word in html
    assert html.count("<svg") == 5
    assert re.search(r'data-code="appeals_total"><th scope="row">[^<]+</th>'
                     r'<td class="num">200</td>', html)
    assert re.search(r'data-code="registration_same_day">.*?<td class="num">120</td>', html)
    assert re.search(r'data-testid="r71-MLSPP-MIN">[^<]*2025-03<', html)
    for svg in re.findall(r"<svg.*?</svg>", html, re.S):
        ET.fromstring(svg)


@pytest.mark.parametrize("query,field,status", [
    ("start=2025-13-01", "start", 400),
    ("start=2025-03-01&end=2025-02-01", "end", 400),
    ("start=2020-01-01&end=2025-01-01", "end", 400),  # longer than three years
    ("start=2031-01-01&end=2031-02-01", "start", 400),  # no calendar for 2031
    ("venue=NOPE", "venue", 400),
    ("body=NOPE&start=x", "body", 400),
])
def test_bad_period_or_scope_is_a_400_naming_the_field(people, client, login, query, field,
                                                       status):
    login("gov")
    page = client.get(f"/reports/?{query}&lang=en")
    assert page.status_code == status
    assert f'data-testid="error-{field}"' in page.get_data(True)


def test_who_sees_the_dashboard(people, client, login):
    login("reg")
    assert client.get("/reports/").status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/").get_data(True))})
    login("head-mz")
    assert client.get(f"/reports/?{Q1_ARGS}").status_code == 403  # another body's figures
    own = client.get("/reports/?start=2025-01-01&end=2025-03-31&lang=en").get_data(True)
    assert re.search(r'data-code="appeals_total">.*?<td class="num">30</td>', own)  # MZ only


def test_acknowledge_flow_and_lists(people, client, login):
    v = db.session.execute(db.select(fixture.Venue).where(fixture.Venue.code == "CRC-AST")
                           ).scalar_one()
    bodies = {b.code: b for b in db.session.execute(db.select(fixture.Body)).scalars()}
    report = quarterly.report_for(v.id, bodies["MLSPP"].id, 2025, 1)
    quarterly.build(report, today=fixture.TODAY)
    pending = quarterly.report_for(v.id, bodies["MZ"].id, 2025, 1)
    db.session.commit()
    report_id, pending_id = report.id, pending.id

    login("head")
    page = client.get(f"/reports/quarterly/{report_id}")
    assert page.status_code == 200 and 'data-testid="acknowledge"' not in page.get_data(True)
    token = csrf_token(page.get_data(True))
    assert client.post(f"/reports/quarterly/{report_id}/acknowledge",
                       data={"csrf_token": token}).status_code == 403
    pdf = client.get(f"/reports/quarterly/{report_id}/files/pdf-ru")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert client.get(f"/reports/quarterly/{report_id}/files/xlsx").data[:2] == b"PK"
    client.post("/logout", data={"csrf_token": token})

    login("gov")
    listing = client.get("/reports/quarterly/?lang=en").get_data(True)
    assert f'data-testid="report-{report_id}"' in listing
    assert f'data-testid="report-{pending_id}"' not in listing  # not submitted: not theirs yet
    assert client.get(f"/reports/quarterly/{pending_id}").status_code == 403
    page = client.get(f"/reports/quarterly/{report_id}?lang=en").get_data(True)
    assert 'data-testid="acknowledge"' in page
    done = client.post(f"/reports/quarterly/{report_id}/acknowledge",
                       data={"csrf_token": csrf_token(page)})
    assert done.status_code == 303
    db.session.expire_all()
    report = db.session.get(QuarterlyReport, report_id)
    assert report.state == "acknowledged" and report.acknowledged_by.login == "gov"
    assert report.acknowledged_at is not None
    page = client.get(f"/reports/quarterly/{report_id}?lang=en").get_data(True)
    assert "Acknowledge receipt" in page and "Submit to the Office of the Government" in page
    assert 'data-testid="acknowledge"' not in page  # once
    again = client.post(f"/reports/quarterly/{report_id}/acknowledge",
                        data={"csrf_token": csrf_token(page)}, follow_redirects=True)
    assert again.status_code == 200 and "cannot be fired" in again.get_data(True)


@pytest.mark.usefixtures("writing_day")
def test_build_on_demand_and_late_flag(people, client, login):
    login("head")
    page = client.get("/reports/quarterly/?lang=en")
    token = csrf_token(page.get_data(True))
    bad = client.post("/reports/quarterly/build", data={
        "csrf_token": token, "venue": "CRC-AST", "body": "MLSPP", "year": "2025",
        "quarter": "7"})
    assert bad.status_code == 400 and 'data-testid="error-quarter"' in bad.get_data(True)
    future = client.post("/reports/quarterly/build", data={
        "csrf_token": token, "venue": "CRC-AST", "body": "MLSPP",
        "year": str(date.today().year + 1), "quarter": "1"})
    assert future.status_code == 400
    other = client.post("/reports/quarterly/build", data={
        "csrf_token": token, "venue": "CRC-AST", "body": "MZ", "year": "2025", "quarter": "1"})
    assert other.status_code == 403
    ok = client.post("/reports/quarterly/build", data={
        "csrf_token": token, "venue": "CRC-AST", "body": "MLSPP", "year": "2025",
        "quarter": "1"})
    assert ok.status_code == 303
    report = db.session.execute(db.select(QuarterlyReport)).scalar_one()
    from docflow.jobs.models import OutboxJob
    job = db.session.execute(db.select(OutboxJob).where(OutboxJob.queue == "reports")
                             ).scalar_one()
    head = db.session.execute(db.select(fixture.User).where(fixture.User.login == "head")
                              ).scalar_one()
    assert job.args == [report.id, head.id] and job.created_by_id == head.id
    # the report's page follows the build: the job's progress, updated in place (jobs.js)
    page = client.get(ok.headers["Location"] + "?lang=en").get_data(True)
    assert f'data-job-id="{job.id}"' in page and 'data-job-status="pending"' in page
    # the last quarter that ended today has no report from anyone: the dashboard says so
    dash = client.get("/reports/?lang=en").get_data(True)
    year, q = quarterly.last_ended_quarter(local_today())
    late_expected = local_today() > quarterly.due_date(year, q)
    assert ('data-testid="late-reports"' in dash) == late_expected


def test_the_calendars_first_quarter_and_last_days(app, make_user, client, login):
    """The first working day of the calendar's first year has no previous working day to
    compare with, and a brief due at the end of its last year needs the year after: neither is
    a 500."""
    from docflow.demo import load_demo

    load_demo()
    make_user("gov", "government_office")
    login("gov")
    assert client.get("/reports/?start=2023-01-01&end=2023-03-31").status_code == 200
    last = client.get("/reports/?start=2027-10-01&end=2027-12-31&lang=en")
    assert last.status_code in (200, 400)
    if last.status_code == 400:
        assert 'data-testid="error-end"' in last.get_data(True)
