"""Who may fire what, generated from the workflow data: for every state, transition and role in
docflow.auth.roles.ROLES (plus the local roles helper and invited), a transition is allowed iff
the role is listed and the state is one it leaves from. Conditions are satisfied by the fixtures
(brief and reply attached, a published reception with room, a recorded delegation for the
deputy, no open material requests). Then the refusals the data cannot show: a deputy without a
delegation, a volunteer on a day without a reception, an addressee who cannot dismiss (R17, R26,
R31)."""
import tomllib
from datetime import date
from pathlib import Path

import pytest

from docflow.auth.roles import ROLES
from docflow.engine.errors import RoleRefused, StateRefused, TransitionRefused
from docflow.engine.files import add_file_version
from docflow.engine.security import grant
from docflow.engine.workflow import allowed_transitions, transition
from docflow.extensions import db
from docflow.reception import delegation, materials, receptions
from docflow.reception.materials import ADDRESSEE_ROLES

WORKFLOWS = Path(__file__).parents[2] / "docflow" / "reception" / "workflows"
APPEAL = tomllib.loads((WORKFLOWS / "appeal.toml").read_text("utf-8"))
MATERIAL = tomllib.loads((WORKFLOWS / "material_request.toml").read_text("utf-8"))
LOCAL_ROLES = ("helper", "invited")
DATA = {"entry_id": None, "via": "post", "body": "MZ"}


def expected(workflow: dict, state: str, role: str, extra=lambda t, role: True) -> set[str]:
    return {t["id"] for t in workflow["transitions"]
            if state in t["from"] and role in t["roles"] and extra(t, role)}


@pytest.fixture
def actors(users, mz_other_body, app):
    """One user per role (the demo's, held at CRC-AST or MLSPP) and two holding local roles."""
    by_role = {role: users[role] for role in ROLES}
    from docflow.auth.operations import create_user
    by_role["helper"] = create_user("helper-lc", "legal_consultant", venue_code="CRC-AST",
                                    password="secret-pass-1")
    by_role["invited"] = mz_other_body
    db.session.commit()
    return by_role


def _satisfied(appeal, schedule, state, actors):
    """Force ``state`` and satisfy every condition its transitions name."""
    entry = schedule.add(day=date(2026, 12, 10))
    DATA["entry_id"] = entry.id
    appeal.state = state
    add_file_version(appeal, "brief", b"%PDF-1.7 brief", None, filename="brief.pdf",
                     generated=True, meta={"decision": "slot"})
    placed = receptions.place(appeal, entry)
    add_file_version(appeal, "reply", b"%PDF-1.7 reply", None, filename="reply.pdf",
                     generated=True,
                     meta={"decision": "refusal" if state == "refused" else "slot",
                           "slot_at": placed.slot_at.isoformat()})
    body = appeal.body
    delegation.delegate(actors["head"], actors["deputy"], body, date(2026, 11, 1),
                        date(2026, 12, 31), "Leave of the minister")
    grant(appeal, f"user:{actors['helper'].id}", "helper", None)
    grant(appeal, f"user:{actors['invited'].id}", "invited", None)
    db.session.commit()


@pytest.mark.parametrize("state", list(APPEAL["states"]))
def test_appeal_transitions_by_role_and_state(state, case, schedule, actors):
    appeal = case()
    _satisfied(appeal, schedule, state, actors)
    for role in [*ROLES, *LOCAL_ROLES]:
        user = actors[role]
        want = expected(APPEAL, state, role)
        got = {t.id for t in allowed_transitions(appeal, user, data=DATA)}
        assert got == want, (state, role)
        for name in {t["id"] for t in APPEAL["transitions"]}:
            savepoint = db.session.begin_nested()
            try:
                transition(appeal, name, user, "because", **DATA)
                fired = True
            except TransitionRefused as exc:
                fired = False
                if state in next(t["from"] for t in APPEAL["transitions"] if t["id"] == name):
                    assert isinstance(exc, RoleRefused), (state, role, name, str(exc))
            savepoint.rollback()
            assert fired == (name in want), (state, role, name)
            assert appeal.state == state


