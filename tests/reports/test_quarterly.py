"""The quarterly report (R40): built, stored (PDF per language, XLSX), submitted, acknowledged by
the Office of the Government; late reports flagged and their venue warned."""
import io
from datetime import date

import pytest
from openpyxl import load_workbook

from docflow.engine.files import EngineFile, read_version
from docflow.engine.rules import Notification
from docflow.engine.workflow import history
from docflow.extensions import db
from docflow.reports import quarterly
from docflow.reports.models import QuarterlyReport
from tests.documents.pdfcheck import pdf_text
from tests.reports import fixture
from tests.reports.fixture import TODAY


def files_of(report) -> dict:
    rows = db.session.execute(db.select(EngineFile).where(EngineFile.item_id == report.id)
                              ).scalars().all()
    return {f.name: f for f in rows}


def test_build_stores_pdf_and_xlsx_and_submits(db_app):
    built = fixture.build()
    crc, room = built.venue["CRC-AST"], built.venue["RR-MLSPP"]
    mlspp, mz = built.body["MLSPP"], built.body["MZ"]
    assert quarterly.expected_pairs(2025, 1) == sorted(
        [(crc.id, mlspp.id), (crc.id, mz.id), (room.id, mlspp.id)])

    report = quarterly.report_for(crc.id, mlspp.id, 2025, 1)
    assert report.state == "pending" and report.submitted_at is None
    assert quarterly.build(report, today=TODAY) is True
    db.session.commit()
    assert report.state == "submitted" and report.submitted_at is not None
    files = files_of(report)
    assert sorted(files) == ["pdf-kk", "pdf-ru", "xlsx"]
    assert [len(f.versions) for f in files.values()] == [1, 1, 1]

    ru = pdf_text(read_version(files["pdf-ru"].current))
    assert "Отчет о результатах работы по приему граждан" in ru
    assert "Центр приема граждан города Астаны" in ru and "2025" in ru
    assert " 200 " in ru and " 12 " in ru  # appeals this quarter, and in Q4 2024 (group D)
    assert "60,0 %" in ru and "50,0 %" in ru  # same-day registration, briefs on time
    kk = pdf_text(read_version(files["pdf-kk"].current))
    assert "Азаматтарды қабылдау жұмысының нәтижелері туралы есеп" in kk and " 200 " in kk

    book = load_workbook(io.BytesIO(read_version(files["xlsx"].current)), read_only=True)
    sheet = list(book["figures"].iter_rows(values_only=True))
    assert sheet[0] == ("section", "indicator", "label_kk", "label_ru", "unit", "value",
                        "previous_quarter")
    rows = {r[1]: dict(zip(sheet[0], r, strict=False)) for r in sheet[1:]}
    assert (rows["appeals_total"]["value"], rows["appeals_total"]["previous_quarter"]) == (200, 12)
    assert rows["registration_rate"]["value"] == 0.6  # group D, Q4: registered the same day
    assert rows["registration_rate"]["previous_quarter"] == 1.0
    assert (rows["reply_rate"]["unit"], rows["reply_rate"]["value"]) == ("fraction", 0.2396)
    assert rows["reply_rate"].get("previous_quarter") is None  # no reply was due in Q4
    assert rows["brief_due"]["value"] == 140 and rows["material_overdue"]["value"] == 5
    assert (rows["channel_paper"]["value"], rows["channel_paper"]["previous_quarter"]) == (33, 12)
    officials = {r[0]: r for r in book["receptions_r7_1"].iter_rows(min_row=2,
                                                                     values_only=True)}
    assert officials["MLSPP-MIN"][3:] == (2, 1, 0, 3, 3, "2025-03")
    assert officials["MLSPP-DEP1"][3:8] == (1, 1, 2, 4, 4)

    # a retried job changes nothing; changed figures make new versions and a resubmission
    assert quarterly.build(report, today=TODAY) is False
    appeal = db.session.execute(db.select(fixture.Appeal).where(
        fixture.Appeal.replied_on.is_(None), fixture.Appeal.registered_on < date(2025, 3, 1),
        fixture.Appeal.venue_id == crc.id, fixture.Appeal.body_id == mlspp.id)
        .limit(1)).scalar_one()
    appeal.replied_on = appeal.reply_due
    assert quarterly.build(report, today=TODAY) is True
    db.session.commit()
    assert [len(f.versions) for f in files_of(report).values()] == [2, 2, 2]
    assert [h.transition for h in history(report)] == ["submit", "resubmit"]


