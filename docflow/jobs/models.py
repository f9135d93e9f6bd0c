"""The outbox: every background job is first a row written in the caller's transaction (R39.4).

A request never fails because Redis or a worker is down, and a job is never lost: the row is
there until a worker has run it. A worker claims a row with a conditional UPDATE, so a job that
is dispatched twice still runs once.
"""
from datetime import UTC, datetime

from ..extensions import db


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class OutboxJob(db.Model):
    __tablename__ = "outbox_job"
    STATUSES = ("pending", "queued", "running", "done", "failed")

    id = db.Column(db.Integer, primary_key=True)
    queue = db.Column(db.String(32), nullable=False, default="default")
    func = db.Column(db.String(200), nullable=False)
    args = db.Column(db.JSON, nullable=False, default=list)
    kwargs = db.Column(db.JSON, nullable=False, default=dict)
    # A job with a key is enqueued once: a retry of the same action finds the existing row.
    key = db.Column(db.String(200), unique=True, nullable=True)
    title = db.Column(db.String(200), nullable=False, default="")
    status = db.Column(db.String(16), nullable=False, default="pending", index=True)
    attempts = db.Column(db.Integer, nullable=False, default=0)
    max_attempts = db.Column(db.Integer, nullable=False, default=5)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    available_at = db.Column(db.DateTime, nullable=False, default=utcnow, index=True)
    started_at = db.Column(db.DateTime, nullable=True)
    finished_at = db.Column(db.DateTime, nullable=True)
    error = db.Column(db.Text, nullable=True)
    result = db.Column(db.JSON, nullable=True)
    # Who asked for it (a page's "generate" button): they may watch it and retry it.
    created_by_id = db.Column(db.ForeignKey("user_account.id", ondelete="SET NULL"),
                              nullable=True, index=True)

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed")

    def __repr__(self) -> str:
        return f"<OutboxJob {self.id} {self.func} {self.status}>"
