"""Slots, queue order, helpers, invited bodies and the reception itself (R17, R18, R28).

Schedules come from ``docflow.schedules`` through :data:`schedule_source` (its three calls:
published entries of a venue, an entry's slots, one published entry by id), so the queue is
computed from what is *published* and nothing here reaches into the schedules' tables.
"""
from __future__ import annotations

from datetime import UTC, date, datetime

from flask_babel import gettext as _

from ..auth.models import User
from ..engine.content import utcnow
from ..engine.files import add_file_version
from ..engine.security import grant
from ..engine.workflow import transition
from ..extensions import db
from ..i18n import local_today
from ..reference.models import Body
from .deadlines import note
from .documents import today_in_venue
from .models import Appeal

HELPER_ROLES = ("legal_consultant", "psychologist", "social_worker", "volunteer")
OUTCOMES = ("resolved", "explained", "under_control", "redirected")


class CaseworkError(ValueError):
    """Invalid case work input; ``field`` names the form/API field at fault."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


# -- the published schedule --------------------------------------------------------------------

class ScheduleSource:
    """docflow.schedules' public calls, in one place (tests may swap in another source)."""

    def published_entries(self, venue_id, **kw):
        from ..schedules import published_entries
        return published_entries(venue_id, **kw)

    def entry_slots(self, entry):
        from ..schedules import entry_slots
        return entry_slots(entry)


schedule_source = ScheduleSource()


def slots_of(entry) -> list:
    """The entry's slot start times (aware, venue zone)."""
    return schedule_source.entry_slots(entry)


def entries_for(appeal: Appeal, date_from: date | None = None) -> list:
    """Published entries at the appeal's venue for its body, from ``date_from`` (default today)."""
    return schedule_source.published_entries(appeal.venue_id, body_id=appeal.body_id,
                                             date_from=date_from or today_in_venue(appeal))


def published_entry(appeal: Appeal, entry_id) -> object | None:
    """The published entry ``entry_id`` at the appeal's venue and for its body, or None."""
    try:
        entry_id = int(entry_id)
    except (TypeError, ValueError):
        return None
    return next((e for e in entries_for(appeal, date(2000, 1, 1)) if e.id == entry_id), None)


def reception_on(venue_id: int, day: date) -> bool:
    """R17: does the venue hold a reception on ``day`` (any published entry that day)?"""
    return any(e.date == day for e in schedule_source.published_entries(venue_id, date_from=day))


# -- queue order (R28) -----------------------------------------------------------------------

class Placement(db.Model):
    """An approved appeal's place on a schedule entry; ``slot_at`` follows registration order."""

    __tablename__ = "appeal_placement"

    id = db.Column(db.Integer, primary_key=True)
    appeal_id = db.Column(db.ForeignKey("appeal.id", ondelete="CASCADE"), nullable=False,
                          unique=True)
    entry_id = db.Column(db.Integer, nullable=False, index=True)  # schedules' ScheduleEntry.id
    # the entry's key survives a republished schedule version (a new entry id, same key)
    entry_key = db.Column(db.String(32), nullable=True, index=True)
    slot_at = db.Column(db.DateTime, nullable=True)  # UTC
    official_id = db.Column(db.ForeignKey("official.id"), nullable=True)
    placed_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    appeal = db.relationship("Appeal")
    official = db.relationship("Official")


def needing_new_reply(schedule, user) -> list[tuple[Placement, object]]:
    """After a schedule is republished (R7-1, R28, R29): the applicants the user may see who are
    placed on an entry that moved or was removed, each with its change (a new reply is due)."""
    from ..engine.security import visible_filter
    from ..schedules.queries import moved_or_removed

    changes = {c.key: c for c in moved_or_removed(schedule)}
    if not changes:
        return []
    rows = db.session.execute(
        db.select(Placement).join(Appeal, Appeal.id == Placement.appeal_id)
        .where(Placement.entry_key.in_(sorted(changes)),
               visible_filter(user, "view", "appeal"))
        .order_by(Appeal.registration_year, Appeal.registration_seq)).scalars().all()
    return [(p, changes[p.entry_key]) for p in rows]


