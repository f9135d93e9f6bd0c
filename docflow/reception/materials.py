"""Material requests (R26, R31): mandatory requests from the responsible employee to a structural
division, another venue or another body, with a due date in working days.

Why an engine item (a child of the appeal) and not a plain table: its state and history come from
the same transition function as the appeal's (who answered, who asked again, who waived and why),
its answer files are versioned in the case file with the engine's upload checks, and its workflow
*data* shows there is no way for the addressee to dismiss it (material_request.toml).

Status shown to people: asked / asked again / answered / waived, and *overdue* for an open request
past its due date — computed, so a request stays answerable when it is late.
"""
from __future__ import annotations

import smtplib
from datetime import UTC, date, datetime
from email.message import EmailMessage

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import and_, or_

from ..auth.models import RoleAssignment, User
from ..calendar.store import current_calendar
from ..engine.content import Item, create_item, set_places
from ..engine.errors import PermissionDenied
from ..engine.files import add_file_version
from ..engine.rules import Notification
from ..engine.security import roles_on
from ..engine.workflow import transition
from ..extensions import db
from ..i18n import N_, local_today
from ..jobs import enqueue
from ..reference.models import Body, Division, Venue
from .models import Appeal
from .receptions import CaseworkError

OPEN_STATES = ("asked", "asked_again")
DONE_STATES = ("answered", "waived")
ADDRESSEE_ROLES = {"division": ("division",), "body": ("other_body",), "venue": ("registrar",)}
REMIND_WORKING_DAYS = 1  # a reminder from one working day before the due date


class MaterialRequest(Item):
    __tablename__ = "material_request"
    __mapper_args__ = {"polymorphic_identity": "material_request"}

    id = db.Column(db.ForeignKey("engine_item.id", ondelete="CASCADE"), primary_key=True)
    appeal_id = db.Column(db.ForeignKey("appeal.id", ondelete="CASCADE"), nullable=False,
                          index=True)
    addressee_kind = db.Column(db.String(10), nullable=False)  # division | body | venue
    division_id = db.Column(db.ForeignKey("division.id"), nullable=True)
    addressee_body_id = db.Column(db.ForeignKey("body.id"), nullable=True)
    addressee_venue_id = db.Column(db.ForeignKey("venue.id"), nullable=True)
    question = db.Column(db.Text, nullable=False)
    required = db.Column(db.Boolean, nullable=False, default=True)  # on the brief's checklist
    working_days = db.Column(db.Integer, nullable=False)
    asked_on = db.Column(db.Date, nullable=False)
    due_on = db.Column(db.Date, nullable=False, index=True)
    requester_id = db.Column(db.ForeignKey("user_account.id"), nullable=True)
    answer = db.Column(db.Text, nullable=True)
    answered_on = db.Column(db.Date, nullable=True)
    answered_by_id = db.Column(db.ForeignKey("user_account.id"), nullable=True)
    waived_reason = db.Column(db.String(1000), nullable=True)

    appeal = db.relationship("Appeal", foreign_keys=[appeal_id])
    division = db.relationship("Division")
    addressee_body = db.relationship("Body", foreign_keys=[addressee_body_id])
    addressee_venue = db.relationship("Venue", foreign_keys=[addressee_venue_id])
    requester = db.relationship("User", foreign_keys=[requester_id])
    answered_by = db.relationship("User", foreign_keys=[answered_by_id])

    @property
    def addressee_place(self) -> str:
        if self.addressee_kind == "venue":
            return f"venue:{self.addressee_venue_id}"
        return f"body:{self.addressee_body_id}"

    def addressee_name(self, locale: str | None = None) -> str:
        target = {"division": self.division, "body": self.addressee_body,
                  "venue": self.addressee_venue}[self.addressee_kind]
        return target.name(locale) if target else ""

    def overdue(self, today: date | None = None) -> bool:
        return self.state in OPEN_STATES and self.due_on < (today or local_today())

    def status(self, today: date | None = None) -> str:
        return "overdue" if self.overdue(today) else self.state


def is_addressee(user, req: MaterialRequest) -> bool:
    """Does ``user`` work for the addressee (the role for its kind, at the addressee's place)?"""
    roles = ADDRESSEE_ROLES[req.addressee_kind]
    if req.addressee_kind == "venue":
        return any(r.role in roles and r.venue_id == req.addressee_venue_id for r in user.roles)
    return any(r.role in roles and r.body_id == req.addressee_body_id for r in user.roles)


