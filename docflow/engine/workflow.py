"""Firing transitions: one function checks, applies, records history, audits and emits.

``transition(item, name, actor, comment=None, **data)`` refuses with a subclass of
:class:`TransitionRefused` whose message says what is missing (a role, a condition, the state,
an input) and lists the transitions the actor may fire now (Plone's lesson).
"""
from __future__ import annotations

from ..extensions import db
from .audit import record
from .content import Item, flush_item, touch, utcnow
from .core import current_engine
from .errors import ConditionRefused, DataRequired, RoleRefused, StateRefused
from .events import emit
from .history import HistoryEntry
from .i18n import _
from .security import roles_on

MIGRATION = "_migrate"  # the transition name history rows of a state migration carry


def _titles(names) -> str:
    return ", ".join(names) if names else _("none")


def check_state(item: Item):
    """The item's current State, or StateRefused if the (changed) workflow lacks it."""
    workflow = current_engine().workflow_for(item)
    state = workflow.states.get(item.state)
    if state is None:
        raise StateRefused(
            _("This item is in the state %(state)s, which the workflow %(workflow)s (version "
              "%(version)s) no longer defines. An administrator must move it to a current "
              "state.", state=item.state, workflow=workflow.id, version=workflow.version),
            transition="", allowed=[])
    return state


def _conditions_met(transition, item, actor, data) -> list:
    conditions = current_engine().conditions
    return [conditions[name] for name in transition.conditions
            if not conditions[name].func(item, actor, data)]


def allowed_transitions(item: Item, user, *, data: dict | None = None) -> list:
    """Transitions ``user`` may fire now: right state, a role allowed, conditions met."""
    workflow = current_engine().workflow_for(item)
    if item.state not in workflow.states:
        return []
    roles = roles_on(user, item)
    return [t for t in workflow.transitions_from(item.state)
            if roles & t.roles and not _conditions_met(t, item, user, data or {})]


def transition(item: Item, name: str, actor, comment: str | None = None,
               **data) -> HistoryEntry:
    """Fire transition ``name`` on ``item`` as ``actor``. Flushes, never commits."""
    workflow = current_engine().workflow_for(item)
    check_state(item)
    allowed = [t.id for t in allowed_transitions(item, actor, data=data)]
    t = workflow.transitions.get(name)
    if t is None:
        raise StateRefused(_("There is no transition %(name)s in the workflow %(workflow)s. "
                             "Transitions you may fire now: %(allowed)s.", name=name,
                             workflow=workflow.id, allowed=_titles(allowed)),
                           transition=name, allowed=allowed)
    if item.state not in t.from_states:
        raise StateRefused(_("The transition %(name)s cannot be fired from the state "
                             "%(state)s (only from %(from)s). Transitions you may fire now: "
                             "%(allowed)s.", name=t.id, state=item.state,
                             **{"from": _titles(t.from_states)}, allowed=_titles(allowed)),
                           transition=name, allowed=allowed)
    held = roles_on(actor, item)
    if not held & t.roles:
        raise RoleRefused(_("The transition %(name)s needs one of the roles %(roles)s; you "
                            "hold %(held)s here. Transitions you may fire now: %(allowed)s.",
                            name=t.id, roles=_titles(sorted(t.roles)),
                            held=_titles(sorted(held)), allowed=_titles(allowed)),
                          transition=name, allowed=allowed)
    failed = _conditions_met(t, item, actor, data)
    if failed:
        raise ConditionRefused(_("The transition %(name)s is not possible yet: %(condition)s. "
                                 "Transitions you may fire now: %(allowed)s.", name=t.id,
                                 condition="; ".join(_(c.title) for c in failed),
                                 allowed=_titles(allowed)),
                               transition=name, allowed=allowed)
    inputs = {"comment": comment, **data}
    for field in t.requires:
        value = inputs.get(field)
        if value is None or (isinstance(value, str) and not value.strip()):
            raise DataRequired(_("The transition %(name)s needs %(field)s: please fill it in.",
                                 name=t.id, field=field),
                               transition=name, allowed=allowed, field=field)
    return _apply(item, t.id, item.state, t.to_state, actor, comment, data, workflow)


def _apply(item, name, from_state, to_state, actor, comment, data, workflow) -> HistoryEntry:
    item.state = to_state
    touch(item, actor)
    entry = HistoryEntry(item_id=item.id, at=utcnow(), actor_id=getattr(actor, "id", None),
                         transition=name, from_state=from_state, to_state=to_state,
                         comment=(comment or None), data=_jsonable(data) or None,
                         workflow_id=workflow.id, workflow_version=workflow.version)
    db.session.add(entry)
    flush_item(item)
    record("transition", actor=actor, item=item,
           detail={"transition": name, "from": from_state, "to": to_state})
    if name != MIGRATION:
        emit("transitioned", item, actor, key=f"transitioned:{entry.id}", transition=name,
             from_state=from_state, to_state=to_state, entry=entry)
    return entry


def _jsonable(data: dict) -> dict:
    return {k: v if isinstance(v, (str, int, float, bool, type(None), list, dict)) else str(v)
            for k, v in data.items()}


def history(item: Item) -> list[HistoryEntry]:
    """The item's transitions, oldest first."""
    return list(db.session.execute(db.select(HistoryEntry).where(HistoryEntry.item_id == item.id)
                                   .order_by(HistoryEntry.id)).scalars())


def replay(item: Item) -> str:
    """The state the history leads to from the initial state; raises if a row does not follow."""
    rows = history(item)
    state = current_engine().workflow_for(item).initial
    for row in rows:
        if row.from_state != state:
            raise ValueError(f"history row {row.id} leaves {row.from_state!r}, not {state!r}")
        state = row.to_state
    return state


def orphaned(type_name: str):
    """A select of items of ``type_name`` whose state the current workflow does not define."""
    workflow = current_engine().workflow_for(type_name)
    return db.select(Item).where(Item.type == type_name,
                                 Item.state.not_in(sorted(workflow.states)))


def migrate_states(type_name: str, mapping: dict[str, str], actor,
                   comment: str | None = None) -> int:
    """Move items in states the workflow no longer has, per ``mapping`` (old -> new state).

    Each move is a history row (transition ``_migrate``) so the history still replays.
    Returns how many items moved. Flushes, never commits.
    """
    workflow = current_engine().workflow_for(type_name)
    unknown = sorted(v for v in mapping.values() if v not in workflow.states)
    if unknown:
        raise ValueError(f"Target state(s) {', '.join(unknown)} are not in the workflow "
                         f"{workflow.id!r} (states: {', '.join(workflow.states)}).")
    moved = 0
    for item in db.session.execute(orphaned(type_name)).scalars().all():
        if item.state in mapping:
            _apply(item, MIGRATION, item.state, mapping[item.state], actor,
                   comment or f"state migration to workflow version {workflow.version}", {},
                   workflow)
            moved += 1
    return moved