def placement_of(appeal: Appeal) -> Placement | None:
    return db.session.execute(db.select(Placement).where(Placement.appeal_id == appeal.id)).scalar()


def capacity(entry) -> int:
    slots = len(slots_of(entry))
    return min(slots, entry.capacity) if getattr(entry, "capacity", None) else slots


def taken(entry_id: int, but: Appeal | None = None) -> int:
    stmt = db.select(db.func.count(Placement.id)).where(Placement.entry_id == entry_id)
    if but is not None:
        stmt = stmt.where(Placement.appeal_id != but.id)
    return db.session.execute(stmt).scalar_one()


def has_room(entry, appeal: Appeal | None = None) -> bool:
    return taken(entry.id, but=appeal) < capacity(entry)


def next_free_entry(appeal: Appeal, after=None):
    """The first published entry after ``after`` (or from today) with room: what a full entry
    offers instead (R28)."""
    start = after.date if after is not None else today_in_venue(appeal)
    for entry in sorted(entries_for(appeal, start), key=lambda e: (e.date, e.start, e.id)):
        if (after is None or entry.id != after.id) and has_room(entry, appeal):
            return entry
    return None


def _utc(slot: datetime) -> datetime:
    return slot.astimezone(UTC).replace(tzinfo=None)


def resequence(entry) -> list[Placement]:
    """Give the entry's placements its slots in registration order (R28): a later-registered
    appeal approved earlier does not keep an earlier slot. An applicant already told a time
    (reply sent) keeps it; the others share the remaining slots in registration order. Flushes."""
    rows = db.session.execute(
        db.select(Placement).join(Appeal, Appeal.id == Placement.appeal_id)
        .where(Placement.entry_id == entry.id)
        .order_by(Appeal.registration_year, Appeal.registration_seq, Appeal.id)).scalars().all()
    slots = [_utc(s) for s in slots_of(entry)]
    told = [r for r in rows if r.appeal.replied_on is not None and r.slot_at in slots]
    taken_slots = {r.slot_at for r in told}
    free = [s for s in slots if s not in taken_slots]
    for row, slot in zip([r for r in rows if r not in told], free, strict=False):
        row.slot_at = slot
    for row in rows:
        row.official_id = entry.official_id
        row.entry_key = getattr(entry, "key", None) or row.entry_key
    db.session.flush()
    return rows


def entry_of(appeal: Appeal, row: Placement | None = None):
    """The published entry an appeal is placed on, found by id or, after the schedule was
    republished, by the entry's key."""
    row = row or placement_of(appeal)
    if row is None:
        return None
    entry = published_entry(appeal, row.entry_id)
    if entry is None and row.entry_key:
        entry = next((e for e in entries_for(appeal, date(2000, 1, 1))
                      if getattr(e, "key", None) == row.entry_key), None)
    return entry