def addressee_clause(user):
    """SQL: requests addressed to ``user``'s division/body/venue (the addressee's worklist)."""
    options = []
    for r in user.roles:
        if r.role == "division" and r.body_id:
            options.append(and_(MaterialRequest.addressee_kind == "division",
                                MaterialRequest.addressee_body_id == r.body_id))
        if r.role == "other_body" and r.body_id:
            options.append(and_(MaterialRequest.addressee_kind == "body",
                                MaterialRequest.addressee_body_id == r.body_id))
        if r.role == "registrar" and r.venue_id:
            options.append(and_(MaterialRequest.addressee_kind == "venue",
                                MaterialRequest.addressee_venue_id == r.venue_id))
    return or_(*options) if options else db.false()


def _addressee(kind: str, code: str):
    model = {"division": Division, "body": Body, "venue": Venue}.get(kind)
    if model is None:
        raise CaseworkError("addressee_kind", _("Choose a division, a body or a venue."))
    target = db.session.execute(db.select(model).where(model.code == (code or ""))).scalar()
    if target is None:
        raise CaseworkError("addressee", _("No addressee with the code %(code)s.",
                                           code=code or "''"))
    return target


def request_materials(appeal: Appeal, actor, *, addressee_kind: str, addressee_code: str,
                      question: str, working_days: int, required: bool = True,
                      today: date | None = None) -> MaterialRequest:
    """Ask for materials (R26, R31); the first request moves the appeal from review to
    collecting. Flushes, never commits."""
    today = today or local_today()
    if not (question or "").strip():
        raise CaseworkError("question", _("Say which materials are needed."))
    if not isinstance(working_days, int) or not 1 <= working_days <= 30:
        raise CaseworkError("working_days", _("The due date is 1 to 30 working days away."))
    target = _addressee(addressee_kind, addressee_code)
    if "responsible" not in roles_on(actor, appeal):
        raise PermissionDenied(_("Only the responsible employee requests materials."))
    if appeal.state == "in_review":
        transition(appeal, "request_materials", actor, question.strip()[:500])
    elif appeal.state != "collecting":
        raise CaseworkError("appeal", _("Materials are requested during the review."))
    if addressee_kind == "division":
        kw = {"division_id": target.id, "addressee_body_id": target.body_id}
    elif addressee_kind == "body":
        kw = {"addressee_body_id": target.id}
    else:
        kw = {"addressee_venue_id": target.id}
    req = create_item(MaterialRequest, title=question.strip()[:200], owner=actor, parent=appeal,
                      language=appeal.language, appeal_id=appeal.id,
                      addressee_kind=addressee_kind, question=question.strip(),
                      required=bool(required), working_days=working_days, asked_on=today,
                      due_on=current_calendar().shift(today, working_days),
                      requester_id=actor.id, **kw)
    set_places(req, set(appeal.places) | {req.addressee_place})
    db.session.flush()
    return req


def answer_request(req: MaterialRequest, actor, text: str, files=(), today=None) -> None:
    """The addressee answers with text and files; the only action the addressee has (R31)."""
    if not is_addressee(actor, req):  # before any file is stored
        transition(req, "answer", actor, None, text=text)  # raises, saying why
    for filename, data in files:  # while the request is open: add_files is the addressee's
        add_file_version(req, f"answer-{filename}", data, actor, filename=filename)
    transition(req, "answer", actor, None, text=text)
    req.answer = text.strip()
    req.answered_on = today or local_today()
    req.answered_by_id = actor.id
    db.session.flush()


def ask_again(req: MaterialRequest, actor, comment: str, working_days: int,
              today: date | None = None) -> None:
    today = today or local_today()
    transition(req, "ask_again", actor, comment)
    req.asked_on, req.working_days = today, working_days
    req.due_on = current_calendar().shift(today, working_days)
    db.session.flush()


def waive(req: MaterialRequest, actor, reason: str) -> None:
    """The requester takes the material off the checklist, with a reason."""
    transition(req, "waive", actor, reason)
    req.waived_reason = (reason or "").strip()
    db.session.flush()


def requests_of(appeal: Appeal) -> list[MaterialRequest]:
    return list(db.session.execute(db.select(MaterialRequest).where(
        MaterialRequest.appeal_id == appeal.id).order_by(MaterialRequest.id)).scalars())


def checklist_open(appeal: Appeal, requests: list[MaterialRequest] | None = None
                   ) -> list[MaterialRequest]:
    """Required requests neither answered nor waived: they block the brief (R26).
    ``requests``: the appeal's requests already read (the case view), else read here."""
    rows = requests_of(appeal) if requests is None else requests
    return [r for r in rows if r.required and r.state not in DONE_STATES]


