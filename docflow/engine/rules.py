"""Content rules: events mapped to actions, declared as data (IMIO's and Plone's content rules).

A rules file holds ``[[rule]]`` tables::

    [[rule]]
    id = "memo-sent-archive"          # unique; part of every outbox key
    event = "transitioned"            # created | transitioned | file_added | deadline_near
    type = "memo"                     # optional: only this content type
    from = "signed"                   # optional (transitioned): only from / to these states
    to = "sent"
    action = "enqueue"                # enqueue | notify | email
    job = "workers.tasks.record_ping" # enqueue: job(item_uid), its dotted path, and queue
    queue = "default"
    # notify / email: who — global roles at the item's places, local roles, the owner
    roles = ["head"]
    local_roles = ["reader"]
    owner = true
    text = "The memo %(title)s was sent."   # notify: an English msgid, translated when shown
    template = "item_event"                  # email: templates/engine/mail/<template>.txt

Actions run inside the caller's transaction: outbox rows (``docflow.jobs.enqueue``) and
notification rows commit or roll back with the change that caused them, and each carries a key
derived from the rule and the event occurrence, so a repeated event never acts twice.
"""
from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from pathlib import Path

from ..extensions import db
from ..jobs import enqueue
from .content import utcnow
from .core import current_engine
from .definition import DefinitionError
from .events import EVENTS
from .i18n import _

ACTIONS = ("enqueue", "notify", "email")


@dataclass(frozen=True)
class Rule:
    id: str
    event: str
    action: str
    type: str | None = None
    from_states: tuple[str, ...] = ()
    to_states: tuple[str, ...] = ()
    job: str | None = None
    queue: str = "default"
    roles: tuple[str, ...] = ()
    local_roles: tuple[str, ...] = ()
    owner: bool = False
    text: str = ""
    template: str | None = None

    def matches(self, event: str, item, payload: dict) -> bool:
        if event != self.event or (self.type and item.type != self.type):
            return False
        if self.from_states and payload.get("from_state") not in self.from_states:
            return False
        return not (self.to_states and payload.get("to_state") not in self.to_states)


class Notification(db.Model):
    """An in-app notification; ``key`` makes the same event notify a user only once."""

    __tablename__ = "engine_notification"

    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False,
                        index=True)
    item_id = db.Column(db.ForeignKey("engine_item.id", ondelete="CASCADE"), nullable=True,
                        index=True)
    text = db.Column(db.Text, nullable=False)
    params = db.Column(db.JSON, nullable=True)
    key = db.Column(db.String(200), nullable=False, unique=True)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    read_at = db.Column(db.DateTime, nullable=True)

    def render(self) -> str:
        """The text in the reader's language (msgid + params, translated when shown)."""
        return _(self.text, **(self.params or {}))


_KEYS = {"id", "event", "action", "type", "from", "to", "job", "queue", "roles", "local_roles",
         "owner", "text", "template"}


