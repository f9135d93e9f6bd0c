"""One app, one live server and one Chromium for the whole UI session: demo data (`flask demo
load`: reference data, a user per role, published schedules) plus one appeal under review with a
material request and a background job, so that every page of the app has something to show.

`site` gives the live server, the page catalog (every HTML GET route with the role that uses it)
and signed-in browser pages per role (each role signs in once, over HTTP; its cookies are
reused)."""
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import httpx
import pytest

from docflow import create_app
from docflow.extensions import db
from docflow.i18n import local_today
from tests.conftest import ROOT, LiveServer, csrf_token
from tests.services import unavailable, wait_for_port

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
PASSWORD = "demo-pass-2026"


def login_of(role: str) -> str:
    return f"demo-{role.replace('_', '-')}"


@dataclass
class Page:
    endpoint: str
    path: str
    role: str | None  # None: no login
    status: int = 200


@dataclass
class Site:
    app: object
    live: LiveServer
    browser: object
    ids: dict
    _contexts: dict = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.live.url

    def context(self, role: str | None, *, locale="ru-RU", viewport=None, bypass_csp=False):
        """A browser context signed in as the demo user of ``role`` (kept for the session).

        ``bypass_csp``: for the axe walk only — axe-core is injected as an inline script, which
        the app's Content-Security-Policy (script-src 'self') rightly refuses. The policy itself
        is checked in the browser by tests/security/test_csp_browser.py; every other context
        here (journeys, screenshots, downloads) runs under it."""
        key = (role, locale, tuple(viewport.items()) if viewport else None, bypass_csp)
        if key not in self._contexts:
            signed = next((c for k, c in self._contexts.items() if k[0] == role), None)
            ctx = self.browser.new_context(
                locale=locale, viewport=viewport, bypass_csp=bypass_csp,
                storage_state=signed.storage_state() if signed and role else None)
            if role and signed is None:
                ctx.add_cookies(sign_in_over_http(self.url, login_of(role), locale))
            self._contexts[key] = ctx
        return self._contexts[key]

    def page(self, role: str | None, **kw):
        return self.context(role, **kw).new_page()

    def tab(self, role: str | None):
        """One tab per role for the axe walk, kept for the session (cheaper than a tab per
        page); axe-core may run in it (bypass_csp)."""
        if ("tab", role) not in self._contexts:
            self._contexts[("tab", role)] = self.page(role, bypass_csp=True)
        return self._contexts[("tab", role)]

    def close(self):
        for key, ctx in self._contexts.items():
            if key[0] != "tab":
                ctx.close()


def sign_in(page, url: str, login: str) -> None:
    page.goto(f"{url}/login")
    page.locator("#login").fill(login)
    page.locator("#password").fill(PASSWORD)
    page.locator("form.login-form, main form").last.locator("button[type=submit]").click()
    page.wait_for_url(f"{url}/")


def sign_in_over_http(url: str, login: str, locale: str = "ru-RU") -> list[dict]:
    """The sign-in form posted to the live server over HTTP (its CSRF token read from the form,
    as the browser sends it), for a browser context: the cookies the app set, with their
    attributes. (The form in the browser: sign_in above, tests/browser/test_sign_in.py; this
    way a role's context costs ~0.1 s instead of a page, a form and a redirect, ~1-2 s.)"""
    language = f"{locale},{locale.split('-')[0]};q=0.9"
    with httpx.Client(base_url=url, headers={"Accept-Language": language}) as client:
        form = client.get("/login")
        answer = client.post("/login", data={"login": login, "password": PASSWORD,
                                             "csrf_token": csrf_token(form.text)})
        assert answer.status_code in (302, 303), (login, answer.status_code, answer.text[:500])
        assert answer.headers["location"] in ("/", f"{url}/"), answer.headers["location"]
        return [{"name": c.name, "value": c.value, "domain": c.domain, "path": c.path,
                 "secure": bool(c.secure), "httpOnly": c.has_nonstandard_attr("HttpOnly"),
                 "sameSite": (c.get_nonstandard_attr("SameSite") or "Lax").capitalize()}
                | ({"expires": float(c.expires)} if c.expires else {})
                for c in client.cookies.jar]


