"""Each responsible employee's open load per body: the counter behind the least-loaded rule (R25).

``assignment_load`` holds, per (body, employee), how many of the body's appeals in the rule's open
states (assignment.toml ``open_states``) the employee is responsible for. Choosing the least
loaded employee then reads a handful of rows instead of counting the body's open appeals.

The counter is kept in ONE place, this module:

* every ORM flush that creates, deletes or changes the state, the body or the responsible
  employee of an appeal (intake, reassignment, redirect, every workflow transition) moves it
  through :func:`_before_flush` / :func:`_after_flush`, in the flush's own transaction;
* the lean API intake, which writes with Core, adds its +1 with :func:`bump` (SQLite) or the
  statement fragment :func:`pg_choose_and_bump_ctes` (PostgreSQL, inside its one INSERT).

:func:`naive_counts` is the definition (a count over the appeals); :func:`recount` rebuilds the
table from it (backfill, bulk data, a change of ``open_states``). Concurrent intakes stay exact:
the choice locks the body's counter rows (``FOR UPDATE``) and reads their current values, so a
second intake for the body waits for the first to commit and then sees its +1.
"""
from functools import cache

from sqlalchemy import and_, bindparam, event, func, inspect, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..extensions import db, dialect_name

_MISSING = object()
_PENDING = "docflow_load_before"  # session.info key: old (body, user, state) per flushed appeal


class AssignmentLoad(db.Model):
    __tablename__ = "assignment_load"

    body_id = db.Column(db.ForeignKey("body.id", ondelete="CASCADE"), primary_key=True)
    user_id = db.Column(db.ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    open_count = db.Column(db.Integer, nullable=False, default=0)


# -- which appeals count --------------------------------------------------------------------------

_body_codes: dict[int, str] = {}


def _body_code(connection, body_id: int) -> str:
    code = _body_codes.get(body_id)
    if code is None:
        from ..reference.models import Body
        code = connection.execute(select(Body.code).where(Body.id == body_id)).scalar_one()
        _body_codes[body_id] = code
    return code


def open_states_for(body_code: str) -> frozenset[str]:
    from .assignment import rule_for
    return frozenset(rule_for(body_code)["open_states"])


def _counts(connection, body_id, user_id, state) -> bool:
    """Whether an appeal of ``body_id`` in ``state`` counts in ``user_id``'s open load."""
    if body_id is None or user_id is None or state is None:
        return False
    from .assignment import rules
    if not rules().get("bodies"):  # one rule for every body: no need to know the body's code
        return state in open_states_for("")
    return state in open_states_for(_body_code(connection, body_id))


# -- the counter's one writer ---------------------------------------------------------------------

@cache
def _upsert(dialect: str):
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect]
    table = AssignmentLoad.__table__
    stmt = insert(table).values(body_id=bindparam("body_id"), user_id=bindparam("user_id"),
                                open_count=bindparam("delta"))
    return stmt.on_conflict_do_update(
        index_elements=[table.c.body_id, table.c.user_id],
        set_={"open_count": table.c.open_count + stmt.excluded.open_count})


def apply(connection, deltas: dict[tuple[int, int], int]) -> None:
    """Add each (body, user) delta, in key order (concurrent writers lock rows in one order)."""
    rows = [{"body_id": b, "user_id": u, "delta": d} for (b, u), d in sorted(deltas.items()) if d]
    if rows:
        connection.execute(_upsert(connection.dialect.name), rows)


def bump(connection, body_id: int, user_id: int | None, state: str) -> None:
    """+1 for a new appeal written without the ORM (the lean intake on SQLite)."""
    if _counts(connection, body_id, user_id, state):
        apply(connection, {(body_id, user_id): 1})


def _appeal_class():
    from .models import Appeal
    return Appeal


_TRACKED = ("state", "responsible_id", "body_id")


def _old_value(state, key):
    history = state.attrs[key].history
    if history.deleted:
        return history.deleted[0]
    if history.unchanged:
        return history.unchanged[0]
    return _MISSING  # never loaded (set blind, or expired): read from the database