def test_scheduled_build_is_idempotent_and_runs_as_a_job(app):
    from docflow.demo import load_demo
    from docflow.jobs import run_job
    from docflow.jobs.models import OutboxJob

    load_demo()
    first = quarterly.scheduled_build(2025, 1)
    again = quarterly.scheduled_build(2025, 1)
    db.session.commit()
    assert len(first) == 1  # no appeals: only the reception room reports, for its body
    assert [j.id for j in again] == [j.id for j in first]
    assert first[0].queue == "reports" and first[0].key.startswith("quarterly-report:2025-Q1:")
    assert db.session.execute(db.select(db.func.count(QuarterlyReport.id))).scalar() == 1
    assert quarterly.scheduled_build(today=date(2025, 4, 2))[0].id == first[0].id  # last quarter
    assert run_job(first[0].id) == "done"
    db.session.expire_all()
    report = db.session.execute(db.select(QuarterlyReport)).scalar_one()
    assert report.state == "submitted" and sorted(files_of(report)) == ["pdf-kk", "pdf-ru",
                                                                       "xlsx"]
    assert db.session.get(OutboxJob, first[0].id).status == "done"


def test_late_report_warns_the_venue_once(app, make_user):
    from docflow.demo import load_demo

    load_demo()
    # Q1 2025 ends on 2025-03-31; 10 working days later is 2025-04-14 (Nauryz is in March)
    assert quarterly.due_date(2025, 1) == date(2025, 4, 14)
    assert quarterly.late_reports(date(2025, 4, 14)) == []
    late = quarterly.late_reports(date(2025, 4, 15))
    assert [(x["year"], x["quarter"]) for x in late] == [(2025, 1)]
    room = late[0]["venue_id"]
    sent = quarterly.sweep_late(date(2025, 4, 15))
    db.session.commit()
    # demo-head and demo-deputy (at MLSPP), demo-admin (everywhere); the registrar is at CRC-AST
    users = {n.user_id for n in db.session.execute(db.select(Notification)).scalars()}
    logins = {u.login for u in db.session.execute(db.select(fixture.User).where(
        fixture.User.id.in_(users))).scalars()}
    assert sent == 3 and logins == {"demo-head", "demo-deputy", "demo-admin"}
    assert quarterly.sweep_late(date(2025, 4, 16)) == 0  # once per user and report
    note = db.session.execute(db.select(Notification)).scalars().first()
    assert "2025-Q1" in note.render() and "2025-04-14" in note.render()

    app.config["REPORTS_LATE_WORKING_DAYS"] = 3  # configurable
    assert quarterly.due_date(2025, 1) == date(2025, 4, 3)
    app.config["REPORTS_LATE_WORKING_DAYS"] = 10

    report = quarterly.report_for(room, late[0]["body_id"], 2025, 1)
    quarterly.build(report, today=date(2025, 4, 16))
    db.session.commit()
    assert quarterly.late_reports(date(2025, 4, 16)) == []


def test_quarter_arithmetic():
    assert quarterly.quarter_bounds(2025, 4) == (date(2025, 10, 1), date(2025, 12, 31))
    assert quarterly.quarter_bounds(2024, 1) == (date(2024, 1, 1), date(2024, 3, 31))
    assert quarterly.last_ended_quarter(date(2025, 1, 10)) == (2024, 4)
    assert quarterly.last_ended_quarter(date(2025, 7, 1)) == (2025, 2)
    with pytest.raises(quarterly.ReportError):
        quarterly.quarter_bounds(2025, 5)


def test_cli_build_and_sweep(app):
    from docflow.demo import load_demo

    load_demo()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["reports", "build", "--year", "2025", "--quarter", "1"])
    assert result.exit_code == 0 and "1 report job(s) queued." in result.output
    again = runner.invoke(args=["reports", "build", "--year", "2025", "--quarter", "1"])
    assert "1 report job(s) queued." in again.output
    assert db.session.execute(db.select(db.func.count(QuarterlyReport.id))).scalar() == 1
    half = runner.invoke(args=["reports", "build", "--year", "2025"])
    assert half.exit_code != 0 and "both --year and --quarter" in half.output
    swept = runner.invoke(args=["reports", "sweep-late"])
    assert swept.exit_code == 0 and "warning(s) sent." in swept.output


def test_languages_rendered_in_a_child_process_are_the_same_documents(app):
    """render_all: the languages after the first rendered by a forked child give byte for byte
    the documents rendered one after the other in this process."""
    from docflow.documents import samples
    from docflow.documents.render import get_renderer

    get_renderer()  # the child inherits this process's renderer
    jobs = {}
    for language in ("kk", "ru"):
        context = samples.quarterly_report()
        context["scope"] = f"{context['scope']} ({language})"
        jobs[language] = (context, f"2025 Q1 {language}")
    one_by_one = quarterly.render_all(jobs, parallel=False)
    forked = quarterly.render_all(jobs, parallel=True)
    assert list(forked) == ["kk", "ru"]
    for language in jobs:
        assert forked[language].pdf == one_by_one[language].pdf
        assert forked[language].text == one_by_one[language].text
        assert forked[language].language == language
    assert forked["kk"].pdf != forked["ru"].pdf
