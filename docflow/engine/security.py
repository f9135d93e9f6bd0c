"""Who may do what: global roles at places, local roles inherited down the containment tree.

One rule, two forms that must agree (a property test checks they do):

* :func:`can` for one item — the roles the user holds *on* the item (global roles held at one of
  its places or everywhere, ``owner``, local roles granted on it or an ancestor), intersected with
  the roles the item's workflow gives ``permission`` in the item's *current state*;
* :func:`visible_filter` — the same rule as a SQL expression for lists, counts and exports,
  computed from (type, state, roles) at query time: no per-item permission storage, nothing to
  re-index when a role is granted.

Restricted items (R11) are visible only to a user cleared at one of the item's places; for anyone
else they do not exist (no roles at all, so ``view`` is false and lists skip them).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from flask import g, has_request_context
from sqlalchemy import and_, event, exists, false, literal, or_, select
from sqlalchemy.orm import Session, aliased

from ..extensions import db
from .content import Item, ItemPlace, utcnow
from .core import current_engine
from .definition import check_permission_name
from .errors import EngineError
from .i18n import _

OWNER = "owner"  # pseudo-role held by the item's owner, usable in permission maps


@dataclass(frozen=True)
class Principal:
    """A user as the engine sees them. ``roles`` pairs (role, place) where place None = everywhere."""

    user_id: int | None
    roles: frozenset[tuple[str, str | None]] = frozenset()
    clearances: frozenset[str] = frozenset()
    groups: frozenset[str] = frozenset()

    @property
    def principals(self) -> list[str]:
        """The local-role principal strings that match this user."""
        out = [f"group:{g}" for g in sorted(self.groups)]
        return ([f"user:{self.user_id}"] if self.user_id is not None else []) + out

    def roles_at(self, places) -> set[str]:
        places = set(places)
        return {role for role, place in self.roles if place is None or place in places}

    def cleared_for(self, item: Item) -> bool:
        return not item.restricted or bool(self.clearances & item.places)


ANONYMOUS = Principal(None)


class LocalRole(db.Model):
    """A role granted on one item to ``user:<id>`` or ``group:<name>``, inherited by its contents."""

    __tablename__ = "engine_local_role"
    __table_args__ = (db.UniqueConstraint("item_id", "principal", "role",
                                          name="uq_engine_local_role_grant"),
                      db.Index("ix_engine_local_role_principal_role", "principal", "role"))

    id = db.Column(db.Integer, primary_key=True)
    item_id = db.Column(db.ForeignKey("engine_item.id", ondelete="CASCADE"), nullable=False,
                        index=True)
    principal = db.Column(db.String(100), nullable=False)
    role = db.Column(db.String(64), nullable=False)
    granted_by_id = db.Column(db.ForeignKey("user_account.id"), nullable=True)
    granted_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    item = db.relationship("Item")


class SharingError(EngineError):
    status = 422


# -- principals ----------------------------------------------------------------------------------

def principal_for(user) -> Principal:
    """The user's Principal from the app's loader; anonymous or no loader gives no roles.

    Cached per request (not per app context: a test or a job may change roles meanwhile).
    """
    if isinstance(user, Principal):
        return user
    if user is None or not getattr(user, "is_authenticated", True) or getattr(user, "id", None) is None:
        return ANONYMOUS
    loader = current_engine()._principal_loader
    if loader is None:
        return Principal(user.id)
    if not has_request_context():
        return loader(user)
    cache = g.setdefault("_engine_principals", {})
    if user.id not in cache:
        cache[user.id] = loader(user)
    return cache[user.id]


def forget_principals() -> None:
    """Drop the per-request cache (after a role change within the same request)."""
    if has_request_context():
        g.pop("_engine_principals", None)


# -- one item ------------------------------------------------------------------------------------

def local_roles_on(principal: Principal, item: Item) -> set[str]:
    """Local roles granted to the principal on the item or any ancestor: the granted items whose
    path begins this item's path (from :func:`local_grants`, read once per transaction)."""
    if not principal.principals or item.id is None or not item.path:
        return set()
    path = item.path
    return {role for role, paths in local_grants(principal).items()
            if any(path.startswith(granted) for granted in paths)}


def roles_on(user, item: Item) -> set[str]:
    """Every role ``user`` holds on ``item``; empty for a restricted item they are not cleared for."""
    principal = principal_for(user)
    if not principal.cleared_for(item):
        return set()
    roles = principal.roles_at(item.places)
    if principal.user_id is not None and item.owner_id == principal.user_id:
        roles.add(OWNER)
    return roles | local_roles_on(principal, item)


