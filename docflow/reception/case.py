"""The appeal's page (the case view) read in a few statements, whatever the case holds (issue 11).

The page shows the appeal with its venue, body, official and responsible employee, the deadline
explanation, the history with who did what, the documents, the material requests with their
addressees, the reception (placement, record, proposal), the helpers and the invited bodies. Asked
one by one (``history()``, ``files_of()``, ``requests_of()``, ``reception_of()`` …) that is twenty
statements or more, most of them finding nothing: a case rarely has a placement, an invitation or
a helper. Here:

1. ONE statement reads the appeal, its places (for the permission check), venue, body, official
   and responsible employee, the calendar's overrides stamp (``current_calendar``), and for each
   section whether it has any row (``EXISTS``);
2. one statement per section that has rows, each with what the page prints of it loaded along
   (the history's actors, the requests' addressees); sections without rows cost nothing.

The permission check is :func:`docflow.engine.security.can` on the loaded appeal; the sections'
values (the reception's local time, the brief's due date, the current reply) come from the
functions of their own modules, given the rows read here.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import String, cast, exists, literal, select
from sqlalchemy.orm import joinedload, lazyload

from ..auth.models import User
from ..calendar.store import current_calendar, overrides_stamp
from ..engine.files import EngineFile, FileVersion
from ..engine.history import HistoryEntry
from ..engine.security import LocalRole, can
from ..extensions import db
from .briefs import BriefProposal, proposal_of
from .materials import MaterialRequest
from .models import Appeal
from .receptions import Invitation, Placement, ReceptionRecord

#: The sections of the page whose rows are read only when the appeal has some: name -> a
#: correlated ``EXISTS`` on the appeal's id.
SECTIONS = {
    "history": lambda: exists(select(literal(1)).where(HistoryEntry.item_id == Appeal.id)),
    "files": lambda: exists(select(literal(1)).where(EngineFile.item_id == Appeal.id)),
    "requests": lambda: exists(select(literal(1)).where(
        MaterialRequest.__table__.c.appeal_id == Appeal.id)),
    "placement": lambda: exists(select(literal(1)).where(Placement.appeal_id == Appeal.id)),
    "record": lambda: exists(select(literal(1)).where(ReceptionRecord.appeal_id == Appeal.id)),
    "proposal": lambda: exists(select(literal(1)).where(BriefProposal.appeal_id == Appeal.id)),
    "helpers": lambda: exists(select(literal(1)).where(LocalRole.item_id == Appeal.id,
                                                       LocalRole.role == "helper")),
    "invitations": lambda: exists(select(literal(1)).where(Invitation.appeal_id == Appeal.id)),
}


@dataclass
class Case:
    """An appeal and what its page shows of it, read by :func:`load_case`."""

    appeal: Appeal
    history: list[HistoryEntry] = field(default_factory=list)
    files: list[EngineFile] = field(default_factory=list)
    requests: list[MaterialRequest] = field(default_factory=list)
    placement: Placement | None = None
    record: ReceptionRecord | None = None
    proposal: BriefProposal | None = None
    helpers: list[User] = field(default_factory=list)
    invitations: list[Invitation] = field(default_factory=list)


def case_statement(appeal_id: int):
    """The appeal, what its page prints of its references, the calendar stamp, and a flag per
    section (:data:`SECTIONS`): one row (one per place of the appeal, made unique by the ORM)."""
    return (
        select(Appeal, overrides_stamp().label("calendar"),
               *(make().label(name) for name, make in SECTIONS.items()))
        .where(Appeal.id == appeal_id)
        .options(joinedload(Appeal.place_rows), joinedload(Appeal.venue),
                 joinedload(Appeal.body), joinedload(Appeal.official),
                 # the page prints the employee's name; their roles are not needed
                 joinedload(Appeal.responsible).lazyload(User.roles)))


def load_case(appeal_id: int, user) -> Case | None:
    """The appeal ``appeal_id`` and its page's sections, or None when there is no such appeal or
    ``user`` may not view it (R11: a restricted appeal does not exist for the uncleared). The
    check is :func:`can` (``view``) on the loaded appeal, before any section is read."""
    row = db.session.execute(case_statement(appeal_id)).unique().first()
    if row is None:
        return None
    appeal = row[0]
    if not can(user, "view", appeal):
        return None
    current_calendar(row.calendar)  # the deadlines' calendar, without reading the overrides
    case = Case(appeal)
    if row.history:
        case.history = list(db.session.execute(
            select(HistoryEntry).where(HistoryEntry.item_id == appeal.id)
            .order_by(HistoryEntry.id)
            .options(joinedload(HistoryEntry.actor).lazyload(User.roles))).scalars())
    if row.files:
        # the page lists the names; a version (the current reply) is read when it is asked for
        case.files = list(db.session.execute(
            select(EngineFile).where(EngineFile.item_id == appeal.id)
            .order_by(EngineFile.name).options(lazyload(EngineFile.versions))).scalars())
    if row.requests:
        case.requests = list(db.session.execute(
            select(MaterialRequest).where(MaterialRequest.appeal_id == appeal.id)
            .order_by(MaterialRequest.id)
            .options(joinedload(MaterialRequest.division),
                     joinedload(MaterialRequest.addressee_body),
                     joinedload(MaterialRequest.addressee_venue),
                     lazyload(MaterialRequest.place_rows))).scalars())
    if row.placement:  # one row (unique per appeal), with the official who receives
        case.placement = db.session.execute(
            select(Placement).where(Placement.appeal_id == appeal.id)
            .options(joinedload(Placement.official))).scalar()
    if row.record:  # one row (unique per appeal), with its follow-up tasks
        case.record = db.session.execute(
            select(ReceptionRecord).where(ReceptionRecord.appeal_id == appeal.id)
            .options(joinedload(ReceptionRecord.tasks))).unique().scalar()
    if row.proposal:
        case.proposal = proposal_of(appeal)
    if row.helpers:  # the users holding the local role helper on the appeal (as helpers_of)
        case.helpers = list(db.session.execute(
            select(User).join(LocalRole, LocalRole.principal == literal("user:")
                              + cast(User.id, String))
            .where(LocalRole.item_id == appeal.id, LocalRole.role == "helper")
            .order_by(User.full_name).options(lazyload(User.roles))).scalars())
    if row.invitations:
        case.invitations = list(db.session.execute(
            select(Invitation).where(Invitation.appeal_id == appeal.id)
            .order_by(Invitation.id).options(joinedload(Invitation.body))).scalars())
    return case


def current_version(case: Case, name: str) -> FileVersion | None:
    """The current version of the case's file ``name`` (the reply, the brief), or None."""
    file = next((f for f in case.files if f.name == name), None)
    return file.current if file is not None else None
