"""Workflow definitions as data: one readable TOML file per workflow, validated at load.

A definition (compare Plone's DCWorkflow ``definition.xml``, without code in the data)::

    id = "memo"
    title = "Internal memo"
    initial = "draft"

    [states.draft]
    title = "Draft"
    [states.draft.permissions]
    view = ["author", "signer"]
    edit = ["author"]
    "edit:body" = ["author"]          # field-level write; falls back to "edit" when absent

    [[transitions]]
    id = "sign"
    title = "Sign"
    from = ["draft"]
    to = "signed"
    roles = ["signer"]
    conditions = ["has_body"]         # names registered with engine.condition(...)
    requires = ["comment"]            # input the transition needs

The version is a hash of the file's bytes; history rows store it with the names they used.
"""
from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Container
from dataclasses import dataclass, field
from pathlib import Path

PERMISSIONS = frozenset({"view", "edit", "add_files", "comment", "manage_sharing", "delete"})
_PERMISSION_RE = re.compile(r"^(?P<base>[a-z_]+)(?::(?P<field>[a-z_][a-z0-9_]*))?$")
_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")


class DefinitionError(ValueError):
    """A workflow or rules file is not valid; the message names the file and the place."""


@dataclass(frozen=True)
class State:
    id: str
    title: str
    permissions: dict[str, frozenset[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Transition:
    id: str
    title: str
    from_states: tuple[str, ...]
    to_state: str
    roles: frozenset[str]
    conditions: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()


@dataclass(frozen=True)
class WorkflowDefinition:
    id: str
    title: str
    initial: str
    states: dict[str, State]
    transitions: dict[str, Transition]
    version: str
    source: str

    def roles_for(self, state: str, permission: str) -> frozenset[str]:
        """Roles holding ``permission`` in ``state``; ``edit:x`` falls back to ``edit``."""
        check_permission_name(permission)
        st = self.states.get(state)
        if st is None:
            return frozenset()
        if permission in st.permissions:
            return st.permissions[permission]
        base = permission.split(":", 1)[0]
        return st.permissions.get(base, frozenset())

    def transitions_from(self, state: str) -> list[Transition]:
        return [t for t in self.transitions.values() if state in t.from_states]

    @property
    def final_states(self) -> frozenset[str]:
        """The states no transition leaves: a case there is finished."""
        return frozenset(self.states) - {s for t in self.transitions.values()
                                         for s in t.from_states}

    @property
    def roles(self) -> frozenset[str]:
        """Every role the definition mentions (permission maps and transitions)."""
        out: set[str] = set()
        for st in self.states.values():
            for roles in st.permissions.values():
                out |= roles
        for t in self.transitions.values():
            out |= t.roles
        return frozenset(out)


def check_permission_name(permission: str) -> None:
    """Unknown permission names are refused loudly (Indico's lesson), never silently false."""
    match = _PERMISSION_RE.match(permission or "")
    if not match or match.group("base") not in PERMISSIONS:
        raise DefinitionError(f"Unknown permission {permission!r}; permissions are "
                              f"{', '.join(sorted(PERMISSIONS))}, and edit:<field>.")


def load_workflow(path: str | Path, *, conditions: Container[str]) -> WorkflowDefinition:
    """Read and validate a workflow file."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DefinitionError(f"{path}: cannot read the workflow file ({exc.strerror}).") from None
    return parse_workflow(raw, source=str(path), conditions=conditions)


def parse_workflow(raw: bytes | str, *, source: str,
                   conditions: Container[str]) -> WorkflowDefinition:
    """Parse TOML text into a definition; every error names ``source`` and the broken place."""
    raw_bytes = raw.encode() if isinstance(raw, str) else raw
    try:
        data = tomllib.loads(raw_bytes.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise DefinitionError(f"{source}: not valid TOML ({exc}).") from None

    def fail(message: str):
        raise DefinitionError(f"{source}: {message}")

    _only_keys(data, {"id", "title", "initial", "states", "transitions"}, "the file", fail)
    for key in ("id", "initial", "states"):
        if key not in data:
            fail(f"the key {key!r} is missing.")
    wf_id = data["id"]
    if not isinstance(wf_id, str) or not _NAME_RE.match(wf_id):
        fail(f"the id {wf_id!r} must be lower-case letters, digits and '_'.")
    states = {sid: _state(sid, body, fail) for sid, body in data["states"].items()}
    if data["initial"] not in states:
        fail(f"the initial state {data['initial']!r} is not among the states "
             f"({', '.join(states)}).")
    transitions: dict[str, Transition] = {}
    for index, body in enumerate(data.get("transitions", []), start=1):
        t = _transition(index, body, states, conditions, fail)
        if t.id in transitions:
            fail(f"the transition {t.id!r} is defined twice.")
        transitions[t.id] = t
    reachable = _reachable(data["initial"], transitions.values())
    unreachable = [s for s in states if s not in reachable]
    if unreachable:
        fail(f"the state(s) {', '.join(map(repr, unreachable))} cannot be reached from the "
             f"initial state {data['initial']!r}.")
    return WorkflowDefinition(
        id=wf_id, title=str(data.get("title", wf_id)), initial=data["initial"], states=states,
        transitions=transitions, version=hashlib.sha256(raw_bytes).hexdigest()[:16],
        source=source)


def _only_keys(table: dict, allowed: set[str], where: str, fail) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        fail(f"{where} has unknown key(s) {', '.join(unknown)} "
             f"(allowed: {', '.join(sorted(allowed))}).")


def _roles(value, where: str, fail) -> frozenset[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(r, str) and r for r in value):
        fail(f"{where} must be a list of role names.")
    return frozenset(value)


def _state(sid: str, body: dict, fail) -> State:
    if not _NAME_RE.match(sid):
        fail(f"the state id {sid!r} must be lower-case letters, digits and '_'.")
    _only_keys(body, {"title", "permissions"}, f"state {sid!r}", fail)
    permissions = {}
    for perm, roles in body.get("permissions", {}).items():
        try:
            check_permission_name(perm)
        except DefinitionError as exc:
            fail(f"state {sid!r}: {exc}")
        permissions[perm] = _roles(roles, f"state {sid!r} permission {perm!r}", fail)
    return State(sid, str(body.get("title", sid)), permissions)


def _transition(index: int, body: dict, states: dict, conditions: Container[str],
                fail) -> Transition:
    where = f"transition #{index} ({body.get('id', '?')!r})"
    _only_keys(body, {"id", "title", "from", "to", "roles", "conditions", "requires"}, where,
               fail)
    for key in ("id", "from", "to", "roles"):
        if key not in body:
            fail(f"{where}: the key {key!r} is missing.")
    tid = body["id"]
    if not isinstance(tid, str) or not _NAME_RE.match(tid):
        fail(f"{where}: the id must be lower-case letters, digits and '_'.")
    from_states = body["from"] if isinstance(body["from"], list) else [body["from"]]
    for s in [*from_states, body["to"]]:
        if s not in states:
            fail(f"transition {tid!r} names the unknown state {s!r} "
                 f"(states: {', '.join(states)}).")
    names = list(body.get("conditions", []))
    for name in names:
        if name not in conditions:
            known = ", ".join(sorted(conditions)) if hasattr(conditions, "__iter__") else ""
            fail(f"transition {tid!r} names the condition {name!r}, which is not registered "
                 f"(registered: {known or 'none'}); register it with engine.condition() first.")
    return Transition(tid, str(body.get("title", tid)), tuple(from_states), body["to"],
                      _roles(body["roles"], f"transition {tid!r} roles", fail), tuple(names),
                      tuple(body.get("requires", [])))


def _reachable(initial: str, transitions) -> set[str]:
    seen, frontier = {initial}, [initial]
    transitions = list(transitions)
    while frontier:
        state = frontier.pop()
        for t in transitions:
            if state in t.from_states and t.to_state not in seen:
                seen.add(t.to_state)
                frontier.append(t.to_state)
    return seen
