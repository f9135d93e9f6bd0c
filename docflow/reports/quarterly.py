"""The quarterly report to the Office of the Government (R40): built by a job, stored, submitted,
acknowledged; a late one is flagged and its venue warned.

* ``scheduled_build(year=None, quarter=None)`` — for the periodic scheduler, after each quarter
  ends: a report row and one outbox job (queue ``reports``) per venue and body that worked in the
  quarter (any appeal registered, and every reception room for its body). Idempotent: the job's
  key is per quarter, venue and body. Flushes, never commits (the caller or ``run_job`` does).
* ``request_build(report, actor)`` — on demand (a head, a deputy, an administrator).
* ``build(report)`` — the job's work: figures of the quarter and of the one before, charts, a PDF
  per language (the documents' renderer, kind ``quarterly_report``) and an XLSX, each a new
  version of the report's files only when the figures changed; then it is submitted.
* ``acknowledge(report, user)`` — the Office of the Government confirms receipt.
* Late: not submitted within ``REPORTS_LATE_WORKING_DAYS`` (default 10) working days after the
  quarter's last day (the calendar's ``shift``). ``late_reports()`` for the dashboard's flag,
  ``sweep_late()`` (daily) for the inbox warnings.
"""
from __future__ import annotations

import io
import uuid
from datetime import date, timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from ..calendar.store import current_calendar
from ..documents.hashing import data_hash
from ..documents.render import render_pdf
from ..engine.content import create_item, utcnow
from ..engine.core import current_engine
from ..engine.files import EngineFile, FileVersion, add_file_version
from ..engine.rules import Notification
from ..engine.security import Principal
from ..engine.workflow import transition
from ..extensions import db
from ..i18n import N_, local_today
from ..jobs import enqueue
from ..reception.models import Appeal
from ..reference.models import Venue
from . import figures
from .charts import charts, sections
from .models import QuarterlyReport

JOB = "docflow.reports.quarterly.build_job"


class _System(Principal):
    """docflow itself, submitting a report it built: holds the pseudo-role ``system`` only, and
    has no user id (history and audit rows show no person)."""

    id = None


SYSTEM = _System(None, frozenset({("system", None)}))
LATE_WORKING_DAYS = 10
WARNED_ROLES = ("head", "deputy", "admin", "registrar")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


LATE_WARNING = N_("The quarterly report %(quarter)s of %(venue)s for %(body)s is late: it was "
                  "due by %(due)s (R40).")


class ReportError(ValueError):
    """Invalid input; ``field`` names the form field at fault."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


# -- quarters --------------------------------------------------------------------------------------

def quarter_bounds(year: int, quarter: int) -> tuple[date, date]:
    if quarter not in (1, 2, 3, 4):
        raise ReportError("quarter", _("A quarter is 1, 2, 3 or 4."))
    start = date(year, 3 * (quarter - 1) + 1, 1)
    nxt = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
    return start, nxt - timedelta(days=1)


def quarter_of(day: date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def previous_quarter(year: int, quarter: int) -> tuple[int, int]:
    return (year - 1, 4) if quarter == 1 else (year, quarter - 1)


def last_ended_quarter(today: date) -> tuple[int, int]:
    return previous_quarter(*quarter_of(today))


def late_working_days() -> int:
    return int(current_app.config.get("REPORTS_LATE_WORKING_DAYS", LATE_WORKING_DAYS))


def due_date(year: int, quarter: int) -> date:
    """The last day to submit: N working days after the quarter's last day."""
    return current_calendar().shift(quarter_bounds(year, quarter)[1], late_working_days())


# -- which reports, and their rows -----------------------------------------------------------------

def expected_pairs(year: int, quarter: int) -> list[tuple[int, int]]:
    """(venue, body) that report for the quarter: any appeal registered there in the quarter,
    and every active reception room for its own body."""
    start, end = quarter_bounds(year, quarter)
    # the appeal table itself, not the mapped class: ``Appeal`` would join every appeal's
    # engine row (a million-row join); the table alone is an index-only scan (reports.models)
    a = Appeal.__table__
    worked = db.session.execute(select(a.c.venue_id, a.c.body_id).distinct().where(
        a.c.registered_on >= start, a.c.registered_on <= end)).all()
    rooms = db.session.execute(select(Venue.id, Venue.body_id).where(
        Venue.kind == "reception_room", Venue.body_id.is_not(None),
        Venue.active.is_(True))).all()
    return sorted({(v, b) for v, b in worked} | {(v, b) for v, b in rooms})


