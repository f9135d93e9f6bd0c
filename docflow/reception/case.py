"""The appeal's page (the case view) read in a few statements, whatever the case holds (issue 11).

The page shows the appeal with its venue, body, official and responsible employee, the deadline
explanation, the history with who did what, the documents, the material requests with their
addressees, the reception (placement, record, proposal), the helpers and the invited bodies. Asked
one by one (``history()``, ``files_of()``, ``requests_of()``, ``reception_of()`` …) that is twenty
statements or more, most of them finding nothing: a case rarely has a placement, an invitation or
a helper. Here:

1. ONE statement reads the appeal, its places (for the permission check), venue, body, official
   and responsible employee, and for each section whether it has any row (``EXISTS``) — the
   header's unread count and the calendar's overrides stamp came with the signed-in user
   (``docflow.auth``);
2. one statement per section that has rows, each with what the page prints of it loaded along
   (the history's actors, the requests' addressees); sections without rows cost nothing.

The permission check is :func:`docflow.engine.security.can` on the loaded appeal; the sections'
values (the reception's local time, the brief's due date, the current reply) come from the
functions of their own modules, given the rows read here.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field

from sqlalchemy import Integer, String, bindparam, cast, exists, literal, select
from sqlalchemy.orm import joinedload, lazyload

from ..auth.models import User
from ..calendar.store import current_calendar
from ..dbprepared import PREPARED
from ..engine.files import EngineFile, FileVersion
from ..engine.history import HistoryEntry
from ..engine.security import LocalRole, can
from ..extensions import db
from .briefs import BriefProposal
from .materials import MaterialRequest
from .models import Appeal
from .receptions import Invitation, Placement, ReceptionRecord

#: The sections of the page whose rows are read only when the appeal has some: name -> a
#: correlated ``EXISTS`` on the appeal's id.
SECTIONS = {
    "history": lambda: exists().where(HistoryEntry.item_id == Appeal.id),
    "files": lambda: exists().where(EngineFile.item_id == Appeal.id),
    "requests": lambda: exists().where(MaterialRequest.__table__.c.appeal_id == Appeal.id),
    "placement": lambda: exists().where(Placement.appeal_id == Appeal.id),
    "record": lambda: exists().where(ReceptionRecord.appeal_id == Appeal.id),
    "proposal": lambda: exists().where(BriefProposal.appeal_id == Appeal.id),
    "helpers": lambda: exists().where(LocalRole.item_id == Appeal.id,
                                      LocalRole.role == "helper"),
    "invitations": lambda: exists().where(Invitation.appeal_id == Appeal.id),
}


@dataclass
class Case:
    """An appeal and what its page shows of it, read by :func:`load_case`."""

    appeal: Appeal
    history: list = field(default_factory=list)  # rows: at, actor_name, transition, comment
    files: list[EngineFile] = field(default_factory=list)
    requests: list[MaterialRequest] = field(default_factory=list)
    placement: Placement | None = None
    record: ReceptionRecord | None = None
    proposal: BriefProposal | None = None
    helpers: list[User] = field(default_factory=list)
    invitations: list[Invitation] = field(default_factory=list)


APPEAL_ID = bindparam("case_appeal_id", type_=Integer)


@functools.cache
def case_statement():
    """The appeal, what its page prints of its references and a flag per
    section (:data:`SECTIONS`): one row (one per place of the appeal, made unique by the ORM). Built once (building it costs more than running it), for
    the parameter ``case_appeal_id``."""
    return build_case_statement(APPEAL_ID)


def build_case_statement(appeal_id):
    """:func:`case_statement` for these values (or bound parameters)."""
    return (
        select(Appeal, *(make().label(name) for name, make in SECTIONS.items()))
        .where(Appeal.id == appeal_id)
        .options(joinedload(Appeal.place_rows), joinedload(Appeal.venue),
                 joinedload(Appeal.body), joinedload(Appeal.official),
                 # the page prints the employee's name; their roles are not needed
                 joinedload(Appeal.responsible).lazyload(User.roles))
        .execution_options(**PREPARED))


@functools.cache
def section_statements() -> dict:
    """A statement per section that has rows (:data:`SECTIONS`), each with what the page prints
    of its rows loaded along, for the parameter ``case_appeal_id``. Built once."""
    sections = {
        # what the history table prints, as plain rows (no entity per row to build)
        "history": select(HistoryEntry.at, User.full_name.label("actor_name"),
                          HistoryEntry.transition, HistoryEntry.comment)
        .outerjoin(User, User.id == HistoryEntry.actor_id)
        .where(HistoryEntry.item_id == APPEAL_ID).order_by(HistoryEntry.id),
        # the page lists the names; a version (the current reply) is read when it is asked for
        "files": select(EngineFile).where(EngineFile.item_id == APPEAL_ID)
        .order_by(EngineFile.name).options(lazyload(EngineFile.versions)),
        "requests": select(MaterialRequest).where(MaterialRequest.appeal_id == APPEAL_ID)
        .order_by(MaterialRequest.id)
        .options(joinedload(MaterialRequest.division), joinedload(MaterialRequest.addressee_body),
                 joinedload(MaterialRequest.addressee_venue),
                 lazyload(MaterialRequest.place_rows)),
        # one row (unique per appeal), with the official who receives
        "placement": select(Placement).where(Placement.appeal_id == APPEAL_ID)
        .options(joinedload(Placement.official)),
        # one row (unique per appeal), with its follow-up tasks
        "record": select(ReceptionRecord).where(ReceptionRecord.appeal_id == APPEAL_ID)
        .options(joinedload(ReceptionRecord.tasks)),
        # the latest proposal is the current one (briefs.proposal_of)
        "proposal": select(BriefProposal).where(BriefProposal.appeal_id == APPEAL_ID)
        .order_by(BriefProposal.id.desc()).limit(1),
        # the users holding the local role helper on the appeal (receptions.helpers_of)
        "helpers": select(User).join(LocalRole, LocalRole.principal == literal("user:")
                                     + cast(User.id, String))
        .where(LocalRole.item_id == APPEAL_ID, LocalRole.role == "helper")
        .order_by(User.full_name).options(lazyload(User.roles)),
        "invitations": select(Invitation).where(Invitation.appeal_id == APPEAL_ID)
        .order_by(Invitation.id).options(joinedload(Invitation.body)),
    }
    return {name: statement.execution_options(**PREPARED) for name, statement in sections.items()}


#: sections of one row at most
SINGLE = frozenset({"placement", "record", "proposal"})
#: sections read as plain rows, not entities
ROWS = frozenset({"history"})


def load_case(appeal_id: int, user) -> Case | None:
    """The appeal ``appeal_id`` and its page's sections, or None when there is no such appeal or
    ``user`` may not view it (R11: a restricted appeal does not exist for the uncleared). The
    check is :func:`can` (``view``) on the loaded appeal, before any section is read."""
    params = {"case_appeal_id": appeal_id}
    row = db.session.execute(case_statement(), params).unique().first()
    if row is None:
        return None
    appeal = row[0]
    if not can(user, "view", appeal):
        return None
    # the deadlines' calendar: by the stamp read with the signed-in user (docflow.auth), so
    # without reading the overrides
    current_calendar()
    case = Case(appeal)
    for name, statement in section_statements().items():
        if getattr(row, name):
            result = db.session.execute(statement, params)
            rows = result.all() if name in ROWS else result.unique().scalars().all()
            setattr(case, name, (rows[0] if rows else None) if name in SINGLE else rows)
    return case


def current_version(case: Case, name: str) -> FileVersion | None:
    """The current version of the case's file ``name`` (the reply, the brief), or None."""
    file = next((f for f in case.files if f.name == name), None)
    return file.current if file is not None else None
