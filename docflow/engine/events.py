"""Engine events: a blinker signal for listeners, and the declarative rules (rules.py).

Events: ``created`` (an item was created), ``transitioned`` (payload ``transition``,
``from_state``, ``to_state``, ``entry``), ``file_added`` (payload ``file``, ``version``),
``deadline_near`` (fired by the application's deadline sweep; payload ``deadline``). Every
emission carries a ``key`` naming this occurrence, so actions derived from it are idempotent.
"""
from blinker import Namespace

signals = Namespace()
#: sender: the item; kwargs: event (name), actor, key, and the event's payload.
item_event = signals.signal("docflow-engine-item-event")

EVENTS = ("created", "transitioned", "file_added", "deadline_near")


def emit(event: str, item, actor, *, key: str, **payload) -> None:
    """Run the matching rules (outbox writes in this transaction), then notify listeners."""
    from .rules import fire

    if event not in EVENTS:
        raise ValueError(f"Unknown engine event {event!r}; events: {', '.join(EVENTS)}.")
    fire(event, item, actor, key=key, **payload)
    item_event.send(item, event=event, actor=actor, key=key, **payload)