def lock_entry(entry) -> None:
    """One placement at a time per entry, until commit: on PostgreSQL two heads approving into
    the last slot at once would otherwise both see it free (SQLite serializes writers itself)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(db.text("SELECT pg_advisory_xact_lock(28, :id)"), {"id": entry.id})


def place(appeal: Appeal, entry) -> Placement:
    """Put an approved appeal on ``entry`` and re-sequence it. Flushes."""
    lock_entry(entry)
    if not has_room(entry, appeal):
        raise CaseworkError("entry_id", _("This reception is full."))
    row = placement_of(appeal)
    old_entry_id = row.entry_id if row else None
    if row is None:
        row = Placement(appeal_id=appeal.id, entry_id=entry.id)
        db.session.add(row)
    row.entry_id = entry.id
    db.session.flush()
    resequence(entry)
    if old_entry_id not in (None, entry.id):
        old = published_entry(appeal, old_entry_id)  # the entry it left, if still published
        if old is not None:
            resequence(old)
    return row


def move(appeal: Appeal, entry_id, reason: str, actor) -> Placement:
    """A manual move to another entry (R28): needs a reason; the history records it."""
    if not (reason or "").strip():
        raise CaseworkError("reason", _("Give the reason for moving the appeal."))
    row = placement_of(appeal)
    if row is None:
        raise CaseworkError("entry_id", _("The appeal has no place in the queue yet."))
    entry = published_entry(appeal, entry_id)
    if entry is None:
        raise CaseworkError("entry_id", _("Choose a published reception of this body here."))
    if not has_room(entry, appeal):
        offer = next_free_entry(appeal, after=entry)
        raise CaseworkError("entry_id", _("This reception is full; the next one with room is "
                                          "on %(date)s.", date=offer.date.isoformat())
                            if offer else _("This reception is full."))
    before = row.entry_id
    place(appeal, entry)
    note(appeal, "queue_moved", actor, reason.strip(),
         {"from_entry": before, "to_entry": entry.id,
          "slot_at": row.slot_at.isoformat() if row.slot_at else None})
    return row


def reception_of(appeal: Appeal) -> dict | None:
    """Date, time (venue zone) and official of the appeal's reception, once set."""
    return reception_at(placement_of(appeal), appeal)


def reception_at(row: Placement | None, appeal: Appeal) -> dict | None:
    """:func:`reception_of` from the appeal's placement already read (the case view)."""
    if row is None or row.slot_at is None:
        return None
    from zoneinfo import ZoneInfo
    local = row.slot_at.replace(tzinfo=UTC).astimezone(ZoneInfo(appeal.venue.timezone))
    return {"date": local.date(), "time": local.strftime("%H:%M"), "at": local,
            "official": row.official, "entry_id": row.entry_id}


# -- helpers (R17) and other bodies (R18) ----------------------------------------------------

class Invitation(db.Model):
    """Another interested body invited to a case (R18); its staff hold ``invited`` on it."""

    __tablename__ = "appeal_invitation"
    __table_args__ = (db.UniqueConstraint("appeal_id", "body_id", name="uq_appeal_invitation"),)

    id = db.Column(db.Integer, primary_key=True)
    appeal_id = db.Column(db.ForeignKey("appeal.id", ondelete="CASCADE"), nullable=False,
                          index=True)
    body_id = db.Column(db.ForeignKey("body.id"), nullable=False)
    reason = db.Column(db.String(500), nullable=False)
    by_id = db.Column(db.ForeignKey("user_account.id"), nullable=True)
    at = db.Column(db.DateTime, nullable=False, default=utcnow)
    body = db.relationship("Body")


def share_with_helper(appeal: Appeal, helper: User, actor) -> None:
    """R17: the responsible employee shares the case with a helper (local role ``helper``)."""
    if not helper.has_role(*HELPER_ROLES):
        raise CaseworkError("login", _("%(login)s is not a legal consultant, psychologist, "
                                       "social worker or volunteer.", login=helper.login))
    if not any(r.role in HELPER_ROLES and r.venue_id in (None, appeal.venue_id)
               for r in helper.roles):
        raise CaseworkError("login", _("%(login)s does not help at this appeal's venue.",
                                       login=helper.login))
    grant(appeal, f"user:{helper.id}", "helper", actor)
    note(appeal, "shared_with_helper", actor, helper.full_name or helper.login,
         {"user": helper.login})


def helpers_of(appeal: Appeal) -> list[User]:
    from ..engine.security import LocalRole
    ids = [int(p.split(":")[1]) for p in db.session.execute(db.select(LocalRole.principal).where(
        LocalRole.item_id == appeal.id, LocalRole.role == "helper")).scalars()]
    return list(db.session.execute(db.select(User).where(User.id.in_(ids))
                                   .order_by(User.full_name)).scalars()) if ids else []