def test_a_deputy_decides_only_under_a_recorded_delegation(case, schedule, users):
    entry = schedule.add(day=date(2026, 12, 10))
    appeal = case()
    appeal.state = "brief_ready"
    add_file_version(appeal, "brief", b"%PDF-1.7", None, filename="b.pdf", generated=True)
    db.session.commit()
    deputy, head = users["deputy"], users["head"]
    data = {"entry_id": entry.id}
    assert {t.id for t in allowed_transitions(appeal, deputy, data=data)} == {"return_for_work"}
    with pytest.raises(TransitionRefused, match="delegation"):
        transition(appeal, "approve", deputy, **data)
    with pytest.raises(delegation.DelegationError):
        delegation.delegate(deputy, deputy, appeal.body, date(2026, 11, 1), date(2026, 11, 30),
                            "self")
    delegation.delegate(head, deputy, appeal.body, date(2026, 12, 1), date(2026, 12, 5),
                        "next week only")
    assert "approve" not in {t.id for t in allowed_transitions(appeal, deputy, data=data)}
    delegation.delegate(head, deputy, appeal.body, date(2026, 11, 20), date(2026, 11, 30),
                        "Minister abroad")
    assert {"approve", "refuse"} <= {t.id for t in allowed_transitions(appeal, deputy,
                                                                       data=data)}
    transition(appeal, "approve", deputy, **data)
    assert appeal.state == "approved"


def test_a_volunteer_helps_only_on_a_reception_day_at_their_venue(case, schedule, users):
    appeal = case()
    volunteer, social = users["volunteer"], users["social_worker"]
    resp = users["responsible"]
    transition(appeal, "start_review", resp)
    receptions.share_with_helper(appeal, volunteer, resp)
    receptions.share_with_helper(appeal, social, resp)
    schedule.add(day=date(2026, 11, 26))  # today at CRC-AST
    schedule.add("RR-MLSPP", day=date(2026, 11, 27))  # another venue only, tomorrow
    db.session.commit()
    with pytest.raises(receptions.CaseworkError,
                       match="Volunteers help only on reception days.*2026-11-27"):
        receptions.helper_attach(appeal, volunteer, "draft.txt", b"draft appeal text",
                                 kind="additional_appeal", day=date(2026, 11, 27))
    receptions.helper_attach(appeal, social, "note.txt", b"a note", day=date(2026, 11, 27))
    version = receptions.helper_attach(appeal, volunteer, "draft.txt", b"draft appeal text",
                                       kind="additional_appeal", day=date(2026, 11, 26))
    assert version.file.name == "additional-appeal-draft.txt"
    with pytest.raises(receptions.CaseworkError):
        receptions.share_with_helper(appeal, users["registrar"], resp)  # not a helper role


@pytest.mark.parametrize("kind,code", [("division", "MLSPP-SOC"), ("body", "MLSPP"),
                                       ("venue", "CRC-AST")])
@pytest.mark.parametrize("state", list(MATERIAL["states"]))
def test_material_request_transitions_by_role_and_state(kind, code, state, case, actors):
    appeal = case()
    transition(appeal, "start_review", actors["responsible"])
    req = materials.request_materials(appeal, actors["responsible"], addressee_kind=kind,
                                      addressee_code=code, question="q", working_days=3)
    req.state = state
    db.session.commit()
    addressee_role = ADDRESSEE_ROLES[kind][0]
    for role in [*ROLES, *LOCAL_ROLES]:
        want = expected(MATERIAL, state, role,
                        lambda t, r: t["id"] != "answer" or r == addressee_role)
        got = {t.id for t in allowed_transitions(req, actors[role], data={"text": "x"})}
        assert got == want, (kind, state, role)


def test_the_addressee_cannot_dismiss_a_request(case, users):
    appeal = case()
    transition(appeal, "start_review", users["responsible"])
    req = materials.request_materials(appeal, users["responsible"], addressee_kind="division",
                                      addressee_code="MLSPP-EMP", question="q", working_days=3)
    division = users["division"]
    for state in materials.OPEN_STATES:
        req.state = state
        assert {t.id for t in allowed_transitions(req, division, data={"text": "x"})} == {
            "answer"}
    # no transition of the workflow ends an open request for an addressee role except answering
    for t in MATERIAL["transitions"]:
        if set(t["from"]) & set(materials.OPEN_STATES) and t["id"] != "answer":
            assert not set(t["roles"]) & {r for rs in ADDRESSEE_ROLES.values() for r in rs}
    for name in ("dismiss", "waive", "decline"):
        with pytest.raises((StateRefused, RoleRefused)):
            transition(req, name, division, "not ours")
    assert req.state in materials.OPEN_STATES
