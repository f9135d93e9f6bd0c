"""The authorization matrix's machinery: which routes exist, what to put in their URLs, how a
role asks, and how an answer is classed (shared by the matrix test and the dump script)."""
from __future__ import annotations

import json
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from flask.testing import FlaskClient

from docflow.engine.catalog import SavedSearch
from docflow.engine.content import Item
from docflow.extensions import db

from .world import (
    ANONYMOUS,
    APPEAL_WF,
    FOREIGN,
    LETTER_CODE,
    MATERIAL_WF,
    REPORT_WF,
    RESTRICTED,
    SCHEDULE_WF,
    SURVEY_WF,
    World,
    intake,
)

DECLARATIONS = tomllib.loads((Path(__file__).with_name("authz.toml")).read_text("utf-8"))
METHODS = ("GET", "POST")
FULL = os.environ.get("AUTHZ_FULL") == "1"


def _classes(wf: dict, permissions=None, transitions=True) -> list[str]:
    """One state per class of states that the workflow data cannot tell apart for a route: the
    same lists of roles for the permissions the route needs (all of them by default) and, for
    the transition routes, the same transitions leaving it, by role. All states with
    AUTHZ_FULL=1."""
    seen, out = set(), []
    for state, data in wf["states"].items():
        perms = data.get("permissions", {})
        if permissions is not None:
            perms = {p: sorted(perms.get(p, [])) for p in permissions}
        sig = json.dumps([perms, sorted(
            (t["id"], sorted(t["roles"])) for t in wf["transitions"] if state in t["from"])
            if transitions else []], sort_keys=True)
        if FULL or sig not in seen:
            seen.add(sig)
            out.append(state)
    return out


# The URL argument that names an item decides which workflow's states the route is tried in;
# appeals and survey tasks are also tried at another venue and body and restricted (R11).
KIND_OF_ARG = {"appeal_id": "appeal", "uid": "appeal", "request_id": "material_request",
               "schedule_id": "schedule", "report_id": "quarterly_report",
               "task_id": "survey_task"}
EXTRA_KEYS = {"appeal": [FOREIGN, RESTRICTED], "survey_task": [FOREIGN, RESTRICTED]}
WF_OF = {"appeal": APPEAL_WF, "material_request": MATERIAL_WF, "schedule": SCHEDULE_WF,
         "quarterly_report": REPORT_WF, "survey_task": SURVEY_WF}


def keys_for(endpoint: str, method: str, kind: str) -> list[str]:
    """The states a route is tried in: by default one per class of the permissions its
    declaration names (view, its permission, or_roles'); every class of the whole map (and of
    the transitions) for an undeclared route."""
    rule = DECLARATIONS["endpoints"].get(endpoint, {}).get(method)
    if rule is None or "item" not in rule:
        states = _classes(WF_OF[kind])
    else:
        needed = sorted({"view", rule.get("permission", "view"),
                         *rule.get("or_roles", {}).values()})
        # the transition routes are asked with no (or an unknown) transition, so what answers
        # is the view check: the transitions leaving a state do not split its class here
        states = _classes(WF_OF[kind], needed, transitions=False)
    return [*states, *EXTRA_KEYS.get(kind, [])]


OK, HIDDEN, FORBIDDEN, LOGIN = "ok", "404", "403", "login"
# an owner route that refuses others by doing nothing (same answer as for an unknown id)
DELETED, KEPT = "ok: deleted", "ok: nothing deleted"


@dataclass(frozen=True)
class Case:
    endpoint: str
    method: str
    rule: str
    key: str          # the item's state (or foreign / restricted), "-" for routes without one

    @property
    def id(self) -> str:
        return f"{self.endpoint}:{self.method}:{self.key}"


def cases(app) -> list[Case]:
    out = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        if rule.endpoint == "static":
            continue
        kind = next((KIND_OF_ARG[a] for a in KIND_OF_ARG if a in rule.arguments), None)
        for method in METHODS:
            if method in rule.methods:
                keys = keys_for(rule.endpoint, method, kind) if kind else ["-"]
                out.extend(Case(rule.endpoint, method, rule.rule, key) for key in keys)
    return out


