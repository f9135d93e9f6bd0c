"""What each role sees first: its start page's title and the work waiting for it."""
from flask_babel import lazy_gettext as _l

START_PAGES = {
    "registrar": (_l("Intake desk"), _l("Register paper and hand-delivered appeals the day they arrive (R25).")),
    "call_center": (_l("Call-center intake"), _l("Record oral and call-center appeals while you talk to the applicant (R4).")),
    "responsible": (_l("My worklist"), _l("Review appeals, request materials and prepare reference briefs (R26).")),
    "head": (_l("Decisions awaiting you"), _l("Approve a reception date or refuse, from the reference brief (R26).")),
    "deputy": (_l("Decisions awaiting you"), _l("Approve a reception date or refuse, from the reference brief (R26).")),
    "legal_consultant": (_l("Cases shared with me"), _l("Help applicants draw up additional appeals and documents (R17).")),
    "psychologist": (_l("Cases shared with me"), _l("Help applicants draw up additional appeals and documents (R17).")),
    "social_worker": (_l("Cases shared with me"), _l("Help applicants draw up additional appeals and documents (R17).")),
    "volunteer": (_l("Reception day help"), _l("Volunteers help only on the days their venue holds receptions (R17).")),
    "division": (_l("Material requests"), _l("Answer the material requests addressed to your division; they are mandatory (R31).")),
    "other_body": (_l("Invitations to receptions"), _l("Cases that concern your body's competence (R18).")),
    "government_office": (_l("Schedules and reports"), _l("Approve monthly reception schedules (R7-1) and receive quarterly reports (R40).")),
    "integration": (_l("API access"), _l("This account is for another system using the API v1.")),
    "admin": (_l("Administration"), _l("Users, reference data, the calendar and background jobs.")),
}


# The page each role works in first: (endpoint, label) or (endpoint, label, URL arguments); more
# arrive with each area.
START_LINKS = {
    "registrar": [("reception.intake", _l("Register an appeal")),
                  ("schedules.index", _l("Reception schedules"))],
    "call_center": [("reception.call_center", _l("Record a call"))],
    "responsible": [("reception.worklist", _l("Open my worklist")),
                    ("search.search", _l("Search appeals")),
                    ("search.dashboard", _l("My saved searches")),
                    ("schedules.index", _l("Reception schedules"))],
    # R26: the reference briefs waiting for the head's or the deputy's decision
    "head": [("search.search", _l("Appeals awaiting your decision"), {"f_state": "brief_ready"})],
    "deputy": [("search.search", _l("Appeals awaiting your decision"), {"f_state": "brief_ready"})],
    "government_office": [("schedules.approvals", _l("Schedules awaiting approval"))],
    "admin": [("reference.bodies", _l("Reference data")),
              ("calendar_admin.index", _l("Working-day calendar"))],
}


def start_page(role: str | None) -> tuple[str, str]:
    title, text = START_PAGES.get(role or "", (_l("Welcome"), _l("No role has been given to you yet.")))
    return str(title), str(text)
