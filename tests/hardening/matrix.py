"""The authorization matrix's machinery: which routes exist, what to put in their URLs, how a
role asks, and how an answer is classed (shared by the matrix test and the dump script)."""
from __future__ import annotations

import json
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from flask.testing import FlaskClient

from docflow.engine.content import Item
from docflow.extensions import db

from .world import (
    ANONYMOUS,
    APPEAL_WF,
    FOREIGN,
    MATERIAL_WF,
    RESTRICTED,
    SCHEDULE_WF,
    World,
    intake,
)

DECLARATIONS = tomllib.loads((Path(__file__).with_name("authz.toml")).read_text("utf-8"))
METHODS = ("GET", "POST")
FULL = os.environ.get("AUTHZ_FULL") == "1"


def _classes(wf: dict) -> list[str]:
    """One state per class of states that the workflow data cannot tell apart (the same
    permission map and the same transitions leaving it, by role); all states with AUTHZ_FULL=1."""
    seen, out = set(), []
    for state, data in wf["states"].items():
        sig = json.dumps([data.get("permissions", {}), sorted(
            (t["id"], sorted(t["roles"])) for t in wf["transitions"] if state in t["from"])],
            sort_keys=True)
        if FULL or sig not in seen:
            seen.add(sig)
            out.append(state)
    return out


APPEAL_KEYS = [*_classes(APPEAL_WF), FOREIGN, RESTRICTED]
# The URL argument that names an item decides which states the route is tried in.
KEYED = {"appeal_id": APPEAL_KEYS, "uid": APPEAL_KEYS, "request_id": _classes(MATERIAL_WF),
         "schedule_id": _classes(SCHEDULE_WF)}
OK, HIDDEN, FORBIDDEN, LOGIN = "ok", "404", "403", "login"


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
        keys = next((KEYED[a] for a in KEYED if a in rule.arguments), ["-"])
        for method in METHODS:
            if method in rule.methods:
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
        "code": "0000000000", "filename": "css/app.css",
    }
    path = case.rule
    for name, value in values.items():
        for conv in ("", "int:", "yearmonth:", "path:"):
            path = path.replace(f"<{conv}{name}>", str(value))
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
        try:
            return classify(answer, case)
        finally:
            if case.method != "GET":
                with self.app.app_context():
                    self.world.reset()


def classify(answer, case: Case) -> str:
    status = answer.status_code
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