def can(user, permission: str, item: Item) -> bool:
    """Does ``user`` hold ``permission`` on ``item`` in its current state?"""
    check_permission_name(permission)
    engine = current_engine()
    if item.type not in engine.types:
        return False
    allowed = engine.workflow_for(item).roles_for(item.state, permission)
    return bool(allowed and roles_on(user, item) & allowed)


# -- the same rule in SQL ------------------------------------------------------------------------

#: Above this many local grants of one user, the SQL form asks the local-role table per row
#: (a correlated EXISTS) instead of listing the granted paths as literal prefixes.
MAX_LITERAL_GRANTS = 200

_PATH = re.compile(r"^/(?:[0-9]+/)*$")


def local_grants(principal: Principal) -> dict[str, tuple[str, ...]]:
    """The paths of the items on which ``principal`` holds each local role: {role: (path, ...)}.

    One small query (a user holds few local roles), kept for the current transaction: a flush
    that adds, changes or deletes a local role, and the transaction's end, drop it.
    """
    names = tuple(principal.principals)
    if not names:
        return {}
    cache = db.session.info.setdefault(_GRANTS, {})
    if names not in cache:
        rows = db.session.execute(
            select(LocalRole.role, Item.path).join(Item, Item.id == LocalRole.item_id)
            .where(LocalRole.principal.in_(names))
            .order_by(LocalRole.role, Item.path)
            .execution_options(docflow_prepare=True)).all()  # every page: kept prepared
        found: dict[str, list[str]] = {}
        for role, path in rows:
            found.setdefault(role, []).append(path)
        cache[names] = {role: tuple(paths) for role, paths in found.items()}
    return cache[names]


_GRANTS = "engine_local_grants"  # session.info key of local_grants' cache


def remember_local_grants(principals: tuple[str, ...], pairs) -> None:
    """What :func:`local_grants` would read for ``principals``, read by the caller in a statement
    it runs anyway in this transaction (docflow.auth reads the signed-in user's grants with the
    user): ``pairs`` of (role, path). Kept, and dropped, exactly as local_grants' own reading."""
    found: dict[str, list[str]] = {}
    for role, path in sorted(pairs):
        found.setdefault(role, []).append(path)
    db.session.info.setdefault(_GRANTS, {})[tuple(principals)] = {
        role: tuple(paths) for role, paths in found.items()}


def local_grants_of(principal_column):
    """A scalar subquery: the (role, path) pairs :func:`local_grants` reads for one principal
    string, as one text (``role<TAB>path`` lines; :func:`parse_local_grants` reads it back)."""
    from sqlalchemy import func
    return (select(func.coalesce(func.aggregate_strings(LocalRole.role + "\t" + Item.path, "\n"),
                                 ""))
            .select_from(LocalRole).join(Item, Item.id == LocalRole.item_id)
            .where(LocalRole.principal == principal_column).scalar_subquery())


def parse_local_grants(text: str) -> list[tuple[str, str]]:
    return [tuple(line.split("\t", 1)) for line in text.split("\n") if line]


@event.listens_for(Session, "after_flush")
def _grants_flushed(session, flush_context) -> None:
    if _GRANTS in session.info and any(isinstance(obj, LocalRole) for obj in (
            *session.new, *session.dirty, *session.deleted)):
        session.info.pop(_GRANTS, None)


@event.listens_for(Session, "after_transaction_end")
def _grants_ended(session, transaction) -> None:
    session.info.pop(_GRANTS, None)


@dataclass(frozen=True)
class Target:
    """The columns :func:`visible_filter` reads, and how "the row is at one of these places" is
    asked. :data:`ITEM` is ``engine_item`` itself (places through ``engine_item_place``); the
    catalog passes its own row, which carries a copy of the same values
    (:mod:`docflow.engine.catalog`), so that a search filters one table."""

    type: object
    state: object
    restricted: object
    owner_id: object
    path: object
    at_places: object  # fn(sorted places) -> SQL condition


def _item_at_places(places) -> object:
    return exists(select(literal(1)).where(ItemPlace.item_id == Item.id,
                                           ItemPlace.place.in_(places)))


ITEM = Target(Item.type, Item.state, Item.restricted, Item.owner_id, Item.path, _item_at_places)


