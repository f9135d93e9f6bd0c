"""Who may start a schedule at a venue — the one check made before an engine item exists.

Everything after that (editing entries, submit, approve, publish) is the workflow's permission
map and transition roles, checked by the engine's ``can`` and ``transition``.
"""
from ..engine.security import principal_for
from ..reference.models import Venue

PREPARERS = frozenset({"registrar", "responsible", "admin"})


def schedule_places(venue: Venue) -> set[str]:
    """A schedule lives at its venue; a reception room's also at the body that owns it, so the
    body's responsible employees prepare the room's schedule."""
    places = {f"venue:{venue.id}"}
    if venue.kind == "reception_room" and venue.body_id is not None:
        places.add(f"body:{venue.body_id}")
    return places


def may_prepare(user, venue: Venue) -> bool:
    return bool(principal_for(user).roles_at(schedule_places(venue)) & PREPARERS)
