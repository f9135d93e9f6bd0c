"""Who may start a survey round — the one check made before any survey item exists.

Everything about a task (who sees it, who records its outcome) is the survey_task workflow's
permission map and transition roles, checked by the engine's ``can`` and ``transition``.
"""
from ..engine.security import principal_for
from ..reference.models import Venue

STARTERS = frozenset({"head", "admin"})


def venue_places(venue: Venue) -> set[str]:
    """A venue's place; a reception room's also its body's (its head works there)."""
    places = {f"venue:{venue.id}"}
    if venue.kind == "reception_room" and venue.body_id is not None:
        places.add(f"body:{venue.body_id}")
    return places


def may_start_round(user, venue: Venue | None) -> bool:
    """An administrator, for one venue or all; a head, for a venue where they hold the role
    (held at the venue, or at the body that owns a reception room)."""
    principal = principal_for(user)
    if any(role == "admin" and place is None for role, place in principal.roles):
        return True
    return venue is not None and bool(principal.roles_at(venue_places(venue)) & STARTERS)


def may_see_rounds(user) -> bool:
    return any(role in STARTERS for role, _place in principal_for(user).roles)