def url_for_case(world: World, case: Case) -> str:
    k = case.key
    values = {
        "appeal_id": world.appeals.get(k), "version_id": world.files.get(k),
        "uid": world.uids.get(k), "request_id": world.materials.get(k),
        "schedule_id": world.schedules.get(k), "entry_id": world.entries.get(k),
        "job_id": world.owned["job"], "notification_id": world.owned["notification"],
        "search_id": world.owned["search"], "body_id": 1, "venue_id": 1, "official_id": 1,
        "division_id": 1, "venue_code": "CRC-AST", "month": "2027-04", "year": 2026,
        "report_id": world.reports.get(k), "task_id": world.tasks.get(k), "name": "report",
        "fmt": "csv", "code": LETTER_CODE, "filename": "css/app.css",
    }
    path = re.sub(r"<(?:[^<>:]+:)?(\w+)>", lambda m: str(values.get(m[1], m[0])), case.rule)
    assert "<" not in path, f"no value for a URL argument of {case.rule}"
    if case.endpoint == "api_calendar.Shift":
        path += "?date=2026-11-25&days=3"
    return path


class Clients:
    """One signed-in test client per role (plus anonymous), and a bearer token per role.

    Use it with no application context pushed: a request reuses a pushed context, and with it
    ``g`` (the signed-in user would leak from one client's request into the next)."""

    def __init__(self, app, world: World):
        self.app, self.world, self.clients, self.counter = app, world, {}, 0

    def get(self, actor: str) -> FlaskClient:
        if actor not in self.clients:
            client = self.app.test_client()
            if actor != ANONYMOUS:
                login = self.world.users[actor]
                answer = client.post("/login", data={"login": login,
                                                     "password": "demo-pass-2026"})
                assert answer.status_code in (302, 303), (actor, answer.status_code)
            self.clients[actor] = client
        return self.clients[actor]

    def ask(self, actor: str, case: Case) -> str:
        path = url_for_case(self.world, case)
        api = case.rule.startswith("/api/")
        if case.endpoint == "auth.logout":  # would sign the shared client out
            client = self.app.test_client()
            if actor != ANONYMOUS:
                client.post("/login", data={"login": self.world.users[actor],
                                            "password": "demo-pass-2026"})
        else:
            client = self.get(actor)
        headers = {}
        if api and actor != ANONYMOUS:
            headers["Authorization"] = f"Bearer {self.world.tokens[actor]}"
        kwargs = {"data": {}}
        if api and case.method == "POST":
            # well-formed bodies, so that what answers is the permission check, not validation
            self.counter += 1
            kwargs = {"json": {"name": "no_such_transition"}}
            if case.endpoint == "api_appeals.Appeals":
                kwargs = {"json": intake(f"AUTHZ-API-{self.counter}")}
        answer = client.open(path, method=case.method, headers=headers, **kwargs)
        got = classify(answer, case, actor)
        if case.method != "GET":
            with self.app.app_context():
                if case.endpoint == "search.delete" and got == OK:
                    got = KEPT if db.session.get(SavedSearch, self.world.owned["search"]) \
                        else DELETED
                self.world.reset()
        return got


def classify(answer, case: Case, actor: str = "") -> str:
    status = answer.status_code
    if case.endpoint == "auth.logout" and actor != ANONYMOUS and status in (302, 303):
        return OK  # signed out: sent to the sign-in page is the answer itself
    if status == 401 or (status in (301, 302, 303) and "/login" in answer.location):
        return LOGIN
    if status == 403:
        return FORBIDDEN
    if status == 404:
        return HIDDEN
    # /healthz answers 503 naming what is down (no worker thread in tests): not an error here
    assert status < 500 or (case.endpoint == "main.healthz" and status == 503), \
        f"{case.id}: {status}: {answer.get_data(True)[:500]}"
    return OK


def item_state(item_id: int) -> str:
    return db.session.get(Item, item_id).state