def build_scenario() -> dict:
    """The demo data and one appeal with a material request and a job; returns the ids."""
    from docflow.auth.models import User
    from docflow.demo import load_demo
    from docflow.engine.workflow import transition
    from docflow.jobs.models import OutboxJob
    from docflow.reception.intake import IntakeSchema
    from docflow.reception.materials import request_materials
    from docflow.reception.operations import register_appeal
    from docflow.schedules.demo import load_demo_schedules
    from tests.api.test_appeals_api import body as intake_body

    load_demo()
    load_demo_schedules(local_today())
    responsible = db.session.execute(db.select(User).where(
        User.login == login_of("responsible"))).scalar_one()
    appeal = register_appeal(IntakeSchema().load(intake_body(
        external_id="UI-1",
        received_at=(datetime.now(UTC) - timedelta(minutes=5)).isoformat(timespec="seconds"))),
        None).appeal
    db.session.commit()
    transition(appeal, "start_review", responsible)
    req = request_materials(appeal, responsible, addressee_kind="division",
                            addressee_code="MLSPP-SOC", question="Сведения о выплатах",
                            working_days=3)
    db.session.commit()
    job = db.session.execute(db.select(OutboxJob).order_by(OutboxJob.id)).scalars().first()
    # a draft schedule two months ahead, so that its entry can be edited
    from docflow.reference.models import Body, Division, Official, Venue
    from docflow.schedules import operations as schedule_ops
    from docflow.schedules.checks import EntryData
    from docflow.schedules.demo import _working_days
    from docflow.schedules.queries import first_of_month, next_month
    admin = db.session.execute(db.select(User).where(User.login == login_of("admin"))).scalar_one()
    venue = db.session.execute(db.select(Venue).where(Venue.code == "CRC-AST")).scalar_one()
    month = next_month(next_month(first_of_month(local_today())))
    schedule = schedule_ops.create_schedule(venue, month, admin)
    official = db.session.execute(db.select(Official).where(
        Official.code == "MLSPP-MIN")).scalar_one()
    entry = schedule_ops.add_entry(schedule, admin, EntryData(
        official, _working_days(month)[2], time(10), time(12), 30, 4))
    db.session.commit()
    # a finished reference-data import of the admin's (a file of no rows: the demo data stays
    # as it is), so the import page shows a job's progress and outcome
    from docflow.jobs import run_job
    from docflow.reference import upload
    no_rows = upload.start_import("record,code\n", admin, "ru")
    db.session.commit()
    assert run_job(no_rows.id) == "done"
    first = {m.__name__: db.session.execute(db.select(m.id).order_by(m.id)).scalars().first()
             for m in (Body, Division, Official, Venue)}
    return {"appeal": appeal.id, "uid": appeal.uid, "request": req.id,
            "job": job.id,
            "schedule": schedule.id, "entry": entry.id, "venue_code": "CRC-AST",
            "month": local_today().strftime("%Y-%m"), **first,
            **build_surveys_and_reports(venue, responsible, admin)}


