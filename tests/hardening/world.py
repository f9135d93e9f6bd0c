"""One small world for the authorization matrix: the demo users (one per contract role, held at
CRC-AST / MLSPP), an appeal in every workflow state at that venue and body, an appeal of another
venue and body, a restricted appeal (R11), material requests and schedules in every state, and
one object of each kind owned by a user (a job, a notification, a saved search).

States are forced directly (the workflow engine's own tests cover the transitions); after every
request :meth:`World.reset` puts back what an allowed POST may have changed, so each role sees
the same world."""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path

from sqlalchemy import select, update

from docflow.auth.models import User
from docflow.auth.operations import create_token
from docflow.auth.roles import ROLES
from docflow.demo import DEMO_PASSWORD, load_demo
from docflow.engine.catalog import SavedSearch
from docflow.engine.content import Item, create_item
from docflow.engine.files import add_file_version
from docflow.engine.rules import Notification
from docflow.engine.security import grant
from docflow.extensions import db
from docflow.jobs.models import OutboxJob
from docflow.reception.intake import IntakeSchema
from docflow.reception.materials import MaterialRequest, request_materials
from docflow.reception.operations import register_appeal
from docflow.reception.replies import IssuedLetter
from docflow.reference.models import Body, Division, Official, Venue
from docflow.reports import quarterly
from docflow.schedules import operations as sched_ops
from docflow.schedules.checks import EntryData
from docflow.schedules.jobs import POSTER_FILE
from docflow.schedules.models import Schedule, ScheduleEntry
from docflow.surveys.models import SurveyRound, SurveyTask
from tests.api.test_appeals_api import make_iin

ROOT = Path(__file__).resolve().parents[2]
IIN = make_iin("85052130012")


def workflow(path: str) -> dict:
    return tomllib.loads((ROOT / path).read_text("utf-8"))


APPEAL_WF = workflow("docflow/reception/workflows/appeal.toml")
MATERIAL_WF = workflow("docflow/reception/workflows/material_request.toml")
SCHEDULE_WF = workflow("docflow/schedules/workflows/schedule.toml")
REPORT_WF = workflow("docflow/reports/workflows/quarterly_report.toml")
SURVEY_WF = workflow("docflow/surveys/workflows/survey_task.toml")
WORKFLOWS = {"appeal": APPEAL_WF, "material_request": MATERIAL_WF, "schedule": SCHEDULE_WF,
             "quarterly_report": REPORT_WF, "survey_task": SURVEY_WF}
LETTER_CODE = "a" * 64
ANONYMOUS = "anonymous"
ACTORS = [ANONYMOUS, *ROLES]
# Local roles given in the world: the legal consultant helps on every home appeal (R17), the
# other body's representative is invited on it (R18).
LOCAL = {"legal_consultant": "helper", "other_body": "invited"}
HOME_VENUE, HOME_BODY, FOREIGN_VENUE, FOREIGN_BODY = "CRC-AST", "MLSPP", "CRC-ALA", "MZ"
# The extra "states" every item route is also tried in.
FOREIGN, RESTRICTED = "foreign", "restricted"


def intake(external_id: str, venue=HOME_VENUE, body=HOME_BODY, citizenship="KZ") -> dict:
    return {"channel": "egov_portal", "external_id": external_id,
            "received_at": "2026-11-25T10:15:00+05:00", "venue": venue, "body": body,
            "applicant": {"kind": "individual", "iin": IIN, "last_name": "Сәрсенбаев",
                          "first_name": "Ғалым", "citizenship": citizenship, "language": "kk",
                          "phone": "+77011234567"},
            "subject": "Жұмысқа орналасу", "text": "Министрдің қабылдауына жазылғым келеді."}