def visible_filter(user, permission: str = "view", type: str | None = None, *,
                   on: Target = ITEM):
    """A SQL condition on ``Item`` true exactly where :func:`can` is (for lists, counts, exports).

    Usable in ``select(Item)``, ``select(Memo)`` (joined inheritance) or any query joined to
    ``Item``. Builds no per-item data; besides loading the principal it reads the user's local
    grants once per transaction (:func:`local_grants`), so that the condition is index-friendly:

    ``type = T AND (state IN (...)                                  -- roles held everywhere
                    OR state IN (...) AND EXISTS (place IN (...))   -- roles held at places
                    OR state IN (...) AND owner_id = U              -- the owner
                    OR state IN (...) AND (path LIKE '/12/%' OR ...))  -- local roles, literal
                   AND (restricted IS false OR EXISTS (place IN clearances))``

    That is the rule "some role the user holds on the item is allowed in its state", with the
    roles grouped by how they are held (the same disjunction, distributed). ``on``: the columns
    the condition reads (default ``engine_item``'s; the catalog's search row has the same).
    """
    check_permission_name(permission)
    engine = current_engine()
    principal = principal_for(user)
    names = [type] if type is not None else sorted(engine.types)
    per_type = []
    grants: dict[str, tuple[str, ...]] | None = None
    for name in names:
        if name not in engine.types:
            continue
        workflow = engine.workflow_for(name)
        by_role: dict[str, set[str]] = {}
        for state in workflow.states:
            for role in workflow.roles_for(state, permission):
                by_role.setdefault(role, set()).add(state)
        if not by_role:
            continue
        if grants is None:
            grants = local_grants(principal)
        clause = _readable(principal, by_role, grants, on)
        if clause is not None:
            per_type.append(and_(on.type == name, clause))
    if not per_type:
        return false()
    return and_(or_(*per_type), _cleared(principal, on))


def _readable(principal: Principal, by_role: dict[str, set[str]],
              grants: dict[str, tuple[str, ...]], on: Target = ITEM):
    """SQL: the principal holds, on the row's item, some role of ``by_role`` allowed in the
    item's state; None when they hold none of those roles anywhere."""
    everywhere: set[str] = set()
    at_place: dict[str, set[str]] = {}
    owner: set[str] = set()
    at_path: dict[str, set[str]] = {}
    many: dict[str, set[str]] = {}   # roles granted on too many items for literal prefixes
    for role, states in by_role.items():
        places = {place for r, place in principal.roles if r == role}
        if None in places:
            everywhere |= states
            continue
        for place in places:
            at_place.setdefault(place, set()).update(states)
        if role == OWNER and principal.user_id is not None:
            owner |= states
        paths = grants.get(role, ())
        if len(paths) > MAX_LITERAL_GRANTS or not all(_PATH.match(p) for p in paths):
            many[role] = states
            continue
        for path in paths:
            at_path.setdefault(path, set()).update(states)
    options = []
    if everywhere:
        options.append(on.state.in_(sorted(everywhere)))

    def grouped(by_key: dict[str, set[str]]) -> dict[tuple[str, ...], list[str]]:
        out: dict[tuple[str, ...], list[str]] = {}
        for key, states in sorted(by_key.items()):
            rest = tuple(sorted(states - everywhere))
            if rest:
                out.setdefault(rest, []).append(key)
        return out

    for states, places in grouped(at_place).items():
        options.append(and_(on.state.in_(states), on.at_places(sorted(places))))
    rest = tuple(sorted(owner - everywhere))
    if rest:
        options.append(and_(on.state.in_(rest), on.owner_id == principal.user_id))
    for states, paths in grouped(at_path).items():
        kept = [p for p in paths if not any(p != q and p.startswith(q) for q in paths)]
        options.append(and_(on.state.in_(states),
                            or_(*(on.path.like(p + "%") for p in kept))))
    for role, states in sorted(many.items()):
        rest = tuple(sorted(states - everywhere))
        if rest:
            options.append(and_(on.state.in_(rest), _granted_exists(principal, role, on)))
    return or_(*options) if options else None


def _cleared(principal: Principal, on: Target = ITEM):
    if not principal.clearances:
        return on.restricted.is_(False)
    return or_(on.restricted.is_(False), on.at_places(sorted(principal.clearances)))


_ANCESTOR = []


def _ancestor():
    """The alias of the item holding a local role, built once: aliasing a polymorphic mapper
    is costly, and every permission filter of every list asks for it."""
    if not _ANCESTOR:
        _ANCESTOR.append(aliased(Item, name="local_role_item"))
    return _ANCESTOR[0]