def build_surveys_and_reports(venue, responsible, admin) -> dict:
    """A survey round (R38) with a task for the demo call-center operator (CRC-AST): one applicant
    consulted today, sampled at 100 %; and the last ended quarter's report for CRC-AST and MLSPP,
    built and submitted (its PDFs and workbook stored) for the Office of the Government."""
    from docflow.engine.workflow import transition
    from docflow.reception.intake import IntakeSchema
    from docflow.reception.operations import register_appeal
    from docflow.reference.models import Body
    from docflow.reports import quarterly
    from docflow.surveys.models import SurveyTask
    from docflow.surveys.operations import start_round
    from docflow.surveys.sampling import quarter_bounds
    from tests.api.test_appeals_api import body as intake_body

    served = register_appeal(IntakeSchema().load(intake_body(
        external_id="UI-SURVEY", applicant__phone="+77015550101",
        received_at=(datetime.now(UTC) - timedelta(minutes=4)).isoformat(timespec="seconds"))),
        None).appeal
    db.session.commit()
    transition(served, "consult", responsible, "consultation given")
    db.session.commit()
    start, _end = quarter_bounds(local_today())  # the served date is the venue's
    survey_round = start_round(period_start=start, period_end=local_today(), share_percent=100,
                               actor=admin, venue=venue, seed=1)
    db.session.commit()
    task = db.session.execute(db.select(SurveyTask).where(
        SurveyTask.round_id == survey_round.id)).scalars().first()
    assert task is not None, "the survey round sampled no one: the task page has nothing to show"
    mlspp = db.session.execute(db.select(Body).where(Body.code == "MLSPP")).scalar_one()
    report = quarterly.report_for(venue.id, mlspp.id,
                                  *quarterly.last_ended_quarter(local_today()))
    quarterly.build(report)  # as the periodic job does (no actor)
    db.session.commit()
    assert report.state == "submitted", report.state
    return {"survey_task": task.id, "report": report.id}


# Routes that are not pages: files, feeds, the API, health. They are left out of the axe walk
# and of the English check (no HTML to read); the downloads among them are in FILES below, which
# test_files.py fetches as the role that uses them (200 and the right content type).
NOT_PAGES = {"static", "main.healthz", "engine.download", "public_schedules.ics",
             "public_schedules.json", "public_schedules.pdf",
             # CSV / XLSX exports of the lists (the worklist, the search, the survey calls)
             "exports.worklist", "exports.search", "surveys.tasks_export",
             # a quarterly report's stored files (PDF in kk and ru, the workbook)
             "reports.download"}

CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class File:
    endpoint: str
    path: str
    role: str | None
    content_type: str


def file_catalog(ids: dict) -> list[File]:
    """The downloads of the app (not pages), with the role that fetches each."""
    r = ids["report"]
    return [
        File("exports.worklist", "/worklist/export.csv", "responsible", CSV),
        File("exports.worklist", "/worklist/export.xlsx", "responsible", XLSX),
        File("exports.search", "/search/export.csv?q=%D0%96%D2%B1%D0%BC%D1%8B%D1%81",
             "responsible", CSV),
        File("exports.search", "/search/export.xlsx", "responsible", XLSX),
        File("surveys.tasks_export", "/surveys/export.csv", "call_center", CSV),
        File("surveys.tasks_export", "/surveys/export.xlsx", "call_center", XLSX),
        File("reports.download", f"/reports/quarterly/{r}/files/pdf-kk", "government_office",
             "application/pdf"),
        File("reports.download", f"/reports/quarterly/{r}/files/pdf-ru", "government_office",
             "application/pdf"),
        File("reports.download", f"/reports/quarterly/{r}/files/xlsx", "government_office",
             XLSX),
    ]


