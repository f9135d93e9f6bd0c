"""How docflow's users look to the engine: roles held at places, and R11 clearances.

A role held at a venue applies at the place ``venue:<id>``, one held at a body at ``body:<id>``,
one held at neither (admin, the Office of the Government, integration clients) everywhere.
``cleared_restricted`` clears the user for restricted appeals at that venue (R11).
"""
from ..engine import engine
from ..engine.security import Principal
from ..extensions import db
from .models import RoleAssignment


def place_of(assignment: RoleAssignment) -> str | None:
    if assignment.venue_id is not None:
        return f"venue:{assignment.venue_id}"
    if assignment.body_id is not None:
        return f"body:{assignment.body_id}"
    return None


@engine.principal_loader
def load_principal(user) -> Principal:
    roles = set()
    clearances = set()
    for a in user.roles:
        roles.add((a.role, place_of(a)))
        if a.venue_id is not None and a.body_id is not None:
            roles.add((a.role, f"body:{a.body_id}"))
        if a.cleared_restricted and a.venue_id is not None:
            clearances.add(f"venue:{a.venue_id}")
    return Principal(user.id, frozenset(roles), frozenset(clearances))


@engine.role_holders
def role_holders(roles: set[str], places: set[str]):
    """User ids holding one of ``roles`` at one of ``places`` or everywhere (for notifications)."""
    venue_ids = [int(p.split(":")[1]) for p in places if p.startswith("venue:")]
    body_ids = [int(p.split(":")[1]) for p in places if p.startswith("body:")]
    scope = db.or_(RoleAssignment.venue_id.in_(venue_ids), RoleAssignment.body_id.in_(body_ids),
                   db.and_(RoleAssignment.venue_id.is_(None), RoleAssignment.body_id.is_(None)))
    return db.session.execute(db.select(RoleAssignment.user_id).distinct()
                              .where(RoleAssignment.role.in_(roles), scope)).scalars().all()
