"""Deadlines that move with the calendar (DESIGN §4): when an administrator changes a day, every
open appeal whose reply window contains that day gets its reply_due recomputed, and its history
says why — no due date silently stays wrong after a holiday is added."""
from datetime import date

from ..calendar.store import current_calendar, set_override
from ..engine.audit import record
from ..engine.content import utcnow
from ..engine.core import current_engine
from ..engine.history import HistoryEntry
from ..extensions import db
from .models import Appeal
from .queries import REPLY_WORKING_DAYS, TERMINAL_STATES

NOTE = "deadline_recomputed"


def note(item, name: str, actor, comment: str, data: dict) -> HistoryEntry:
    """A history row that changes no state (from = to), so the history still replays."""
    workflow = current_engine().workflow_for(item)
    entry = HistoryEntry(item_id=item.id, at=utcnow(), actor_id=getattr(actor, "id", None),
                         transition=name, from_state=item.state, to_state=item.state,
                         comment=comment, data=data, workflow_id=workflow.id,
                         workflow_version=workflow.version)
    db.session.add(entry)
    return entry


def recompute_reply_dues(day: date, reason: str, actor) -> list[Appeal]:
    """Recompute reply_due (R29) for open appeals whose window (registered_on, reply_due] holds
    ``day``; write a history row on each one that moved. Flushes, never commits."""
    calendar = current_calendar()
    candidates = db.session.execute(db.select(Appeal).where(
        Appeal.registered_on < day, Appeal.reply_due >= day, Appeal.replied_on.is_(None),
        Appeal.state.notin_(TERMINAL_STATES))).scalars().all()
    moved = []
    for appeal in candidates:
        new_due = calendar.shift(appeal.registered_on, REPLY_WORKING_DAYS)
        if new_due == appeal.reply_due:
            continue
        note(appeal, NOTE, actor,
             f"reply due moved from {appeal.reply_due.isoformat()} to {new_due.isoformat()}: "
             f"{day.isoformat()} changed ({reason})",
             {"deadline": "reply_due", "from": appeal.reply_due.isoformat(),
              "to": new_due.isoformat(), "day": day.isoformat(), "reason": reason})
        appeal.reply_due = new_due
        moved.append(appeal)
    db.session.flush()
    return moved


def change_calendar_day(day: date, working: bool, reason: str, actor) -> list[Appeal]:
    """An administrator's edit of the calendar (audited), and the deadlines it moves."""
    set_override(day, working, reason, actor)
    record("calendar_changed", actor=actor,
           detail={"day": day.isoformat(), "working": working, "reason": reason})
    return recompute_reply_dues(day, reason, actor)
