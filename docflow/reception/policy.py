"""Who may do what outside an item's workflow: registering at a venue (R4), restricted data.

Per-item permissions are the engine's ``can`` (state x roles); this module covers acts that
happen before there is an item.
"""
from ..engine.security import principal_for

INTAKE_ROLES = frozenset({"registrar", "call_center", "integration", "admin"})


def may_register(user, venue) -> bool:
    """R4: the venue's registrars and call-center operators, integration clients, admins."""
    principal = principal_for(user)
    return any(role in INTAKE_ROLES and place in (None, f"venue:{venue.id}")
               for role, place in principal.roles)


def may_reassign(user, appeal) -> bool:
    """Heads and administrators, and the responsible employees who may work on the appeal."""
    from ..engine.security import can

    return user.has_role("head", "admin") or (
        user.has_role("responsible") and can(user, "edit", appeal))