@event.listens_for(Session, "before_flush")
def _before_flush(session, flush_context, instances) -> None:
    """Remember, for each appeal this flush changes, what it counted for before."""
    appeal = _appeal_class()
    old: dict[int, tuple | None] = {}
    unknown: list = []
    for obj in list(session.dirty) + list(session.deleted):
        if not isinstance(obj, appeal) or obj.id is None:
            continue
        st = inspect(obj)
        deleted = obj in session.deleted
        if not deleted and not any(st.attrs[k].history.has_changes()
                                   for k in (*_TRACKED, "responsible", "body")):
            continue
        values = tuple(_old_value(st, k) for k in _TRACKED)
        if _MISSING in values:
            unknown.append(obj.id)
        old[id(obj)] = values
    if unknown:
        from ..engine.content import Item
        a, i = appeal.__table__, Item.__table__
        rows = session.connection().execute(
            select(a.c.id, i.c.state, a.c.responsible_id, a.c.body_id)
            .join(i, i.c.id == a.c.id).where(a.c.id.in_(unknown))).all()
        by_id = {r[0]: r[1:] for r in rows}
        for obj in list(session.dirty) + list(session.deleted):
            if id(obj) in old and obj.id in by_id:
                old[id(obj)] = by_id[obj.id]
    for obj in session.new:
        if isinstance(obj, appeal):
            old[id(obj)] = None
    session.info[_PENDING] = old


@event.listens_for(Session, "after_flush")
def _after_flush(session, flush_context) -> None:
    """Move the counters from what each flushed appeal counted for to what it counts for now."""
    old = session.info.pop(_PENDING, None)
    if not old:
        return
    connection = session.connection()
    deltas: dict[tuple[int, int], int] = {}
    by_key = {id(o): o for o in (*session.new, *session.dirty, *session.deleted)}
    for key, before in old.items():
        obj = by_key.get(key)
        if obj is None:
            continue
        if before is not None:
            state, user, body = before
            if _counts(connection, body, user, state):
                deltas[(body, user)] = deltas.get((body, user), 0) - 1
        if obj not in session.deleted:
            state, user, body = obj.state, obj.responsible_id, obj.body_id
            if _counts(connection, body, user, state):
                deltas[(body, user)] = deltas.get((body, user), 0) + 1
    apply(connection, deltas)


# -- reading it -----------------------------------------------------------------------------------

def naive_counts(body_id: int | None = None, *, connection=None) -> dict[tuple[int, int], int]:
    """The definition: open appeals per (body, responsible employee), counted from the appeals
    (each body with its own rule's open states). Tests compare the counter with it.
    ``connection``: read there instead of the session (the migration's backfill)."""
    from ..engine.content import Item
    from ..reference.models import Body
    appeal = _appeal_class()
    a, i = appeal.__table__, Item.__table__
    stmt = (select(a.c.body_id, a.c.responsible_id, i.c.state, Body.code, func.count())
            .join(i, i.c.id == a.c.id).join(Body, Body.id == a.c.body_id)
            .where(a.c.responsible_id.is_not(None))
            .group_by(a.c.body_id, a.c.responsible_id, i.c.state, Body.code))
    if body_id is not None:
        stmt = stmt.where(a.c.body_id == body_id)
    counts: dict[tuple[int, int], int] = {}
    for body, user, state, code, n in (connection or db.session).execute(stmt):
        if state in open_states_for(code):
            counts[(body, user)] = counts.get((body, user), 0) + n
    return counts


def stored_counts(body_id: int | None = None) -> dict[tuple[int, int], int]:
    """The counter's non-zero rows."""
    t = AssignmentLoad.__table__
    stmt = select(t.c.body_id, t.c.user_id, t.c.open_count).where(t.c.open_count != 0)
    if body_id is not None:
        stmt = stmt.where(t.c.body_id == body_id)
    return {(b, u): n for b, u, n in db.session.execute(stmt)}


def recount(*, connection=None) -> int:
    """Rebuild the counter from the appeals (backfill, bulk-loaded data, a changed rule).
    Flushes, never commits; returns the number of rows written. ``connection``: write there
    instead of the session (the migration's backfill)."""
    target = connection or db.session
    counts = naive_counts(connection=connection)
    target.execute(AssignmentLoad.__table__.delete())
    if counts:
        target.execute(AssignmentLoad.__table__.insert(), [
            {"body_id": b, "user_id": u, "open_count": n} for (b, u), n in sorted(counts.items())])
    return len(counts)


def ensure_rows_stmt(role: str):
    """Zero rows for the body's holders of ``role`` that have none yet (a new employee), so the
    choice's lock covers every candidate. ``body_id`` is a bound parameter."""
    return _ensure(role, dialect_name())


