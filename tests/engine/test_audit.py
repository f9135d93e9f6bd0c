"""The audit trail is append-only: the ORM, bulk statements and the database all refuse changes."""
import pytest
from sqlalchemy import delete, text, update
from sqlalchemy.exc import DBAPIError

from docflow.engine import audit_sign_in, audit_view, grant
from docflow.engine.audit import AuditAppendOnly, AuditEntry
from docflow.extensions import db


def test_actions_are_recorded(memo_app, new_memo):
    u = memo_app.memo.users
    memo, secret = new_memo(), new_memo(restricted=True)
    audit_sign_in(u.alice, ip="10.0.0.7")
    audit_sign_in(None, success=False, login="mallory")
    grant(memo, f"user:{u.nobody.id}", "reader", u.alice)
    assert audit_view(memo, u.alice) is None  # ordinary items: not recorded
    assert audit_view(secret, u.sam) is not None  # R11: every view of a restricted item
    db.session.commit()
    rows = db.session.execute(db.select(AuditEntry).order_by(AuditEntry.id)).scalars().all()
    assert [(r.action, r.actor_id, r.item_id) for r in rows] == [
        ("sign_in", u.alice.id, None), ("sign_in_failed", None, None),
        ("grant", u.alice.id, memo.id), ("view", u.sam.id, secret.id)]
    assert rows[0].ip == "10.0.0.7" and rows[1].detail == {"login": "mallory"}


def test_the_orm_refuses_updates_and_deletes(memo_app):
    entry = audit_sign_in(memo_app.memo.users.alice)
    db.session.commit()
    entry.action = "forged"
    with pytest.raises(AuditAppendOnly):
        db.session.flush()
    db.session.rollback()
    db.session.delete(entry)
    with pytest.raises(AuditAppendOnly):
        db.session.flush()
    db.session.rollback()
    for stmt in (update(AuditEntry).values(action="x"), delete(AuditEntry)):
        with pytest.raises(AuditAppendOnly):
            db.session.execute(stmt)
        db.session.rollback()
    assert db.session.execute(db.select(AuditEntry.action)).scalars().all() == ["sign_in"]


def test_the_database_refuses_updates_and_deletes_too(memo_app):
    """Even raw SQL, past the ORM, cannot rewrite the trail (trigger on SQLite and PostgreSQL)."""
    audit_sign_in(memo_app.memo.users.alice)
    db.session.commit()
    for sql in ("UPDATE engine_audit SET action = 'forged'", "DELETE FROM engine_audit"):
        with pytest.raises(DBAPIError, match="append-only"):
            with db.engine.begin() as conn:
                conn.execute(text(sql))
    assert db.session.execute(db.select(AuditEntry.action)).scalars().all() == ["sign_in"]