def page_catalog(ids: dict) -> list[Page]:
    """Every HTML page of the app, with the role that works in it (R-roles of the contract)."""
    a, s = ids["appeal"], ids["schedule"]
    pages = [
        Page("auth.login", "/login", None),
        Page("public_schedules.page", f"/schedules/{ids['venue_code']}/{ids['month']}", None),
        Page("casework.verify", "/verify/NOPE-0000", None, 404),
        Page("errors.not_found", "/no-such-page", None, 404),
        Page("reception.intake", "/intake/new", "registrar"),
        Page("reception.call_center", "/intake/call", "call_center"),
        Page("reception.worklist", "/worklist", "responsible"),
        Page("reception.appeal", f"/appeals/{a}", "responsible"),
        Page("casework.brief", f"/appeals/{a}/brief", "responsible"),
        Page("casework.delegations", "/delegations", "head"),
        Page("search.search", "/search?q=%D0%96%D2%B1%D0%BC%D1%8B%D1%81", "responsible"),
        Page("search.dashboard", "/dashboard", "responsible"),
        Page("inbox.index", "/inbox/", "responsible"),
        Page("engine.item", f"/items/{ids['uid']}", "responsible"),
        Page("engine.files", f"/items/{ids['uid']}/files", "responsible"),
        Page("engine.sharing", f"/items/{ids['uid']}/sharing", "responsible"),
        Page("engine.access", f"/items/{ids['uid']}/access", "admin"),
        Page("casework.materials", "/materials", "division"),
        Page("casework.material", f"/materials/{ids['request']}", "division"),
        Page("schedules.index", "/manage/schedules/", "admin"),
        Page("schedules.schedule", f"/manage/schedules/{s}", "admin"),
        Page("schedules.edit_entry", f"/manage/schedules/{s}/entries/{ids['entry']}", "admin"),
        Page("casework.to_notify", f"/manage/schedules/{s}/to-notify", "admin"),
        Page("schedules.approvals", "/manage/schedules/approvals", "government_office"),
        Page("calendar_admin.index", "/admin/calendar/", "admin"),
        Page("jobs.admin", "/admin/jobs", "admin"),
        Page("jobs.job", f"/jobs/{ids['job']}", "admin"),
        Page("reference.index", "/admin/reference/", "admin"),
        Page("reference.bodies", "/admin/reference/bodies", "admin"),
        Page("reference.body", f"/admin/reference/bodies/{ids['Body']}", "admin"),
        Page("reference.body_edit", f"/admin/reference/bodies/{ids['Body']}/edit", "admin"),
        Page("reference.body_new", "/admin/reference/bodies/new", "admin"),
        Page("reference.division_edit",
             f"/admin/reference/divisions/{ids['Division']}/edit", "admin"),
        Page("reference.officials", "/admin/reference/officials", "admin"),
        Page("reference.official_edit",
             f"/admin/reference/officials/{ids['Official']}/edit", "admin"),
        Page("reference.official_new", "/admin/reference/officials/new", "admin"),
        Page("reference.venues", "/admin/reference/venues", "admin"),
        Page("reference.venue_edit", f"/admin/reference/venues/{ids['Venue']}/edit", "admin"),
        Page("reference.venue_new", "/admin/reference/venues/new", "admin"),
        Page("reference.import_page", "/admin/reference/import", "admin"),
        Page("auth.change_password", "/account/password", "registrar"),
        Page("surveys.tasks", "/surveys/", "call_center"),
        Page("surveys.task", f"/surveys/tasks/{ids['survey_task']}", "call_center"),
        Page("surveys.rounds", "/surveys/rounds", "admin"),
        Page("reports.dashboard", "/reports/", "head"),
        Page("reports.dashboard", "/reports/", "government_office"),
        Page("reports.reports", "/reports/quarterly/", "government_office"),
        Page("reports.reports", "/reports/quarterly/", "admin"),
        Page("reports.report", f"/reports/quarterly/{ids['report']}", "government_office"),
    ]
    from docflow.auth.roles import ROLES
    pages += [Page("main.index", "/", role) for role in ROLES]
    return pages


def html_endpoints(app) -> set[str]:
    """The GET endpoints that render a page (everything but the API and NOT_PAGES)."""
    return {r.endpoint for r in app.url_map.iter_rules()
            if "GET" in r.methods and r.endpoint not in NOT_PAGES
            and not r.rule.startswith("/api/")}


@pytest.fixture(scope="session")
def ui_app(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ui")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'ui.sqlite3'}",
                      "BLOB_STORE": str(tmp / "blobs"), "JOBS_BACKEND": "embedded"})
    with app.app_context():
        db.create_all()
        ids = build_scenario()
        db.session.remove()
    app.config["UI_IDS"] = ids
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def site(ui_app, browser):
    server = LiveServer(ui_app)
    server.start()
    wait_for_port(server.server.server_port)
    site = Site(ui_app, server, browser, ui_app.config["UI_IDS"])
    yield site
    site.close()
    server.stop()


@pytest.fixture(scope="session")
def axe_script() -> Path:
    if not AXE.exists():
        unavailable("axe-core", f"no {AXE} (run `make node-deps`: npm ci)")
    return AXE