# -- reminders and escalation (daily sweep) --------------------------------------------------

def _heads_of(req: MaterialRequest) -> list[int]:
    if req.addressee_kind == "venue":
        venue = req.addressee_venue
        clause = RoleAssignment.body_id == venue.body_id if venue.body_id else db.false()
    else:
        clause = RoleAssignment.body_id == req.addressee_body_id
    return list(db.session.execute(db.select(RoleAssignment.user_id).distinct()
                                   .where(RoleAssignment.role == "head", clause)).scalars())


def _addressee_staff(req: MaterialRequest) -> list[int]:
    roles = ADDRESSEE_ROLES[req.addressee_kind]
    clause = (RoleAssignment.venue_id == req.addressee_venue_id if req.addressee_kind == "venue"
              else RoleAssignment.body_id == req.addressee_body_id)
    return list(db.session.execute(db.select(RoleAssignment.user_id).distinct()
                                   .where(RoleAssignment.role.in_(roles), clause)).scalars())


def office_hours_from_now(venue) -> datetime:
    """Reminders go out in the venue's working hours, never at night or on a day off (R4)."""
    return current_calendar().next_office_moment(
        datetime.now(UTC), venue.timezone, venue.opens, venue.closes,
        (venue.lunch_start, venue.lunch_end))


def _tell(req: MaterialRequest, kind: str, user_ids, text: str) -> int:
    """An in-app notification and an e-mail job per user, each with a deterministic key, so
    running the sweep twice tells nobody twice; a moved due date is a new occasion."""
    sent = 0
    for user_id in sorted(set(user_ids)):
        key = f"material:{req.id}:{kind}:{req.due_on.isoformat()}:user:{user_id}"
        params = {"number": req.appeal.registration_number, "due": req.due_on.isoformat()}
        if not db.session.execute(db.select(Notification.id).where(Notification.key == key)).first():
            db.session.add(Notification(user_id=user_id, item_id=req.id, text=text,
                                        params=params, key=key))
            sent += 1
        enqueue("docflow.reception.materials.send_material_mail", req.id, kind, user_id,
                key=f"mail:{key}", title=f"material {kind} {req.id}",
                not_before=office_hours_from_now(req.appeal.venue))
    db.session.flush()
    return sent


REMINDER = N_("Materials for appeal %(number)s are due on %(due)s.")
ESCALATION = N_("Materials for appeal %(number)s were due on %(due)s and have not been provided.")


def sweep_material_requests(today: date | None = None) -> dict[str, int]:
    """Daily: remind the addressee before the due date; escalate overdue requests to the
    requester and the addressee's head (R31). Flushes, never commits; idempotent."""
    today = today or local_today()
    calendar = current_calendar()
    counts = {"reminded": 0, "escalated": 0}
    open_requests = db.session.execute(db.select(MaterialRequest).where(
        MaterialRequest.state.in_(OPEN_STATES))).scalars().all()
    for req in open_requests:
        if req.due_on < today:
            targets = [req.requester_id, *(_heads_of(req))]
            if _tell(req, "overdue", [t for t in targets if t], ESCALATION):
                counts["escalated"] += 1
        elif calendar.shift(req.due_on, -REMIND_WORKING_DAYS) <= today:
            if _tell(req, "reminder", _addressee_staff(req), REMINDER):
                counts["reminded"] += 1
    return counts


def send_material_mail(request_id: int, kind: str, user_id: int) -> dict:
    """Job: the reminder or escalation e-mail; skipped when the request was answered since."""
    from ..engine.mail import _setting, message_id

    req = db.session.get(MaterialRequest, request_id)
    user = db.session.get(User, user_id)
    if req is None or user is None or not user.email or req.state not in OPEN_STATES:
        return {"skipped": True}
    with force_locale(user.language or "ru"):
        text = _(ESCALATION if kind == "overdue" else REMINDER,
                 number=req.appeal.registration_number, due=req.due_on.isoformat())
    msg = EmailMessage()
    msg["Subject"], msg["From"], msg["To"] = text, _setting("MAIL_FROM", "docflow@localhost"), \
        user.email
    msg["Message-ID"] = message_id(f"material:{req.id}:{kind}:{req.due_on}:{user.id}")
    msg.set_content(f"{text}\n\n{req.question}\n")
    with smtplib.SMTP(_setting("MAIL_SERVER", "localhost"), int(_setting("MAIL_PORT", 25)),
                      timeout=30) as smtp:
        smtp.send_message(msg)
    return {"to": user.email}