def helper_may_act(user, appeal: Appeal, day: date | None = None) -> str | None:
    """None if ``user`` may act as a helper today, else why not (R17: a volunteer only on a
    day when their venue holds a reception)."""
    day = day or local_today()
    if user.has_role("volunteer") and not user.has_role("legal_consultant", "psychologist",
                                                        "social_worker"):
        venues = {r.venue_id for r in user.roles if r.role == "volunteer" and r.venue_id}
        if not any(reception_on(v, day) for v in venues):
            return _("Volunteers help only on reception days, and your venue holds no "
                     "reception on %(date)s.", date=day.isoformat())
    return None


def helper_attach(appeal: Appeal, user, filename: str, data: bytes, *, kind: str = "document",
                  day: date | None = None):
    """R17: a helper attaches an accompanying document or a draft additional appeal."""
    refusal = helper_may_act(user, appeal, day)
    if refusal:
        raise CaseworkError("file", refusal)
    if kind not in ("document", "additional_appeal"):
        raise CaseworkError("kind", _("Choose a document or a draft additional appeal."))
    prefix = "helper" if kind == "document" else "additional-appeal"
    return add_file_version(appeal, f"{prefix}-{filename}", data, user, filename=filename)


def invite_body(appeal: Appeal, body: Body, reason: str, actor) -> Invitation:
    """R18: invite another interested body; its ``other_body`` staff get ``invited``."""
    if body is None:
        raise CaseworkError("body", _("Choose a body."))
    if body.id == appeal.body_id:
        raise CaseworkError("body", _("The appeal is already with this body."))
    if not (reason or "").strip():
        raise CaseworkError("reason", _("Say which question concerns this body."))
    row = db.session.execute(db.select(Invitation).where(
        Invitation.appeal_id == appeal.id, Invitation.body_id == body.id)).scalar()
    if row is None:
        row = Invitation(appeal_id=appeal.id, body_id=body.id, reason=reason.strip(),
                         by_id=getattr(actor, "id", None))
        db.session.add(row)
    from ..auth.models import RoleAssignment
    for user_id in db.session.execute(db.select(RoleAssignment.user_id).where(
            RoleAssignment.role == "other_body", RoleAssignment.body_id == body.id)).scalars():
        grant(appeal, f"user:{user_id}", "invited", actor)
    note(appeal, "body_invited", actor, reason.strip(), {"body": body.code})
    db.session.flush()
    return row


def invitations_of(appeal: Appeal) -> list[Invitation]:
    return list(db.session.execute(db.select(Invitation).where(
        Invitation.appeal_id == appeal.id).order_by(Invitation.id)).scalars())


def participants(appeal: Appeal, locale: str = "ru") -> list[dict]:
    """Who takes part in the reception: the official, invited bodies, helpers (R17, R18)."""
    out = []
    where = reception_of(appeal)
    if where and where["official"] is not None:
        out.append({"kind": "official", "name": where["official"].full_name(locale)})
    out += [{"kind": "body", "name": inv.body.name(locale), "code": inv.body.code}
            for inv in invitations_of(appeal)]
    out += [{"kind": "helper", "name": u.full_name or u.login, "login": u.login}
            for u in helpers_of(appeal)]
    return out


# -- the reception held ----------------------------------------------------------------------

class ReceptionRecord(db.Model):
    """What happened at the reception: attendance, participants, outcome (R17, R18)."""

    __tablename__ = "reception_record"

    id = db.Column(db.Integer, primary_key=True)
    appeal_id = db.Column(db.ForeignKey("appeal.id", ondelete="CASCADE"), nullable=False,
                          unique=True)
    attended = db.Column(db.Boolean, nullable=False)
    outcome = db.Column(db.String(20), nullable=True)
    participants = db.Column(db.JSON, nullable=False, default=list)
    notes = db.Column(db.Text, nullable=True)
    recorded_by_id = db.Column(db.ForeignKey("user_account.id"), nullable=True)
    recorded_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    tasks = db.relationship("FollowUpTask", order_by="FollowUpTask.due_on",
                            cascade="all, delete-orphan")