@dataclass
class World:
    users: dict[str, str]               # role -> the demo user's login
    user_ids: dict[str, int]
    tokens: dict[str, str]
    appeals: dict[str, int]             # state (or foreign / restricted) -> appeal id
    files: dict[str, int]               # same keys -> a file version id on that appeal
    uids: dict[str, str]
    materials: dict[str, int]
    schedules: dict[str, int]
    entries: dict[str, int]
    reports: dict[str, int]             # quarterly reports by state (each with a file "report")
    tasks: dict[str, int]               # survey tasks by state (or foreign / restricted)
    owned: dict[str, int]               # job, notification, search -> id (owned by responsible)
    states: dict[int, str] = field(default_factory=dict)  # item id -> its state to restore
    extra: dict[str, object] = field(default_factory=dict)

    def reset(self) -> None:
        """Undo what an allowed request may have changed (states, deleted owned objects)."""
        db.session.rollback()
        rows = dict(db.session.execute(select(Item.id, Item.state).where(
            Item.id.in_(list(self.states)))).all())
        changed = {i: s for i, s in self.states.items() if rows.get(i) != s}
        for item_id, state in changed.items():
            db.session.execute(update(Item).where(Item.id == item_id).values(state=state))
        for key, entry_id in list(self.entries.items()):
            if db.session.get(ScheduleEntry, entry_id) is None:  # deleted by an allowed POST
                schedule = db.session.get(Schedule, self.schedules[key])
                official_id, day = self.extra["entry_data"][key]
                entry = sched_ops.add_entry(schedule, db.session.get(User, self.user_ids["admin"]), EntryData(
                    db.session.get(Official, official_id), day, time(10), time(12), 30, 4))
                db.session.flush()
                self.entries[key] = entry.id
                changed[schedule.id] = schedule.state
        if db.session.get(SavedSearch, self.owned["search"]) is None:
            self.owned["search"] = _saved_search(self.user_ids["responsible"]).id
        if changed or db.session.new:
            db.session.commit()
        db.session.expire_all()


def _user(login: str) -> User:
    return db.session.execute(select(User).where(User.login == login)).scalar_one()


def _saved_search(user_id: int) -> SavedSearch:
    row = SavedSearch(user_id=user_id, name="mine", query={"q": "Жұмыс"})
    db.session.add(row)
    db.session.commit()
    return row


def _appeal(external_id: str, **kw):
    appeal = register_appeal(IntakeSchema().load(intake(external_id, **kw)), None).appeal
    version = add_file_version(appeal, "brief", b"%PDF-1.7\n% brief\n%%EOF\n", None,
                               filename="brief.pdf", generated=True)
    db.session.flush()
    return appeal, version


