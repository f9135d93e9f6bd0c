"""The immutable workflow history: one row per applied transition.

Rows store names (transition, states, workflow id) and the definition's version hash, never FKs
into the definition, so the history stays readable after the workflow file changes.
"""
from sqlalchemy import event

from ..extensions import db
from .content import utcnow


class HistoryEntry(db.Model):
    __tablename__ = "engine_history"

    id = db.Column(db.Integer, primary_key=True)
    item_id = db.Column(db.ForeignKey("engine_item.id", ondelete="CASCADE"), nullable=False,
                        index=True)
    at = db.Column(db.DateTime, nullable=False, default=utcnow)
    actor_id = db.Column(db.ForeignKey("user_account.id"), nullable=True)
    transition = db.Column(db.String(64), nullable=False)
    from_state = db.Column(db.String(64), nullable=True)
    to_state = db.Column(db.String(64), nullable=False)
    comment = db.Column(db.Text, nullable=True)
    data = db.Column(db.JSON, nullable=True)
    workflow_id = db.Column(db.String(64), nullable=False)
    workflow_version = db.Column(db.String(16), nullable=False)
    actor = db.relationship("User")


@event.listens_for(HistoryEntry, "before_update")
def _refuse_update(mapper, connection, target):
    raise ValueError("Workflow history rows are immutable.")
