"""Named guards of the appeal's and the material request's workflows (the TOML files name them).

Each is ``fn(item, actor, data) -> bool`` and its title says, for a refusal, what is missing.
Registered on import; reception.init_app imports this module before loading the workflows.
"""
from ..engine import engine
from ..engine.files import EngineFile


def _case(item, data):
    """The case view's rows of ``item`` (:class:`docflow.reception.case.Case`), when the caller
    read them and passed them as ``data["case"]`` (the appeal page asking which transitions to
    offer); None otherwise: the guards then read what they need themselves."""
    case = (data or {}).get("case")
    return case if case is not None and getattr(case, "appeal", None) is item else None


def _file(item, name: str, data=None):
    case = _case(item, data)
    if case is not None:
        from .case import current_version
        return current_version(case, name)
    from ..extensions import db
    file = db.session.execute(db.select(EngineFile).where(
        EngineFile.item_id == item.id, EngineFile.name == name)).scalar()
    return file.current if file is not None else None


@engine.condition("materials_complete",
                  "every required material is answered or waived with a reason (R26, R31)")
def materials_complete(item, actor, data) -> bool:
    from .materials import checklist_open
    case = _case(item, data)
    return not checklist_open(item, case.requests if case is not None else None)


@engine.condition("brief_attached", "the reference brief is generated and attached (R26)")
def brief_attached(item, actor, data) -> bool:
    return _file(item, "brief", data) is not None


@engine.condition("acting_for_head",
                  "you are the head, or a deputy under a recorded delegation from the head (R26)")
def acting_for_head(item, actor, data) -> bool:
    from .delegation import active_delegation
    roles = getattr(actor, "roles", None) or []
    if any(r.role == "head" and r.body_id == item.body_id for r in roles):
        return True
    return (any(r.role == "deputy" and r.body_id == item.body_id for r in roles)
            and active_delegation(actor, item.body_id) is not None)


@engine.condition("slot_chosen",
                  "a reception of the published schedule with room is chosen (R28)")
def slot_chosen(item, actor, data) -> bool:
    from .receptions import has_room, published_entry, today_in_venue
    entry = published_entry(item, (data or {}).get("entry_id"))
    return entry is not None and entry.date >= today_in_venue(item) and has_room(entry, item)


@engine.condition("reply_generated",
                  "the reply letter for this decision is generated (R29)")
def reply_generated(item, actor, data) -> bool:
    from .replies import _slot_at
    version = _file(item, "reply", data)
    meta = (version.meta or {}) if version is not None else {}
    if item.state == "refused":
        return meta.get("decision") == "refusal"
    # the letter must state the slot the appeal holds now (a queue move needs a new letter)
    case = _case(item, data)
    slot_at = _slot_at(item, case.placement if case is not None else ...)
    return meta.get("decision") == "slot" and slot_at is not None and meta.get("slot_at") == slot_at


@engine.condition("addressee_staff", "you work for the addressee of this request (R31)")
def addressee_staff(item, actor, data) -> bool:
    from .materials import is_addressee
    return getattr(actor, "roles", None) is not None and is_addressee(actor, item)
