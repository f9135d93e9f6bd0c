"""Global roles at places, local roles inherited by contents, restricted items (R2, R11, R18).

The permission table is read from the memo workflow itself, so every (role, state, permission)
cell is checked both by ``can`` and by the SQL filter ``visible_filter``.
"""
import pytest

from docflow.engine import (
    PermissionDenied,
    can,
    create_item,
    explain_access,
    grant,
    revoke,
    roles_on,
    transition,
    update_item,
    visible_filter,
)
from docflow.engine.content import Item, contents
from docflow.extensions import db
from tests.engine.memo import HERE, OTHER_PLACE, PLACE, Memo, build_engine

_WF = build_engine(rules=False)[0].workflows["memo"]
PERMS = ["view", "edit", "edit:body", "add_files", "comment", "manage_sharing"]
ROLES = ["author", "signer", "clerk", "archivist", "admin"]
PATHS = {"draft": [], "signed": ["sign"], "sent": ["sign", "send"]}
CELLS = [(role, state, {perm: role in _WF.roles_for(state, perm) for perm in PERMS})
         for role in ROLES for state in PATHS]
# The table is not vacuous: it holds grants and denials.
assert {v for _r, _s, cell in CELLS for v in cell.values()} == {True, False}


def _to_state(memo, state, users):
    actors = {"sign": users.sam, "send": users.carl}
    for name in PATHS[state]:
        transition(memo, name, actors[name], comment="ok")


def _visible_ids(user, permission="view"):
    return set(db.session.execute(db.select(Item.id).where(
        visible_filter(user, permission))).scalars())


@pytest.mark.parametrize("role, state, expected", CELLS, ids=[f"{r}-{s}" for r, s, _ in CELLS])
def test_permission_table(memo_app, new_memo, role, state, expected):
    """Each row: a role in a state; each permission as the map says, by can() and by SQL."""
    u = memo_app.memo.users
    holder = memo_app.memo.directory.user(f"x_{role}", (role, None if role == "admin" else PLACE))
    memo = new_memo(owner=u.nobody)  # the owner is someone else: only the role counts
    _to_state(memo, state, u)
    assert {p: can(holder, p, memo) for p in PERMS} == expected
    assert {p: memo.id in _visible_ids(holder, p) for p in PERMS} == expected


def test_a_global_role_applies_only_at_the_items_places(memo_app, new_memo):
    u = memo_app.memo.users
    here, there = new_memo(places=[PLACE]), new_memo(places=[OTHER_PLACE])
    assert can(u.sam, "view", here) and not can(u.sam, "view", there)
    assert _visible_ids(u.sam) == {here.id}
    assert can(u.root, "view", there)  # admin holds the role everywhere


def test_the_owner_role_follows_the_item(memo_app, new_memo):
    u = memo_app.memo.users
    memo = new_memo(owner=u.nobody, places=[OTHER_PLACE])
    assert roles_on(u.nobody, memo) == {"owner"}
    assert can(u.nobody, "edit", memo) and _visible_ids(u.nobody) == {memo.id}


def test_local_roles_are_inherited_by_contents_and_revoked(memo_app, new_memo):
    u = memo_app.memo.users
    case = new_memo(title="Case", places=[OTHER_PLACE])
    doc = new_memo(title="Doc", parent=case)
    deep = new_memo(title="Deep", parent=doc)
    assert deep.path == f"/{case.id}/{doc.id}/{deep.id}/"
    assert set(db.session.execute(contents(case)).scalars()) == {doc, deep}
    assert not can(u.nobody, "view", deep)
    grant(case, f"user:{u.nobody.id}", "reader", u.alice)
    assert can(u.nobody, "view", doc) and can(u.nobody, "view", deep)
    assert not can(u.nobody, "edit", deep)
    assert _visible_ids(u.nobody) == {case.id, doc.id, deep.id}
    rows = {(r.principal, r.source, r.from_item.id if r.from_item else None)
            for r in explain_access(deep)["rows"] if r.role == "reader" and r.source != "global"}
    assert rows == {(f"user:{u.nobody.id}", "inherited", case.id)}
    assert revoke(case, f"user:{u.nobody.id}", "reader", u.alice)
    assert not can(u.nobody, "view", deep) and _visible_ids(u.nobody) == set()


def test_group_grants(memo_app, new_memo):
    d = memo_app.memo.directory
    member = d.user("member", groups=["lawyers"])
    memo = new_memo(places=[OTHER_PLACE])
    grant(memo, "group:lawyers", "reader", memo_app.memo.users.alice)
    assert can(member, "view", memo) and _visible_ids(member) == {memo.id}


def test_grant_refuses_a_malformed_principal(memo_app, new_memo):
    from docflow.engine.security import SharingError
    with pytest.raises(SharingError, match="user:<id> or group:<name>"):
        grant(new_memo(), "alice", "reader", memo_app.memo.users.alice)


def test_restricted_items_are_invisible_to_the_uncleared(memo_app, new_memo):
    """R11: even the admin and the owner see nothing without a clearance at the item's place."""
    u, d = memo_app.memo.users, memo_app.memo.directory
    cleared = d.user("cleared", ("signer", PLACE), clearances=[PLACE])
    cleared_elsewhere = d.user("elsewhere", ("signer", PLACE), clearances=[OTHER_PLACE])
    open_memo = new_memo()
    secret = new_memo(restricted=True)
    child = new_memo(parent=secret)
    assert child.restricted  # contents of a restricted case are restricted
    for user in (u.sam, u.root, u.alice, cleared_elsewhere):
        assert not can(user, "view", secret) and roles_on(user, secret) == set()
        assert _visible_ids(user) == {open_memo.id}
        count = db.session.execute(db.select(db.func.count(Item.id))
                                   .where(visible_filter(user))).scalar()
        assert count == 1
    assert can(cleared, "view", secret)
    assert _visible_ids(cleared) == {open_memo.id, secret.id, child.id}


def test_a_list_of_domain_rows_uses_the_same_filter(memo_app, new_memo):
    u = memo_app.memo.users
    new_memo(title="mine"), new_memo(title="elsewhere", places=[OTHER_PLACE])
    titles = db.session.execute(db.select(Memo.title).where(
        visible_filter(u.sam, type="memo"))).scalars().all()
    assert titles == ["mine"]


def test_field_level_edit_rights(memo_app, new_memo):
    u = memo_app.memo.users
    memo = new_memo(owner=u.nobody)
    update_item(memo, u.alice, body="author may change the body")
    with pytest.raises(PermissionDenied, match="title"):
        update_item(memo, u.alice, title="but not the title")
    with pytest.raises(PermissionDenied, match="state"):
        update_item(memo, u.nobody, state="sent")
    update_item(memo, u.nobody, title="the owner may")
    assert (memo.title, memo.body) == ("the owner may", "author may change the body")


def test_items_of_an_unregistered_type_grant_nothing(memo_app):
    u = memo_app.memo.users
    engine, _ = build_engine(rules=False)
    memo = create_item(Memo, title="t", owner=u.alice, places=[PLACE])
    engine.types.clear()
    engine.init_app(memo_app)
    assert not can(u.root, "view", memo)
    assert _visible_ids(u.root) == set()
    assert HERE.exists()
