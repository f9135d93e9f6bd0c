"""The head's delegation to a deputy (R26): a deputy decides on a brief only while a recorded
delegation from a head of the same body covers the day. Recorded, never implied by the role."""
from datetime import date

from flask_babel import gettext as _

from ..engine.audit import record
from ..engine.content import utcnow
from ..extensions import db
from ..i18n import local_today


class DelegationError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


class Delegation(db.Model):
    __tablename__ = "head_delegation"

    id = db.Column(db.Integer, primary_key=True)
    body_id = db.Column(db.ForeignKey("body.id"), nullable=False, index=True)
    head_id = db.Column(db.ForeignKey("user_account.id"), nullable=False)
    deputy_id = db.Column(db.ForeignKey("user_account.id"), nullable=False, index=True)
    starts_on = db.Column(db.Date, nullable=False)
    ends_on = db.Column(db.Date, nullable=False)
    reason = db.Column(db.String(500), nullable=False)
    recorded_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    head = db.relationship("User", foreign_keys=[head_id])
    deputy = db.relationship("User", foreign_keys=[deputy_id])
    body = db.relationship("Body")


def _holds(user, role: str, body_id: int) -> bool:
    return any(r.role == role and r.body_id == body_id for r in user.roles)


def delegate(head, deputy, body, starts_on: date, ends_on: date, reason: str) -> Delegation:
    """Record that ``deputy`` acts for ``head`` at ``body`` from ``starts_on`` to ``ends_on``
    (inclusive). Flushes, never commits."""
    if not _holds(head, "head", body.id):
        raise DelegationError("head", _("Only a head of this body may delegate."))
    if not _holds(deputy, "deputy", body.id):
        raise DelegationError("deputy", _("%(name)s is not a deputy head of this body.",
                                          name=deputy.full_name or deputy.login))
    if ends_on < starts_on:
        raise DelegationError("ends_on", _("The delegation ends before it starts."))
    if not (reason or "").strip():
        raise DelegationError("reason", _("Give the reason for the delegation."))
    row = Delegation(body_id=body.id, head_id=head.id, deputy_id=deputy.id,
                     starts_on=starts_on, ends_on=ends_on, reason=reason.strip())
    db.session.add(row)
    db.session.flush()
    record("delegation", actor=head, detail={"deputy": deputy.login, "body": body.code,
                                             "from": starts_on.isoformat(),
                                             "to": ends_on.isoformat(), "reason": reason})
    return row


def active_delegation(deputy, body_id: int, day: date | None = None) -> Delegation | None:
    day = day or local_today()
    if deputy is None or getattr(deputy, "id", None) is None:
        return None
    return db.session.execute(db.select(Delegation).where(
        Delegation.deputy_id == deputy.id, Delegation.body_id == body_id,
        Delegation.starts_on <= day, Delegation.ends_on >= day)
        .order_by(Delegation.id.desc())).scalars().first()


def delegations_of(body_id: int) -> list[Delegation]:
    return list(db.session.execute(db.select(Delegation).where(Delegation.body_id == body_id)
                                   .order_by(Delegation.starts_on.desc())).scalars())