def _granted_exists(principal: Principal, role: str, on: Target = ITEM):
    """SQL: ``role`` is granted to the principal on the row's item or an ancestor (asked per
    row; used only for a user holding a role on very many items)."""
    anc = _ancestor()
    return exists(
        select(literal(1)).select_from(LocalRole).join(anc, anc.id == LocalRole.item_id)
        .where(LocalRole.principal.in_(principal.principals), LocalRole.role == role,
               on.path.startswith(anc.path)))


# -- sharing -------------------------------------------------------------------------------------

def grant(item: Item, principal: str, role: str, by) -> LocalRole:
    """Grant a local role on ``item`` (and so on its contents). Idempotent. Flushes."""
    from .audit import record

    _check_principal(principal)
    if not role or not isinstance(role, str):
        raise SharingError(_("Choose a role to grant."))
    existing = db.session.execute(select(LocalRole).where(
        LocalRole.item_id == item.id, LocalRole.principal == principal,
        LocalRole.role == role)).scalar_one_or_none()
    if existing is not None:
        return existing
    row = LocalRole(item_id=item.id, principal=principal, role=role,
                    granted_by_id=getattr(by, "id", None))
    db.session.add(row)
    db.session.flush()
    record("grant", actor=by, item=item, detail={"principal": principal, "role": role})
    forget_principals()
    return row


def revoke(item: Item, principal: str, role: str, by) -> bool:
    """Remove a local role granted on ``item`` itself; True if there was one. Flushes."""
    from .audit import record

    row = db.session.execute(select(LocalRole).where(
        LocalRole.item_id == item.id, LocalRole.principal == principal,
        LocalRole.role == role)).scalar_one_or_none()
    if row is None:
        return False
    db.session.delete(row)
    db.session.flush()
    record("revoke", actor=by, item=item, detail={"principal": principal, "role": role})
    forget_principals()
    return True


def _check_principal(principal: str) -> None:
    kind, _sep, name = (principal or "").partition(":")
    if kind not in ("user", "group") or not name or (kind == "user" and not name.isdigit()):
        raise SharingError(_("A principal is written user:<id> or group:<name>, not %(value)s.",
                             value=principal or "''"))


def local_roles(item: Item) -> list[tuple[LocalRole, Item]]:
    """Local roles that apply to ``item``: granted on it or inherited, with the granting item."""
    ids = [*item.ancestor_ids, item.id]
    rows = db.session.execute(select(LocalRole, Item).join(Item, Item.id == LocalRole.item_id)
                              .where(LocalRole.item_id.in_(ids))
                              .order_by(Item.path, LocalRole.principal, LocalRole.role)).all()
    return [(lr, it) for lr, it in rows]


@dataclass(frozen=True)
class AccessRow:
    """One reason someone can see an item: ``source`` is global, owner, local or inherited."""

    principal: str
    role: str
    source: str
    where: str | None = None
    from_item: Item | None = None
    permissions: tuple[str, ...] = field(default_factory=tuple)


def explain_access(item: Item, permission: str = "view") -> dict:
    """Who holds ``permission`` on ``item`` and why, for the "who can see this" view.

    Returns ``{"roles": roles allowed in this state, "rows": [AccessRow], "restricted": bool,
    "clearance_places": places whose clearance is required}``.
    """
    workflow = current_engine().workflow_for(item)
    allowed = workflow.roles_for(item.state, permission)
    rows: list[AccessRow] = []
    perms_of = _permissions_by_role(workflow, item.state)
    for role in sorted(allowed - {OWNER}):
        rows.append(AccessRow(f"role:{role}", role, "global", None,
                              permissions=perms_of.get(role, ())))
        for place in sorted(item.places):
            rows.append(AccessRow(f"role:{role}", role, "global", place,
                                  permissions=perms_of.get(role, ())))
    if OWNER in allowed and item.owner_id is not None:
        rows.append(AccessRow(f"user:{item.owner_id}", OWNER, "owner",
                              permissions=perms_of.get(OWNER, ())))
    for lr, granted_on in local_roles(item):
        if lr.role in allowed:
            source = "local" if granted_on.id == item.id else "inherited"
            rows.append(AccessRow(lr.principal, lr.role, source, from_item=granted_on,
                                  permissions=perms_of.get(lr.role, ())))
    return {"roles": sorted(allowed), "rows": rows, "restricted": item.restricted,
            "clearance_places": sorted(item.places) if item.restricted else []}


def _permissions_by_role(workflow, state: str) -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    st = workflow.states.get(state)
    for perm, roles in (st.permissions.items() if st else ()):
        for role in roles:
            out.setdefault(role, []).append(perm)
    return {r: tuple(sorted(p)) for r, p in out.items()}
