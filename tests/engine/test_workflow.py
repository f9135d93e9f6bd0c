"""Transitions: checks, refusals that say why and list what is possible, history (R25, R26)."""
import pytest

from docflow.engine import (
    ConditionRefused,
    DataRequired,
    RoleRefused,
    StateRefused,
    allowed_transitions,
    history,
    transition,
)
from docflow.engine.audit import AuditEntry
from docflow.engine.workflow import migrate_states, orphaned, replay
from docflow.extensions import db


def test_a_memo_goes_draft_signed_sent_and_history_replays(memo_app, new_memo):
    u = memo_app.memo.users
    memo = new_memo()
    assert memo.state == "draft" and memo.path == f"/{memo.id}/"
    transition(memo, "sign", u.sam)
    transition(memo, "send", u.carl, comment="Sent by courier")
    db.session.commit()
    rows = history(memo)
    assert [(r.transition, r.from_state, r.to_state, r.actor_id) for r in rows] == [
        ("sign", "draft", "signed", u.sam.id), ("send", "signed", "sent", u.carl.id)]
    assert rows[1].comment == "Sent by courier"
    assert rows[0].workflow_id == "memo"
    assert rows[0].workflow_version == memo_app.memo.engine.workflows["memo"].version
    assert replay(memo) == memo.state == "sent"
    audited = db.session.execute(db.select(AuditEntry.action).where(
        AuditEntry.item_id == memo.id)).scalars().all()
    assert audited.count("transition") == 2


def test_a_role_refusal_names_the_roles_and_lists_what_the_user_may_do(memo_app, new_memo):
    u = memo_app.memo.users
    memo = new_memo()
    with pytest.raises(RoleRefused) as refused:
        transition(memo, "sign", u.alice)
    assert refused.value.status == 403
    assert "signer" in str(refused.value) and "author" in str(refused.value)
    assert refused.value.allowed == []
    assert memo.state == "draft" and history(memo) == []


def test_a_state_refusal_lists_the_transitions_possible_now(memo_app, new_memo):
    u = memo_app.memo.users
    memo = new_memo()
    with pytest.raises(StateRefused) as refused:
        transition(memo, "send", u.sam)
    assert refused.value.status == 409
    assert refused.value.allowed == ["sign"]
    assert "sign" in str(refused.value)


def test_a_condition_refusal_says_which_condition(memo_app, new_memo):
    memo = new_memo(body="  ")
    with pytest.raises(ConditionRefused) as refused:
        transition(memo, "sign", memo_app.memo.users.sam)
    assert "the memo has a body text" in str(refused.value)
    assert allowed_transitions(memo, memo_app.memo.users.sam) == []


def test_a_required_comment_is_named(memo_app, new_memo):
    u = memo_app.memo.users
    memo = new_memo()
    transition(memo, "sign", u.sam)
    with pytest.raises(DataRequired) as refused:
        transition(memo, "send", u.carl, comment="  ")
    assert refused.value.field == "comment" and refused.value.status == 422
    assert memo.state == "signed"


def test_an_unknown_transition_is_refused_clearly(memo_app, new_memo):
    with pytest.raises(StateRefused, match="no transition"):
        transition(new_memo(), "publish", memo_app.memo.users.sam)


def test_allowed_transitions_follow_roles(memo_app, new_memo):
    u = memo_app.memo.users
    memo = new_memo()
    transition(memo, "sign", u.sam)
    assert [t.id for t in allowed_transitions(memo, u.sam)] == ["retract"]
    assert [t.id for t in allowed_transitions(memo, u.alice)] == ["retract"]  # the owner
    assert [t.id for t in allowed_transitions(memo, u.carl)] == ["send"]
    assert allowed_transitions(memo, u.nobody) == []


def test_history_survives_a_changed_definition_and_items_are_migrated(memo_app, new_memo,
                                                                      tmp_path):
    """A new workflow version without 'signed': the item is reported, then moved, in history."""
    from docflow.engine.workflow import check_state

    u = memo_app.memo.users
    engine = memo_app.memo.engine
    memo = new_memo()
    transition(memo, "sign", u.sam)
    db.session.commit()
    old_version = engine.workflows["memo"].version
    v2 = tmp_path / "memo_v2.toml"
    v2.write_text("""
id = "memo"
initial = "draft"
[states.draft.permissions]
view = ["owner", "signer", "admin"]
[states.approved.permissions]
view = ["owner", "signer", "admin"]
[[transitions]]
id = "approve"
from = ["draft"]
to = "approved"
roles = ["signer"]
""")
    engine.register_workflow(v2)
    with pytest.raises(StateRefused, match="no longer defines"):
        check_state(memo)
    with pytest.raises(StateRefused):
        transition(memo, "approve", u.sam)
    assert [m.id for m in db.session.execute(orphaned("memo")).scalars()] == [memo.id]
    assert migrate_states("memo", {"signed": "approved"}, u.root) == 1
    db.session.commit()
    rows = history(memo)
    assert [(r.transition, r.workflow_version) for r in rows] == [
        ("sign", old_version), ("_migrate", engine.workflows["memo"].version)]
    assert replay(memo) == "approved" == memo.state
    assert db.session.execute(orphaned("memo")).first() is None


def test_history_rows_cannot_be_changed(memo_app, new_memo):
    memo = new_memo()
    entry = transition(memo, "sign", memo_app.memo.users.sam)
    db.session.commit()
    entry.comment = "rewritten"
    with pytest.raises(ValueError, match="immutable"):
        db.session.flush()
    db.session.rollback()