def find_report(venue_id: int, body_id: int, year: int, quarter: int) -> QuarterlyReport | None:
    return db.session.execute(select(QuarterlyReport).where(
        QuarterlyReport.venue_id == venue_id, QuarterlyReport.body_id == body_id,
        QuarterlyReport.year == year, QuarterlyReport.quarter == quarter)).scalar()


def report_for(venue_id: int, body_id: int, year: int, quarter: int) -> QuarterlyReport:
    """The quarter's report row of a venue and body, created (state ``pending``) if missing."""
    quarter_bounds(year, quarter)
    report = find_report(venue_id, body_id, year, quarter)
    if report is None:
        report = create_item(QuarterlyReport, title=f"{year} Q{quarter}",
                             places={f"venue:{venue_id}", f"body:{body_id}"}, emit=False,
                             venue_id=venue_id, body_id=body_id, year=year, quarter=quarter)
    return report


def scheduled_build(year: int | None = None, quarter: int | None = None,
                    today: date | None = None) -> list:
    """After a quarter ends: one build job per venue and body (keys per quarter, venue, body,
    so calling again adds nothing). Default: the last quarter that ended before ``today``."""
    if year is None or quarter is None:
        year, quarter = last_ended_quarter(today or local_today())
    jobs = []
    for venue_id, body_id in expected_pairs(year, quarter):
        report = report_for(venue_id, body_id, year, quarter)
        jobs.append(enqueue(JOB, report.id, None, queue="reports",
                            key=f"quarterly-report:{year}-Q{quarter}:venue:{venue_id}:"
                                f"body:{body_id}",
                            title=f"quarterly report {year} Q{quarter} {venue_id}/{body_id}"))
    return jobs


def request_build(report: QuarterlyReport, actor):
    """Build (again) now, in the background; each request is its own job."""
    return enqueue(JOB, report.id, getattr(actor, "id", None), queue="reports",
                   key=f"quarterly-report:{report.id}:{uuid.uuid4().hex}", created_by=actor,
                   title=f"quarterly report {report.year} Q{report.quarter} "
                         f"{report.venue_id}/{report.body_id}")


def latest_request(report: QuarterlyReport, user):
    """The user's latest on-demand build of ``report`` (its progress shows on the report's page),
    or None."""
    from ..jobs.models import OutboxJob

    if not getattr(user, "id", None):
        return None
    return db.session.execute(
        select(OutboxJob).where(OutboxJob.created_by_id == user.id,
                                OutboxJob.key.startswith(f"quarterly-report:{report.id}:"))
        .order_by(OutboxJob.id.desc()).limit(1)).scalar_one_or_none()


# -- building ----------------------------------------------------------------------------------

def _figures(report: QuarterlyReport, year: int, quarter: int, today: date) -> dict:
    start, end = quarter_bounds(year, quarter)
    return figures.compute(figures.Scope(start, end, (report.venue_id,), (report.body_id,),
                                         today=today))


def _letterhead(report: QuarterlyReport, language: str) -> dict:
    body = report.body
    return {"name_kk": body.name_kk, "name_ru": body.name_ru,
            "address": body.address(language) or report.venue.address(language),
            "bin": body.bin or "", "phone": body.phone, "email": body.email,
            "website": body.website}


def _rows(secs) -> list[list]:
    return [[s.code, r.code, r.label, r.value, r.percent] for s in secs for r in s.rows]


def document_context(report: QuarterlyReport, secs, previous, language: str,
                     today: date) -> dict:
    """The ``quarterly_report`` context (docflow.documents.contexts.QuarterlyReport)."""
    before = {r.code: r.display for s in previous for r in s.rows}
    return {
        "issued_at": today,
        "letterhead": _letterhead(report, language),
        "year": report.year, "quarter": report.quarter,
        "scope": f"{report.venue.name(language)} — {report.body.name(language)}",
        "figures": [{"label": f"{s.title}: {r.label}", "value": r.display,
                     "previous": before.get(r.code, "")} for s in secs for r in s.rows],
        "charts": [{"title": c["section"].title, "svg": c["svg"]} for c in charts(secs)],
        "prepared_by": {"name": report.venue.name(language),
                        "position": _("Citizen reception venue")},
    }