def build_world() -> World:
    load_demo()
    db.session.add(Venue(code=FOREIGN_VENUE, kind="reception_center", name_kk="Алматы ОҚО",
                         name_ru="ЦПГ Алматы", address_kk="Алматы", address_ru="Алматы",
                         timezone="Asia/Almaty", opens=time(9), closes=time(18, 30),
                         lunch_start=time(13), lunch_end=time(14, 30)))
    users = {role: _user(f"demo-{role.replace('_', '-')}") for role in ROLES}
    tokens = {role: create_token(user.login) for role, user in users.items()}
    appeals, files, states = {}, {}, {}
    for state in APPEAL_WF["states"]:
        appeal, files[state] = _appeal(f"AUTHZ-{state}")
        if state == "collecting":
            appeal.state = "in_review"
            request_materials(appeal, users["responsible"], addressee_kind="division",
                              addressee_code=_division_code(), question="Справка",
                              working_days=5)
        appeals[state] = appeal
    appeals[FOREIGN], files[FOREIGN] = _appeal("AUTHZ-foreign", venue=FOREIGN_VENUE,
                                               body=FOREIGN_BODY)
    appeals[RESTRICTED], files[RESTRICTED] = _appeal("AUTHZ-restricted", citizenship="RU")
    assert appeals[RESTRICTED].restricted
    for key, appeal in appeals.items():
        appeal.state = key if key in APPEAL_WF["states"] else "in_review"
        if key != FOREIGN:
            for role, local in LOCAL.items():
                grant(appeal, f"user:{users[role].id}", local, None)
    db.session.flush()
    # material requests: one per state, on the home appeal that is collecting
    materials = {}
    parent = appeals["collecting"]
    for state in MATERIAL_WF["states"]:
        req = request_materials(parent, users["responsible"], addressee_kind="division",
                                addressee_code=_division_code(), question=f"Справка {state}",
                                working_days=5)
        req.state = state
        materials[state] = req
    # schedules: one per state at the home venue, each with an entry
    schedules, entries = {}, {}
    venue = db.session.execute(select(Venue).where(Venue.code == HOME_VENUE)).scalar_one()
    official = db.session.execute(select(Official).join(Body).where(
        Body.code == HOME_BODY).order_by(Official.code)).scalars().first()
    for n, state in enumerate(SCHEDULE_WF["states"]):
        month = date(2027, 1 + n, 1)
        schedule = sched_ops.create_schedule(venue, month, users["admin"])
        entry = sched_ops.add_entry(schedule, users["admin"], EntryData(
            official, date(2027, 1 + n, 12), time(10), time(12), 30, 4))
        schedule.state = state
        schedules[state] = schedule
        entries[state] = entry
        if state == "published":  # the public poster (R8) as the render job would leave it
            add_file_version(schedule, POSTER_FILE, b"%PDF-1.7\n% poster\n%%EOF\n", None,
                             filename="poster.pdf", generated=True)
    db.session.flush()
    # a letter the public check finds (R29)
    home = appeals["notified"]
    db.session.add(IssuedLetter(code=LETTER_CODE, pdf_sha256="b" * 64,
                                version_id=files["notified"].id, appeal_id=home.id,
                                body_id=home.body_id, decision="approved",
                                issued_on=date(2026, 11, 25)))
    # quarterly reports (one per state, home venue and body), each with its file
    reports = {}
    for n, state in enumerate(REPORT_WF["states"]):
        report = quarterly.report_for(venue.id, home.body_id, 2025, 1 + n)
        add_file_version(report, "report", b"%PDF-1.7\n% report\n%%EOF\n", None,
                         filename="report.pdf", generated=True)
        report.state = state
        reports[state] = report
    # survey tasks: one per state on home appeals, one foreign, one restricted (R11)
    survey = SurveyRound(period_start=date(2026, 7, 1), period_end=date(2026, 9, 30),
                         quarter="2026-Q3", share_percent=10, seed=1)
    db.session.add(survey)
    db.session.flush()
    tasks = {}
    for key in (*SURVEY_WF["states"], FOREIGN, RESTRICTED):
        appeal = appeals[key] if key in (FOREIGN, RESTRICTED) else appeals["consulted"]
        task = create_item(SurveyTask, title=f"R38 {key}", owner=None, places=appeal.places,
                           restricted=appeal.restricted, language="kk", emit=False,
                           round_id=survey.id, appeal_id=appeal.id, venue_id=appeal.venue_id,
                           body_id=appeal.body_id, category="consulted",
                           served_on=date(2026, 8, 3), quarter="2026-Q3",
                           applicant_key=f"iin:{key}")
        task.state = key if key in SURVEY_WF["states"] else "open"
        tasks[key] = task
    db.session.flush()
    resp = users["responsible"]
    job = OutboxJob(func="docflow.jobs.outbox:noop", title="test", created_by_id=resp.id,
                    status="failed")
    note = Notification(user_id=resp.id, item_id=appeals["registered"].id,
                        text="Hello", key="authz-note")
    db.session.add_all([job, note])
    db.session.commit()
    search = _saved_search(resp.id)
    for group in (appeals, materials, schedules, reports, tasks):
        for item in group.values():
            states[item.id] = item.state
    uids = {key: appeal.uid for key, appeal in appeals.items()}
    return World({r: u.login for r, u in users.items()}, {r: u.id for r, u in users.items()},
                 tokens, {k: a.id for k, a in appeals.items()},
                 {k: v.id for k, v in files.items()}, uids,
                 {k: r.id for k, r in materials.items()},
                 {k: s.id for k, s in schedules.items()},
                 {k: e.id for k, e in entries.items()},
                 {k: r.id for k, r in reports.items()}, {k: t.id for k, t in tasks.items()},
                 {"job": job.id, "notification": note.id, "search": search.id}, states,
                 {"entry_data": {k: (official.id, e.date) for k, e in entries.items()}})


def _division_code() -> str:
    return db.session.execute(select(Division.code).join(Body).where(
        Body.code == HOME_BODY).order_by(Division.code)).scalars().first()


__all__ = ["ACTORS", "ANONYMOUS", "APPEAL_WF", "DEMO_PASSWORD", "FOREIGN", "LOCAL",
           "LETTER_CODE", "MATERIAL_WF", "MaterialRequest", "RESTRICTED", "SCHEDULE_WF", "WORKFLOWS", "World",
           "build_world"]
