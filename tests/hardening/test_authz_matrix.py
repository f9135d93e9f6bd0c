"""The authorization matrix: every route of app.url_map x every actor (the 14 contract roles and
anonymous) x the states of the item it names gives what tests/hardening/authz.toml declares, with
the per-state permission maps read from the workflow files (appeal, material_request, schedule,
quarterly_report, survey_task). A route added without a declaration fails here.

Items are tried at the actors' own venue and body, at another venue and body (ids guessed from
another venue: 404, never 403) and restricted (R11: 404 for the uncleared). A route is tried in
one state per class its declaration cannot tell apart (the same roles for the permissions it
names; the transition routes are asked with no valid transition, so view decides); AUTHZ_FULL=1
tries every state of every workflow.

Speed: the world is built once for the session (SQLite file), each actor signs in once (one test
client each); what an allowed POST changes is put back after it (World.reset). One test per route
and method asks every actor in every state and reports every mismatch at once."""
import pytest

from docflow import create_app
from docflow.auth.roles import ROLES
from docflow.extensions import db

from .matrix import DECLARATIONS, DELETED, FORBIDDEN, HIDDEN, KEPT, LOGIN, OK, Clients, cases
from .world import ACTORS, ANONYMOUS, FOREIGN, LOCAL, RESTRICTED, WORKFLOWS, build_world

# Where the demo users hold their roles (docflow.demo): at CRC-AST / MLSPP, the home of every
# item here; these three everywhere; these two are cleared for restricted appeals (R11).
GLOBAL_ROLES = {"admin", "government_office", "integration"}
CLEARED = {"registrar", "call_center"}
BODY_ROLES = {"responsible", "head", "deputy", "division", "other_body"}
# the state the foreign and restricted items are in, by kind
STATE_OF = {"appeal": "in_review", "survey_task": "open"}

APP = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "JOBS_BACKEND": "embedded"})
CASES = cases(APP)
# One test per route and method; it asks every actor in every state class and reports every
# mismatch at once.
ROUTES = sorted({(c.endpoint, c.method) for c in CASES})


@pytest.fixture(scope="session")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("authz")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'authz.sqlite3'}",
                      "BLOB_STORE": str(tmp / "blobs"), "JOBS_BACKEND": "embedded",
                      "WTF_CSRF_ENABLED": False})
    with app.app_context():
        db.create_all()
        built = build_world()
    yield Clients(app, built)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def roles_held(actor: str, kind: str, key: str) -> set[str]:
    """The roles the actor holds on the item, from where the demo put them (not from docflow's
    security code, which this checks)."""
    if key == RESTRICTED and actor not in CLEARED:
        return set()
    if key == FOREIGN:
        return {actor} & GLOBAL_ROLES
    if kind == "schedule" and actor in BODY_ROLES:
        return set()  # a reception center's schedule lives at the venue only
    held = {actor}
    if kind in ("appeal", "material_request") and actor in LOCAL:
        held.add(LOCAL[actor])  # granted on the appeal, inherited by its material requests
    return held


def allowed(kind: str, state: str, permission: str) -> set[str]:
    return set(WORKFLOWS[kind]["states"][state].get("permissions", {}).get(permission, []))


def expected(rule: dict, actor: str, key: str) -> str:
    if rule.get("public"):
        return OK
    if actor == ANONYMOUS:
        return LOGIN
    if "item" in rule:
        kind = rule["item"]
        state = STATE_OF[kind] if key in (FOREIGN, RESTRICTED) else key
        held = roles_held(actor, kind, key)
        if not held & allowed(kind, state, "view"):
            # quarterly reports are no secret at their own venue: 403, not 404
            return rule.get("unseen", HIDDEN)
        permission = rule.get("permission", "view")
        also = {role for role, perm in rule.get("or_roles", {}).items()
                if held & {role} and held & allowed(kind, state, perm)}
        if not held & allowed(kind, state, permission):
            return FORBIDDEN
        if "roles" in rule and not held & set(rule["roles"]) and not also:
            return FORBIDDEN
        return OK
    if "owner" in rule:
        mine = actor == rule["owner"] or actor in rule.get("roles", ())
        if rule.get("others") == "noop":
            return DELETED if mine else KEPT
        return OK if mine else HIDDEN
    if "roles" in rule:
        return OK if actor in rule["roles"] else FORBIDDEN
    assert rule.get("signed_in"), rule
    return OK


def test_every_route_and_method_is_declared():
    declared = DECLARATIONS["endpoints"]
    missing = sorted({f"{c.endpoint} {c.method}" for c in CASES
                      if c.method not in declared.get(c.endpoint, {})})
    assert not missing, f"routes without an authorization declaration in authz.toml: {missing}"
    routes = {(c.endpoint, c.method) for c in CASES}
    stale = sorted(f"{e} {m}" for e, methods in declared.items() for m in methods
                   if (e, m) not in routes)
    assert not stale, f"declarations for routes that do not exist: {stale}"


def test_the_matrix_covers_every_role():
    assert ACTORS == [ANONYMOUS, *ROLES] and len(ROLES) == 14


@pytest.mark.parametrize("route", ROUTES, ids=[f"{e}:{m}" for e, m in ROUTES])
def test_route_gives_the_declared_answer_to_every_actor(route, world):
    endpoint, method = route
    rule = DECLARATIONS["endpoints"].get(endpoint, {}).get(method)
    if rule is None:
        pytest.fail(f"{endpoint} {method} has no declaration in authz.toml")
    wrong = []
    for case in (c for c in CASES if (c.endpoint, c.method) == route):
        for actor in ACTORS:
            got, want = world.ask(actor, case), expected(rule, actor, case.key)
            if got != want:
                wrong.append(f"{case.key} {actor}: got {got}, declared {want}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("actor", ["responsible", "registrar", "admin"])
def test_a_restricted_cases_document_is_not_reached_through_another_case(world, actor):
    """R11: the version id of a restricted appeal's file, asked for under a case the user may see
    (web download, API download): 404 whoever asks, cleared or not — a version is served only
    under its own item."""
    w = world.world
    visible, secret = w.appeals["registered"], w.files[RESTRICTED]
    client = world.get(actor)
    web = client.get(f"/items/{w.uids['registered']}/files/{secret}/download")
    api = client.get(f"/api/v1/appeals/{visible}/documents/{secret}",
                     headers={"Authorization": f"Bearer {w.tokens[actor]}"})
    assert (web.status_code, api.status_code) == (404, 404)
    assert b"%PDF" not in web.data + api.data
    # and under its own id only the cleared see it (also in the matrix, kept here for R11)
    own = client.get(f"/api/v1/appeals/{w.appeals[RESTRICTED]}/documents/{secret}",
                     headers={"Authorization": f"Bearer {w.tokens[actor]}"})
    assert own.status_code == (200 if actor in CLEARED else 404)
    if own.status_code == 404:
        assert str(w.appeals[RESTRICTED]) not in own.get_data(True)
