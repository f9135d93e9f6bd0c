"""The role identifiers (contract, DESIGN §5) and their names for people."""
from flask_babel import lazy_gettext as _l

ROLES = {
    "registrar": _l("Registrar"),
    "call_center": _l("Call-center operator"),
    "responsible": _l("Responsible employee"),
    "head": _l("Head"),
    "deputy": _l("Deputy head"),
    "legal_consultant": _l("Legal consultant"),
    "psychologist": _l("Psychologist"),
    "social_worker": _l("Social worker"),
    "volunteer": _l("Volunteer"),
    "division": _l("Division employee"),
    "other_body": _l("Other body representative"),
    "government_office": _l("Office of the Government"),
    "integration": _l("Integration client"),
    "admin": _l("Administrator"),
}

# Where a role is held: at a venue, at a body, or either / nowhere in particular.
HELD_AT_VENUE = {"registrar", "call_center", "legal_consultant", "psychologist",
                 "social_worker", "volunteer"}
HELD_AT_BODY = {"responsible", "head", "deputy", "division", "other_body"}


def role_label(role: str) -> str:
    return str(ROLES.get(role, role))