@cache
def _ensure(role: str, dialect: str):
    from ..auth.models import RoleAssignment
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect]
    t = AssignmentLoad.__table__
    holders = (select(RoleAssignment.body_id, RoleAssignment.user_id, 0)
               .where(RoleAssignment.role == role, RoleAssignment.body_id == bindparam("body_id"))
               .distinct())
    return insert(t).from_select(["body_id", "user_id", "open_count"], holders) \
        .on_conflict_do_nothing(index_elements=[t.c.body_id, t.c.user_id])


def unloaded_holders(role: str, body):
    """A scalar subquery: how many of ``body``'s holders of ``role`` have no counter row yet
    (``body`` a column or a bound parameter)."""
    from ..auth.models import RoleAssignment
    t = AssignmentLoad.__table__
    return (select(func.count()).select_from(RoleAssignment)
            .outerjoin(t, and_(t.c.body_id == RoleAssignment.body_id,
                               t.c.user_id == RoleAssignment.user_id))
            .where(RoleAssignment.role == role, RoleAssignment.body_id == body,
                   t.c.user_id.is_(None)).scalar_subquery())


def least_loaded_select(role: str, columns):
    """The active holder of ``role`` at the body (bound ``body_id``) with the smallest open
    load; ties by name, then login. The body's counter rows are locked first (FOR UPDATE: a
    concurrent intake for the body waits, then reads the counts as committed)."""
    from ..auth.models import RoleAssignment, User
    t = AssignmentLoad.__table__
    locked = (select(t.c.user_id, t.c.open_count).where(t.c.body_id == bindparam("body_id"))
              .with_for_update().subquery("locked"))
    return (select(*columns).select_from(User)
            .join(RoleAssignment, RoleAssignment.user_id == User.id)
            .outerjoin(locked, locked.c.user_id == User.id)
            .where(RoleAssignment.role == role, RoleAssignment.body_id == bindparam("body_id"),
                   User.active.is_(True))
            .order_by(func.coalesce(locked.c.open_count, 0), User.full_name, User.login)
            .limit(1))


def pg_choose_and_bump_ctes(rule: dict, counts: bool) -> tuple[str, ...]:
    """The lean intake's choice as CTEs of its one PostgreSQL statement: ``chosen`` (id, login)
    by the rule — least loaded: the body's counter rows locked, then read — and, when a new
    appeal counts in the open load (``counts``), the chosen employee's +1. Bound parameters:
    ``a_body`` and ``a_role`` (least loaded) or ``a_login`` (fixed)."""
    if rule["strategy"] == "fixed":
        ctes = ["chosen AS (SELECT id, login FROM user_account WHERE login = "
                "CAST(:a_login AS VARCHAR))"]
    else:
        ctes = ["locked AS (SELECT user_id, open_count FROM assignment_load "
                "WHERE body_id = CAST(:a_body AS INTEGER) FOR UPDATE)",
                "chosen AS (SELECT u.id, u.login FROM user_account u "
                "JOIN role_assignment ra ON ra.user_id = u.id "
                "LEFT JOIN locked ON locked.user_id = u.id "
                "WHERE ra.role = CAST(:a_role AS VARCHAR) AND ra.body_id = CAST(:a_body AS INTEGER) "
                "AND u.active ORDER BY coalesce(locked.open_count, 0), u.full_name, u.login "
                "LIMIT 1)"]
    if counts:
        ctes.append("bumped AS (INSERT INTO assignment_load (body_id, user_id, open_count) "
                    "SELECT CAST(:a_body AS INTEGER), id, 1 FROM chosen "
                    "ON CONFLICT (body_id, user_id) DO UPDATE "
                    "SET open_count = assignment_load.open_count + 1)")
    return tuple(ctes)


# -- the command ----------------------------------------------------------------------------------

def _cli():
    import click
    from flask.cli import AppGroup

    group = AppGroup("assignment", help="The responsible employees' open loads (R25).")

    @group.command("recount")
    def recount_command():
        """Rebuild the open-load counter from the appeals: after a change of open_states in
        docflow/reception/assignment.toml (and a restart), or after a bulk import."""
        rows = recount()
        db.session.commit()
        click.echo(f"{rows} (body, employee) loads counted.")

    return group