class FollowUpTask(db.Model):
    __tablename__ = "reception_follow_up"

    id = db.Column(db.Integer, primary_key=True)
    record_id = db.Column(db.ForeignKey("reception_record.id", ondelete="CASCADE"),
                          nullable=False, index=True)
    text = db.Column(db.String(1000), nullable=False)
    due_on = db.Column(db.Date, nullable=False)
    assignee_id = db.Column(db.ForeignKey("user_account.id"), nullable=True)
    done_on = db.Column(db.Date, nullable=True)


def record_held(appeal: Appeal, actor, *, outcome: str, notes: str = "",
                tasks: list[tuple[str, date]] = (), redirect_to: str | None = None
                ) -> ReceptionRecord:
    """The reception took place: outcome, participants as they stood, follow-up tasks."""
    if outcome not in OUTCOMES:
        raise CaseworkError("outcome", _("Choose the outcome: resolved, explained, taken under "
                                         "control or redirected."))
    for text, due in tasks:
        if not text.strip() or due is None:
            raise CaseworkError("tasks", _("Each follow-up task needs a text and a due date."))
        if due < today_in_venue(appeal):
            raise CaseworkError("tasks", _("A follow-up task cannot be due in the past."))
    transition(appeal, "mark_held", actor, notes or None, outcome=outcome)
    row = ReceptionRecord(appeal_id=appeal.id, attended=True, outcome=outcome, notes=notes,
                          participants=participants(appeal), recorded_by_id=actor.id,
                          tasks=[FollowUpTask(text=t.strip(), due_on=d, assignee_id=actor.id)
                                 for t, d in tasks])
    db.session.add(row)
    db.session.flush()
    return row


def record_no_show(appeal: Appeal, actor, notes: str = "") -> ReceptionRecord:
    transition(appeal, "mark_no_show", actor, notes or None)
    row = ReceptionRecord(appeal_id=appeal.id, attended=False, notes=notes,
                          participants=participants(appeal), recorded_by_id=actor.id)
    db.session.add(row)
    db.session.flush()
    return row


def record_of(appeal: Appeal) -> ReceptionRecord | None:
    return db.session.execute(db.select(ReceptionRecord).where(
        ReceptionRecord.appeal_id == appeal.id)).scalar()


def now_utc() -> datetime:
    return datetime.now(UTC)


# -- deadline changes --------------------------------------------------------------------------

DEADLINE_ROLES = frozenset({"head", "responsible"})
DEADLINE_CHANGES = ("deadline_extended", "deadline_suspended")


def change_reply_due(appeal: Appeal, actor, *, kind: str, working_days: int, reason: str):
    """Extend or suspend (e.g. while waiting for another body) the reply deadline (R29): only by
    the head or the responsible employee, only with a reason, recorded in the history."""
    from ..calendar.store import current_calendar
    from ..engine.errors import PermissionDenied
    from ..engine.security import roles_on
    from .queries import TERMINAL_STATES

    if not roles_on(actor, appeal) & DEADLINE_ROLES:
        raise PermissionDenied(_("Only the head or the responsible employee may move the "
                                 "reply deadline."))
    name = {"extend": "deadline_extended", "suspend": "deadline_suspended"}.get(kind)
    if name is None:
        raise CaseworkError("kind", _("Choose an extension or a suspension."))
    if not isinstance(working_days, int) or not 1 <= working_days <= 30:
        raise CaseworkError("working_days", _("Move the deadline by 1 to 30 working days."))
    if not (reason or "").strip():
        raise CaseworkError("reason", _("Give the reason for moving the deadline."))
    if appeal.replied_on is not None or appeal.state in TERMINAL_STATES:
        raise CaseworkError("kind", _("The reply has been sent; its deadline no longer moves."))
    before = appeal.reply_due
    appeal.reply_due = current_calendar().shift(before, working_days)
    note(appeal, name, actor, reason.strip(),
         {"deadline": "reply_due", "from": before.isoformat(),
          "to": appeal.reply_due.isoformat(), "working_days": working_days})
    db.session.flush()
    return appeal.reply_due