def load_rules(path: str | Path, *, known_types=None) -> list[Rule]:
    """Read and validate a rules file; errors name the file and the rule."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise DefinitionError(f"{path}: cannot read the rules ({exc}).") from None
    rules, seen = [], set()
    for index, body in enumerate(data.get("rule", []), start=1):
        where = f"{path}: rule #{index} ({body.get('id', '?')!r})"
        unknown = sorted(set(body) - _KEYS)
        if unknown:
            raise DefinitionError(f"{where} has unknown key(s) {', '.join(unknown)}.")
        for key in ("id", "event", "action"):
            if key not in body:
                raise DefinitionError(f"{where}: the key {key!r} is missing.")
        if body["id"] in seen:
            raise DefinitionError(f"{where}: the id is used twice.")
        seen.add(body["id"])
        if body["event"] not in EVENTS:
            raise DefinitionError(f"{where}: unknown event {body['event']!r} "
                                  f"(events: {', '.join(EVENTS)}).")
        if body["action"] not in ACTIONS:
            raise DefinitionError(f"{where}: unknown action {body['action']!r} "
                                  f"(actions: {', '.join(ACTIONS)}).")
        if known_types is not None and body.get("type") and body["type"] not in known_types:
            raise DefinitionError(f"{where}: unknown content type {body['type']!r}.")
        if body["action"] == "enqueue" and not body.get("job"):
            raise DefinitionError(f"{where}: an enqueue action needs 'job'.")
        if body["action"] == "email" and not body.get("template"):
            raise DefinitionError(f"{where}: an email action needs 'template'.")
        if body["action"] in ("notify", "email") and not (
                body.get("roles") or body.get("local_roles") or body.get("owner")):
            raise DefinitionError(f"{where}: say who: 'roles', 'local_roles' or 'owner'.")
        if body["action"] == "notify" and not body.get("text"):
            raise DefinitionError(f"{where}: a notify action needs 'text'.")
        rules.append(Rule(
            id=body["id"], event=body["event"], action=body["action"], type=body.get("type"),
            from_states=_tuple(body.get("from")), to_states=_tuple(body.get("to")),
            job=body.get("job"), queue=body.get("queue", "default"),
            roles=_tuple(body.get("roles")), local_roles=_tuple(body.get("local_roles")),
            owner=bool(body.get("owner")), text=body.get("text", ""),
            template=body.get("template")))
    return rules


def _tuple(value) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def outbox_key(rule: Rule, event_key: str, suffix: str = "") -> str:
    """Deterministic, at most 200 characters (the outbox column), from rule and occurrence."""
    raw = f"rule:{rule.id}:{event_key}{':' + suffix if suffix else ''}"
    return raw if len(raw) <= 200 else "rule:" + hashlib.sha256(raw.encode()).hexdigest()


def fire(event: str, item, actor, *, key: str, **payload) -> int:
    """Run every rule matching the event; returns how many matched."""
    matched = 0
    for rule in current_engine().rules:
        if rule.matches(event, item, payload):
            matched += 1
            ACTION_FUNCS[rule.action](rule, item, actor, key, payload)
    return matched


def recipients(rule: Rule, item) -> list[int]:
    """User ids the rule addresses: role holders at the item's places, local roles, owner."""
    from .security import LocalRole

    ids: set[int] = set()
    if rule.roles:
        ids |= current_engine().holders_of(rule.roles, item.places)
    if rule.local_roles:
        rows = db.session.execute(db.select(LocalRole.principal).where(
            LocalRole.item_id.in_([*item.ancestor_ids, item.id]),
            LocalRole.role.in_(rule.local_roles))).scalars()
        ids |= {int(p.split(":", 1)[1]) for p in rows if p.startswith("user:")}
    if rule.owner and item.owner_id is not None:
        ids.add(item.owner_id)
    return sorted(ids)


def _context(item, payload: dict) -> dict:
    return {"title": item.title, "uid": item.uid, "type": item.type, "state": item.state,
            **{k: v for k, v in payload.items() if isinstance(v, (str, int, float, bool))}}


def _enqueue(rule: Rule, item, actor, key: str, payload: dict) -> None:
    # The job gets the item's uid only: it loads the item itself, in its own session, so it
    # acts on the state as it is when it runs, not as it was when enqueued.
    enqueue(rule.job, item.uid, queue=rule.queue, key=outbox_key(rule, key),
            title=f"{rule.id}: {item.title}"[:200])


def _notify(rule: Rule, item, actor, key: str, payload: dict) -> None:
    for user_id in recipients(rule, item):
        note_key = outbox_key(rule, key, f"user:{user_id}")
        exists = db.session.execute(db.select(Notification.id)
                                    .where(Notification.key == note_key)).first()
        if not exists:
            db.session.add(Notification(user_id=user_id, item_id=item.id, text=rule.text,
                                        params=_context(item, payload), key=note_key))
    db.session.flush()


def _email(rule: Rule, item, actor, key: str, payload: dict) -> None:
    from ..auth.models import User

    users = db.session.execute(db.select(User).where(User.id.in_(recipients(rule, item)),
                                                     User.email.is_not(None))).scalars()
    for user in users:
        job_key = outbox_key(rule, key, f"mail:{user.id}")
        enqueue("docflow.engine.mail.send_email", queue="default", key=job_key,
                title=f"e-mail {rule.template} to {user.login}"[:200], to=user.email,
                template=rule.template, language=user.language,
                context=_context(item, payload), message_key=job_key)


ACTION_FUNCS = {"enqueue": _enqueue, "notify": _notify, "email": _email}


def notifications_for(user, unread_only: bool = True):
    stmt = db.select(Notification).where(Notification.user_id == user.id)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    return stmt.order_by(Notification.id.desc())
