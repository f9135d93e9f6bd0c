"""Property-based: random transitions by random roles keep the workflow's promises.

* the state is always one the definition has;
* a transition succeeds only for a role it allows, from a state it leaves;
* can() answers exactly what the permission map says for the role in the current state,
  and the SQL filter agrees with can();
* the history replays from the initial state to the current state.
"""
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from docflow.engine import TransitionRefused, can, transition, visible_filter
from docflow.engine.content import Item
from docflow.engine.workflow import replay
from docflow.extensions import db
from tests.engine.memo import PLACE, build_engine

WF = build_engine(rules=False)[0].workflows["memo"]
ROLES = sorted(WF.roles - {"owner", "reader"}) + ["nobody"]
PERMS = ["view", "edit", "edit:body", "add_files", "comment", "manage_sharing"]
STEPS = st.lists(st.tuples(st.sampled_from(sorted(WF.transitions)), st.sampled_from(ROLES),
                           st.booleans(), st.sampled_from(PERMS)), max_size=12)


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=STEPS)
def test_random_transitions_keep_the_workflows_promises(memo_app, new_memo, steps):
    users = _cast(memo_app)
    try:  # the owner is not among the actors: only global roles are exercised
        _check(new_memo(owner=memo_app.memo.users.nobody, body="text"), users, steps)
    finally:  # each example starts from the committed fixture state
        db.session.rollback()


def _cast(memo_app) -> dict:
    """One user per role, created once per test (examples roll back their own changes)."""
    if not hasattr(memo_app.memo, "cast"):
        d = memo_app.memo.directory
        memo_app.memo.cast = {role: d.user(f"p_{role}", *([] if role == "nobody"
                                                           else [(role, PLACE)]))
                              for role in ROLES}
        db.session.commit()
    return memo_app.memo.cast


def _check(memo, users, steps):
    for name, role, with_comment, perm in steps:
        actor, before = users[role], memo.state
        t = WF.transitions[name]
        try:
            transition(memo, name, actor, comment="c" if with_comment else None)
        except TransitionRefused:
            assert memo.state == before
            assert (before not in t.from_states or role not in t.roles
                    or (t.requires and not with_comment))
        else:
            assert before in t.from_states and role in t.roles
            assert memo.state == t.to_state
        assert memo.state in WF.states
        expected = role in WF.roles_for(memo.state, perm)
        assert can(actor, perm, memo) is expected
        in_sql = db.session.execute(db.select(Item.id).where(
            Item.id == memo.id, visible_filter(actor, perm))).first() is not None
        assert in_sql is expected
    assert replay(memo) == memo.state
