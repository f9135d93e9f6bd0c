"""The append-only audit trail: sign-ins, transitions, sharing, downloads, restricted views (R11).

Rows are only ever inserted. The ORM refuses updates and deletes (mapper events, and a session
hook for bulk UPDATE/DELETE statements), and the database refuses them too: a trigger created with
the table on PostgreSQL and on SQLite (the lead's Alembic migration must create the same
triggers — :data:`TRIGGERS` holds their DDL).
"""
from __future__ import annotations

from flask import has_request_context, request
from sqlalchemy import DDL, event
from sqlalchemy.orm import Session

from ..extensions import db
from .content import utcnow


class AuditAppendOnly(RuntimeError):
    """An attempt to change or remove an audit row."""


class AuditEntry(db.Model):
    __tablename__ = "engine_audit"

    id = db.Column(db.Integer, primary_key=True)
    at = db.Column(db.DateTime, nullable=False, default=utcnow, index=True)
    actor_id = db.Column(db.Integer, nullable=True, index=True)  # no FK: outlives users
    action = db.Column(db.String(32), nullable=False, index=True)
    item_id = db.Column(db.Integer, nullable=True, index=True)  # no FK: outlives items
    detail = db.Column(db.JSON, nullable=True)
    ip = db.Column(db.String(45), nullable=True)


TRIGGERS = {
    "postgresql": [
        """CREATE OR REPLACE FUNCTION engine_audit_append_only() RETURNS trigger AS $$
           BEGIN RAISE EXCEPTION 'engine_audit is append-only'; END; $$ LANGUAGE plpgsql""",
        """CREATE TRIGGER engine_audit_no_change BEFORE UPDATE OR DELETE ON engine_audit
           FOR EACH ROW EXECUTE FUNCTION engine_audit_append_only()""",
    ],
    "sqlite": [
        """CREATE TRIGGER engine_audit_no_update BEFORE UPDATE ON engine_audit
           BEGIN SELECT RAISE(ABORT, 'engine_audit is append-only'); END""",
        """CREATE TRIGGER engine_audit_no_delete BEFORE DELETE ON engine_audit
           BEGIN SELECT RAISE(ABORT, 'engine_audit is append-only'); END""",
    ],
}
for _dialect, _statements in TRIGGERS.items():
    for _sql in _statements:
        event.listen(AuditEntry.__table__, "after_create",
                     DDL(_sql).execute_if(dialect=_dialect))


@event.listens_for(AuditEntry, "before_update")
@event.listens_for(AuditEntry, "before_delete")
def _refuse(mapper, connection, target):
    raise AuditAppendOnly("Audit rows cannot be changed or deleted.")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk(state):
    if (state.is_update or state.is_delete) and any(
            getattr(m, "class_", None) is AuditEntry for m in state.all_mappers):
        raise AuditAppendOnly("Audit rows cannot be changed or deleted.")


def _client_ip() -> str | None:
    return request.remote_addr if has_request_context() else None


def record(action: str, *, actor=None, item=None, detail: dict | None = None,
           ip: str | None = None) -> AuditEntry:
    """Append one audit row in the caller's transaction. Flushes, never commits."""
    entry = AuditEntry(action=action, actor_id=getattr(actor, "id", actor),
                       item_id=getattr(item, "id", item), detail=detail,
                       ip=ip or _client_ip())
    db.session.add(entry)
    db.session.flush()
    return entry


def audit_sign_in(user, *, success: bool = True, login: str | None = None,
                  ip: str | None = None) -> AuditEntry:
    """Record a sign-in attempt (the login view calls this; the caller commits)."""
    return record("sign_in" if success else "sign_in_failed", actor=user,
                  detail={"login": login or getattr(user, "login", None)}, ip=ip)


def audit_view(item, user) -> AuditEntry | None:
    """Record a view of a restricted item (R11); views of ordinary items are not recorded."""
    if not item.restricted:
        return None
    return record("view", actor=user, item=item)


def audit_download(version, user) -> AuditEntry:
    return record("download", actor=user, item=version.file.item_id,
                  detail={"file": version.file.name, "version": version.number,
                          "sha256": version.sha256})


def entries(item=None, action: str | None = None):
    """A select of audit rows, newest first."""
    stmt = db.select(AuditEntry).order_by(AuditEntry.id.desc())
    if item is not None:
        stmt = stmt.where(AuditEntry.item_id == getattr(item, "id", item))
    if action is not None:
        stmt = stmt.where(AuditEntry.action == action)
    return stmt
