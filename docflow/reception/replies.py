"""The reply to the applicant (R29): a letter in the applicant's language stating the date, time,
place and official of the reception — or, after a refusal, the reason and no date — with a QR
code to a public page that confirms the letter is genuine by its checksum; then sent (e-mail
through the outbox, or printed for post) and counted late if sent after ``reply_due``."""
from __future__ import annotations

import smtplib
from datetime import date
from email.message import EmailMessage

from flask_babel import gettext as _

from ..engine.content import utcnow
from ..engine.files import EngineFile, FileVersion, read_version
from ..engine.workflow import transition
from ..extensions import db
from ..jobs import enqueue
from . import documents
from .briefs import refusal_reason
from .models import Appeal
from .receptions import CaseworkError, entry_of, placement_of

VIA = ("email", "post")


class IssuedLetter(db.Model):
    """A letter that left the body: looked up by its checksum on the public /verify page.
    Holds no personal data: the kind, the issuing body, the date and the checksums."""

    __tablename__ = "issued_letter"

    id = db.Column(db.Integer, primary_key=True)
    code = db.Column(db.String(64), nullable=False, unique=True)  # printed in the QR code
    pdf_sha256 = db.Column(db.String(64), nullable=False, index=True)
    version_id = db.Column(db.ForeignKey("engine_file_version.id", ondelete="CASCADE"),
                           nullable=False)
    appeal_id = db.Column(db.ForeignKey("appeal.id", ondelete="CASCADE"), nullable=False,
                          index=True)
    body_id = db.Column(db.ForeignKey("body.id"), nullable=False)
    decision = db.Column(db.String(10), nullable=False)
    issued_on = db.Column(db.Date, nullable=False)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    body = db.relationship("Body")


def reply_context(appeal: Appeal, actor) -> dict:
    language = appeal.applicant_language
    context = {
        "issued_at": documents.today_in_venue(appeal),
        "letterhead": documents.letterhead(appeal),
        "applicant": documents.applicant(appeal),
        "registration": documents.registration(appeal),
        "signatory": {"name": getattr(actor, "full_name", "") or "",
                      "position": documents._pick(documents.SIGNATORY, language)},
    }
    if appeal.state == "refused":
        reason = refusal_reason(appeal)
        if not reason:
            raise CaseworkError("comment", _("The refusal has no recorded reason."))
        context.update(decision="refusal", refusal_reason=reason)
    elif appeal.state == "approved":
        row = placement_of(appeal)
        entry = entry_of(appeal, row) if row else None
        if entry is None or row.slot_at is None:
            raise CaseworkError("entry_id", _("The appeal has no reception slot yet."))
        from datetime import UTC
        context.update(decision="slot", reception=documents.slot(
            appeal, entry, row.slot_at.replace(tzinfo=UTC), language))
    else:
        raise CaseworkError("state", _("A reply is written once the head has decided."))
    return context


def generate_reply(appeal: Appeal, actor) -> FileVersion:
    """Render the reply in the applicant's language and store it as the file ``reply``."""
    from flask import url_for

    context = reply_context(appeal, actor)
    code = documents.verification_code(context)
    context["verification_url"] = documents.public_url(url_for("casework.verify", code=code))
    rendered = documents.render("reply_letter", context, appeal.applicant_language,
                                f"{appeal.registration_number} reply")
    version = documents.store(appeal, "reply", rendered, actor,
                              filename=f"reply-{appeal.registration_number}.pdf",
                              meta={"decision": context["decision"], "verification": code,
                                    "slot_at": _slot_at(appeal)})
    db.session.add(IssuedLetter(code=code, pdf_sha256=version.sha256, version_id=version.id,
                                appeal_id=appeal.id, body_id=appeal.body_id,
                                decision=context["decision"],
                                issued_on=documents.today_in_venue(appeal)))
    db.session.flush()
    return version


def _slot_at(appeal: Appeal, row=...) -> str | None:
    """The appeal's reception slot (ISO), from its placement (``row``: already read, or None
    for none; read here when not given)."""
    row = placement_of(appeal) if row is ... else row
    return row.slot_at.isoformat() if row is not None and row.slot_at else None


def current_reply(appeal: Appeal) -> FileVersion | None:
    file = db.session.execute(db.select(EngineFile).where(
        EngineFile.item_id == appeal.id, EngineFile.name == "reply")).scalar()
    return file.current if file else None


def send_reply(appeal: Appeal, actor, via: str, today: date | None = None):
    """Record the reply as sent (R29) and set ``replied_on``; by e-mail through the outbox, or
    printed for post. After a refusal the case closes (``send_refusal``)."""
    if via not in VIA:
        raise CaseworkError("via", _("Choose how the reply is sent: e-mail or post."))
    if via == "email" and not appeal.email:
        raise CaseworkError("via", _("The applicant gave no e-mail address; print the reply "
                                     "for post."))
    name = "send_refusal" if appeal.state == "refused" else "send_reply"
    version = current_reply(appeal)
    entry = transition(appeal, name, actor, None, via=via,
                       version=version.number if version else None)
    appeal.replied_on = today or documents.today_in_venue(appeal)
    if via == "email":
        enqueue("docflow.reception.replies.email_reply", appeal.id, version.id,
                key=f"reply:{appeal.id}:{version.id}", title=f"reply {appeal.registration_number}")
    db.session.flush()
    return entry


def email_reply(appeal_id: int, version_id: int) -> dict:
    """Job: e-mail the reply PDF to the applicant (idempotent by its Message-ID)."""
    from ..engine.mail import _setting, message_id

    appeal = db.session.get(Appeal, appeal_id)
    version = db.session.get(FileVersion, version_id)
    if appeal is None or version is None or not appeal.email:
        return {"skipped": True}
    msg = EmailMessage()
    msg["Subject"] = appeal.registration_number
    msg["From"] = _setting("MAIL_FROM", "docflow@localhost")
    msg["To"] = appeal.email
    msg["Message-ID"] = message_id(f"reply:{appeal_id}:{version_id}")
    msg.set_content(appeal.registration_number + "\n")
    msg.add_attachment(read_version(version), maintype="application", subtype="pdf",
                       filename=version.safe_name)
    with smtplib.SMTP(_setting("MAIL_SERVER", "localhost"), int(_setting("MAIL_PORT", 25)),
                      timeout=30) as smtp:
        smtp.send_message(msg)
    return {"to": appeal.email}


def find_letter(code: str) -> IssuedLetter | None:
    """A letter by the code in its QR, or by the SHA-256 of its PDF file."""
    code = (code or "").strip().lower()
    if len(code) != 64 or any(c not in "0123456789abcdef" for c in code):
        return None
    return db.session.execute(db.select(IssuedLetter).where(
        (IssuedLetter.code == code) | (IssuedLetter.pdf_sha256 == code))).scalars().first()


def is_late(appeal: Appeal) -> bool:
    """R29: the reply went out after its due date."""
    return appeal.replied_on is not None and appeal.replied_on > appeal.reply_due
