"""The reference brief (R26): the responsible employee's proposal (a published slot, or a refusal
with its reason), the generated brief, its due date, and the head's decision on it."""
from __future__ import annotations

from datetime import date

from flask_babel import gettext as _

from ..calendar.store import current_calendar
from ..engine.content import utcnow
from ..engine.security import roles_on
from ..engine.workflow import transition
from ..extensions import db
from ..reference.models import Official
from . import documents
from .materials import requests_of
from .models import Appeal
from .receptions import (
                         CaseworkError,
                         has_room,
                         next_free_entry,
                         place,
                         published_entry,
                         slots_of,
                         today_in_venue,
)

BRIEF_WORKING_DAYS = 5  # R26: five working days before the reception


class BriefProposal(db.Model):
    """What the brief proposes; the latest row is the current proposal, earlier ones stay."""

    __tablename__ = "brief_proposal"

    id = db.Column(db.Integer, primary_key=True)
    appeal_id = db.Column(db.ForeignKey("appeal.id", ondelete="CASCADE"), nullable=False,
                          index=True)
    entry_id = db.Column(db.Integer, nullable=True)  # schedules' ScheduleEntry.id
    refusal_reason = db.Column(db.String(2000), nullable=True)
    summary = db.Column(db.Text, nullable=True)
    proposed_by_id = db.Column(db.ForeignKey("user_account.id"), nullable=True)
    at = db.Column(db.DateTime, nullable=False, default=utcnow)


def proposal_of(appeal: Appeal) -> BriefProposal | None:
    return db.session.execute(db.select(BriefProposal).where(BriefProposal.appeal_id == appeal.id)
                              .order_by(BriefProposal.id.desc())).scalars().first()


def propose(appeal: Appeal, actor, *, entry_id=None, refusal_reason: str | None = None,
            summary: str | None = None) -> BriefProposal:
    """Record the proposal: exactly one of a published entry with room, or a refusal reason."""
    reason = (refusal_reason or "").strip()
    if bool(entry_id) == bool(reason):
        raise CaseworkError("entry_id", _("Propose either a reception from the schedule or a "
                                          "refusal with its reason."))
    if entry_id:
        entry = published_entry(appeal, entry_id)
        if entry is None or entry.date < today_in_venue(appeal):
            raise CaseworkError("entry_id", _("Choose a published reception of this body at "
                                              "this venue."))
        if not has_room(entry, appeal):
            offer = next_free_entry(appeal, after=entry)
            raise CaseworkError("entry_id", _(
                "This reception is full; the next one with room is on %(date)s.",
                date=offer.date.isoformat()) if offer else _("This reception is full."))
    row = BriefProposal(appeal_id=appeal.id, entry_id=int(entry_id) if entry_id else None,
                        refusal_reason=reason or None, summary=(summary or "").strip() or None,
                        proposed_by_id=getattr(actor, "id", None))
    db.session.add(row)
    db.session.flush()
    return row


def brief_due(appeal: Appeal) -> date | None:
    """R26: the proposed reception's date minus 5 working days (DESIGN §4)."""
    return brief_due_for(proposal_of(appeal), appeal)


def brief_due_for(proposal: BriefProposal | None, appeal: Appeal) -> date | None:
    """:func:`brief_due` from the appeal's current proposal already read (the case view)."""
    entry = published_entry(appeal, proposal.entry_id) if proposal and proposal.entry_id else None
    return current_calendar().shift(entry.date, -BRIEF_WORKING_DAYS) if entry else None


def _head_official(appeal: Appeal) -> Official | None:
    return db.session.execute(db.select(Official).where(
        Official.body_id == appeal.body_id, Official.rank == "first_head")
        .order_by(Official.id)).scalars().first()


def brief_context(appeal: Appeal, actor, language: str) -> dict:
    proposal = proposal_of(appeal)
    if proposal is None:
        raise CaseworkError("entry_id", _("Record the proposal (a reception or a refusal) "
                                          "before generating the brief."))
    head = _head_official(appeal)
    materials = [{"title": r.question, "source": r.addressee_name(language),
                  "received_on": r.answered_on} for r in requests_of(appeal)
                 if r.state == "answered"]
    context = {
        "issued_at": documents.today_in_venue(appeal),
        "letterhead": documents.letterhead(appeal),
        "addressee": {"name": head.full_name(language) if head else "",
                      "position": head.position(language) if head else ""},
        "applicant": documents.applicant(appeal),
        "registration": documents.registration(appeal),
        "subject": appeal.subject,
        "summary": proposal.summary or appeal.text,
        "history": documents.history_rows(appeal, language),
        "materials": materials,
        "decision": "refusal" if proposal.refusal_reason else "slot",
        "prepared_by": {"name": getattr(actor, "full_name", "") or "",
                        "position": documents._pick(documents.PREPARED_BY, language)},
    }
    if proposal.refusal_reason:
        context["refusal_reason"] = proposal.refusal_reason
    else:
        entry = published_entry(appeal, proposal.entry_id)
        if entry is None:
            raise CaseworkError("entry_id", _("The proposed reception is no longer published."))
        slots = slots_of(entry)
        context["reception"] = documents.slot(appeal, entry, slots[0], language)
    return context


def generate_brief(appeal: Appeal, actor, language: str = "kk"):
    """Render the brief (R26) and store it as the next version of the case's file ``brief``."""
    if language not in ("kk", "ru"):
        raise CaseworkError("language", _("The brief is written in Kazakh or Russian."))
    context = brief_context(appeal, actor, language)
    rendered = documents.render("reference_brief", context, language,
                                f"{appeal.registration_number} brief")
    proposal = proposal_of(appeal)
    return documents.store(appeal, "brief", rendered, actor,
                           filename=f"brief-{appeal.registration_number}-{language}.pdf",
                           meta={"decision": context["decision"], "proposal_id": proposal.id,
                                 "entry_id": proposal.entry_id})


# -- the head's decision ---------------------------------------------------------------------

def approve(appeal: Appeal, actor, entry_id=None, comment: str | None = None):
    """The head (or a deputy under delegation) approves the proposed or another slot; the
    appeal takes its place in the entry's queue in registration order (R26, R28)."""
    if not entry_id:
        proposal = proposal_of(appeal)
        entry_id = proposal.entry_id if proposal else None
    if appeal.state != "brief_ready" or not roles_on(actor, appeal) & {"head", "deputy"}:
        transition(appeal, "approve", actor, comment, entry_id=entry_id)  # refuses, saying why
    entry = published_entry(appeal, entry_id)
    if entry is None:
        raise CaseworkError("entry_id", _("Choose a published reception of this body at this "
                                          "venue."))
    if not has_room(entry, appeal):
        offer = next_free_entry(appeal, after=entry)
        raise CaseworkError("entry_id", _(
            "This reception is full; the next one with room is on %(date)s.",
            date=offer.date.isoformat()) if offer else _("This reception is full."))
    transition(appeal, "approve", actor, comment, entry_id=entry.id)
    return place(appeal, entry)


def refuse(appeal: Appeal, actor, reason: str):
    """The head refuses the reception with a reason; the reply will state it and no date."""
    return transition(appeal, "refuse", actor, (reason or "").strip() or None)


def refusal_reason(appeal: Appeal) -> str | None:
    from ..engine.history import HistoryEntry
    return db.session.execute(db.select(HistoryEntry.comment).where(
        HistoryEntry.item_id == appeal.id, HistoryEntry.transition == "refuse")
        .order_by(HistoryEntry.id.desc())).scalars().first()