def workbook(report: QuarterlyReport, by_language: dict, figs: dict) -> bytes:
    """The figures as XLSX (openpyxl, write-only): one row per figure with its label in each
    language, the value (a rate as a fraction) and the previous quarter's; and R7-1 per month."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    languages = list(by_language)
    sheet = wb.create_sheet("figures")
    sheet.append(["section", "indicator", *[f"label_{lang}" for lang in languages],
                  "unit", "value", "previous_quarter"])
    first = by_language[languages[0]]
    before = {r.code: r.value for s in first["previous"] for r in s.rows}
    labels = {lang: {r.code: r.label for s in d["sections"] for r in s.rows}
              for lang, d in by_language.items()}
    for s in first["sections"]:
        for r in s.rows:
            sheet.append([s.code, r.code, *[labels[lang][r.code] for lang in languages],
                          "fraction" if r.percent else "count", r.value, before.get(r.code)])
    rec = figs["receptions"]
    months = [m.strftime("%Y-%m") for m in rec["months"]]
    sheet = wb.create_sheet("receptions_r7_1")
    sheet.append(["official", "name_kk", "name_ru", *months, "total", "held",
                  "months_without_reception"])
    for e in rec["officials"]:
        o = e["official"]
        sheet.append([o.code, o.full_name("kk"), o.full_name("ru"),
                      *[e["by_month"].get(m, 0) for m in rec["months"]], e["total"], e["held"],
                      ", ".join(m.strftime("%Y-%m") for m in e["months_without"])])
    sheet = wb.create_sheet("about")
    for key, value in (("venue", report.venue.code), ("body", report.body.code),
                       ("year", report.year), ("quarter", report.quarter)):
        sheet.append([key, value])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _render(language: str, context: dict, title: str):
    return render_pdf("quarterly_report", context, language=language, title=title)


def _can_fork() -> bool:
    """Another process may render beside this one: a second core is ours, and this process
    runs one thread (an RQ worker, the bench, the CLI) — forking a threaded web worker could
    copy a lock another thread holds; and the renderer is warm, so the child inherits it."""
    import os
    import threading

    from ..documents import render

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (hasattr(os, "fork") and (cores or 1) > 1 and threading.active_count() == 1
            and render._renderer is not None)  # warm: a child would otherwise build its own


def render_all(jobs: dict[str, tuple[dict, str]], parallel: bool | None = None) -> dict:
    """The report's PDFs, one per language ({language: (context, title)} -> {language:
    RenderedDocument}), with the process's warm renderer (documents.render).

    WeasyPrint is CPU-bound Python (each letter of a chart's SVG text is laid out on its own),
    so two languages take two cores or twice the time: when ``_can_fork()``, the languages after
    the first go to a child process forked from this one — it inherits the warm renderer (fonts,
    compiled templates), touches no database, and sends back the document — while this process
    renders the first. The documents are byte for byte those rendered one after the other.
    """
    if parallel is None:
        parallel = len(jobs) > 1 and current_app.config.get("REPORTS_PARALLEL_RENDER", True) \
            and _can_fork()
    languages = list(jobs)
    if not parallel or len(languages) < 2:
        return {lang: _render(lang, *jobs[lang]) for lang in languages}
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=len(languages) - 1,
                             mp_context=multiprocessing.get_context("fork")) as pool:
        others = {lang: pool.submit(_render, lang, *jobs[lang]) for lang in languages[1:]}
        out = {languages[0]: _render(languages[0], *jobs[languages[0]])}
        out.update({lang: future.result() for lang, future in others.items()})
    return {lang: out[lang] for lang in languages}


def latest(report: QuarterlyReport, name: str) -> FileVersion | None:
    return db.session.execute(
        select(FileVersion).join(EngineFile).where(EngineFile.item_id == report.id,
                                                   EngineFile.name == name)
        .order_by(FileVersion.number.desc()).limit(1)).scalar()


def build(report: QuarterlyReport, actor=None, today: date | None = None) -> bool:
    """Compute, draw, render and store the report, then submit it. Flushes, never commits.

    Idempotent: when the figures are those of the stored version, nothing is rendered, stored
    or submitted again (a retried job changes nothing); returns whether a version was added.
    """
    today = today or local_today()
    figs = _figures(report, report.year, report.quarter, today)
    prev = _figures(report, *previous_quarter(report.year, report.quarter), today)
    by_language = {}
    for language in current_app.config.get("REPORTS_LANGUAGES", ("kk", "ru")):
        with force_locale(language):
            by_language[language] = {"sections": sections(figs, language),
                                     "previous": sections(prev, language)}
    hashed = data_hash({lang: {"now": _rows(d["sections"]), "before": _rows(d["previous"])}
                        for lang, d in by_language.items()})
    current = latest(report, "xlsx")
    if current is not None and (current.meta or {}).get("figures_hash") == hashed \
            and report.state != "pending":
        return False
    stem = f"report-{report.venue.code}-{report.body.code}-{report.year}-Q{report.quarter}"
    jobs = {}
    for language, d in by_language.items():
        with force_locale(language):
            context = document_context(report, d["sections"], d["previous"], language, today)
        jobs[language] = (context, f"{report.year} Q{report.quarter} — {context['scope']}")
    for language, doc in render_all(jobs).items():
        add_file_version(report, f"pdf-{language}", doc.pdf, None,
                         filename=f"{stem}-{language}.pdf", generated=True,
                         text=doc.text or None, meta={"media_type": "application/pdf", "figures_hash": hashed,
                               "template_version": doc.template_version,
                               "data_hash": doc.data_hash, "pages": doc.pages})
    add_file_version(report, "xlsx", workbook(report, by_language, figs), None,
                     filename=f"{stem}.xlsx", generated=True,
                     meta={"media_type": XLSX, "figures_hash": hashed})
    report.built_at = utcnow()
    # the history's actor is the system; the comment keeps who asked (the page words it)
    comment = actor.login if getattr(actor, "login", None) else None
    if report.state == "pending":
        transition(report, "submit", SYSTEM, comment)
    else:
        transition(report, "resubmit", SYSTEM, comment)
    report.submitted_at = report.submitted_at or utcnow()
    db.session.flush()
    return True


def build_job(report_id: int, actor_id: int | None = None) -> dict:
    """Job (queue ``reports``): build and submit one report."""
    from ..auth.models import User
    from ..jobs import PermanentJobError

    report = db.session.get(QuarterlyReport, report_id)
    if report is None:
        raise PermanentJobError(f"quarterly report {report_id} no longer exists")
    actor = db.session.get(User, actor_id) if actor_id else None
    added = build(report, actor)
    return {"report": report.id, "state": report.state, "new_version": added}


# -- receipt ---------------------------------------------------------------------------------

def acknowledge(report: QuarterlyReport, user) -> None:
    """The Office of the Government confirms receipt (who and when). Flushes."""
    transition(report, "acknowledge", user)  # refuses, saying why, unless government_office
    report.acknowledged_by_id = user.id
    report.acknowledged_at = utcnow()
    db.session.flush()


def submissions(report: QuarterlyReport) -> list:
    """The report's history: every submission and the acknowledgement, oldest first."""
    from ..engine.workflow import history
    return history(report)


# -- late reports ----------------------------------------------------------------------------

def _in_scope(venue_id, body_id, venue_ids, body_ids) -> bool:
    return (venue_ids is None or venue_id in venue_ids) and \
        (body_ids is None or body_id in body_ids)


def late_reports(today: date | None = None, venue_ids=None, body_ids=None) -> list[dict]:
    """Reports past their due date and not submitted: every venue and body expected for the last
    ended quarter, and any older report row still unsubmitted. Three queries."""
    today = today or local_today()
    year, quarter = last_ended_quarter(today)
    rows = {(r.venue_id, r.body_id, r.year, r.quarter): r for r in db.session.execute(
        select(QuarterlyReport).where(
            (QuarterlyReport.submitted_at.is_(None))
            | ((QuarterlyReport.year == year) & (QuarterlyReport.quarter == quarter))))
        .scalars()}
    candidates = {(v, b, year, quarter) for v, b in expected_pairs(year, quarter)}
    candidates |= {key for key, r in rows.items() if r.submitted_at is None}
    dues: dict[tuple[int, int], date] = {}
    out = []
    for venue_id, body_id, y, q in sorted(candidates):
        report = rows.get((venue_id, body_id, y, q))
        if report is not None and report.submitted_at is not None:
            continue
        due = dues.setdefault((y, q), due_date(y, q))
        if today > due and _in_scope(venue_id, body_id, venue_ids, body_ids):
            out.append({"venue_id": venue_id, "body_id": body_id, "year": y, "quarter": q,
                        "due": due, "report": report})
    return out


def sweep_late(today: date | None = None) -> int:
    """Warn each venue's heads, deputies, registrars and administrators of a late report, once
    per user and report (the notification's key). Flushes, never commits; returns how many."""
    from ..reference.models import Body

    sent = 0
    for late in late_reports(today):
        venue, body = db.session.get(Venue, late["venue_id"]), db.session.get(Body, late["body_id"])
        places = {f"venue:{venue.id}", f"body:{body.id}"}
        tag = f"{late['year']}-Q{late['quarter']}"
        for user_id in sorted(current_engine().holders_of(WARNED_ROLES, places)):
            key = f"report-late:{tag}:venue:{venue.id}:body:{body.id}:user:{user_id}"
            if db.session.execute(select(Notification.id).where(Notification.key == key)).first():
                continue
            report = late["report"]
            db.session.add(Notification(
                user_id=user_id, item_id=report.id if report is not None else None,
                text=LATE_WARNING, key=key,
                params={"quarter": tag, "venue": venue.code, "body": body.code,
                        "due": late["due"].isoformat()}))
            sent += 1
    db.session.flush()
    return sent
