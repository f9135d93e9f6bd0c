"""Items in containers: the rows every document, case file or memo is.

Domain models extend :class:`Item` by **joined-table inheritance**, polymorphic on ``type``::

    class Memo(Item):
        __tablename__ = "memo"
        id = db.Column(db.ForeignKey("engine_item.id", ondelete="CASCADE"), primary_key=True)
        body = db.Column(db.Text, nullable=False, default="")
        __mapper_args__ = {"polymorphic_identity": "memo"}

Why joined inheritance rather than a 1:1 FK: ``select(Memo)`` is an ``Item`` too, so the security
filter (``visible_filter``), the optimistic lock (``version``) and ``transition()`` apply to the
domain object directly, with no second object to keep in step.

``path`` is the materialized path of ids from the root (``/12/57/`` for item 57 in case file 12):
"contents of 12" and "local roles inherited from an ancestor" are prefix comparisons, no
recursion. ``version`` is SQLAlchemy's ``version_id_col``: an UPDATE on a stale version matches
no row and the edit is refused (:class:`StaleEdit`) — no timed locks.
"""
from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import cast, event, func, select, update
from sqlalchemy.orm import attributes
from sqlalchemy.orm.exc import StaleDataError

from ..dbprepared import PREPARED, statements_on
from ..extensions import db, dialect_name
from .errors import PermissionDenied, StaleEdit
from .i18n import _


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def new_uid() -> str:
    return uuid.uuid4().hex


class Item(db.Model):
    __tablename__ = "engine_item"

    id = db.Column(db.Integer, primary_key=True)
    uid = db.Column(db.String(32), unique=True, nullable=False, default=new_uid)
    # no index of its own: ix_engine_item_type_state and ix_engine_item_type_modified lead with it
    type = db.Column(db.String(64), nullable=False)
    title = db.Column(db.String(500), nullable=False, default="")
    parent_id = db.Column(db.ForeignKey("engine_item.id", ondelete="CASCADE"), nullable=True,
                          index=True)
    # no index of its own: ix_engine_item_path_prefix (below) serves equality and prefixes
    path = db.Column(db.String(1000), nullable=False, default="")
    owner_id = db.Column(db.ForeignKey("user_account.id"), nullable=True, index=True)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    modified_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    modified_by_id = db.Column(db.ForeignKey("user_account.id"), nullable=True)
    language = db.Column(db.String(5), nullable=True)
    state = db.Column(db.String(64), nullable=False, index=True)
    # no index: the visibility filter reads it with the state and the places
    # (ix_engine_item_open_appeal_cover includes it); a boolean's own index served no query
    restricted = db.Column(db.Boolean, nullable=False, default=False)
    version = db.Column(db.Integer, nullable=False)

    parent = db.relationship("Item", remote_side=[id], backref=db.backref(
        "children", lazy="dynamic", passive_deletes=True))
    owner = db.relationship("User", foreign_keys=[owner_id])
    modified_by = db.relationship("User", foreign_keys=[modified_by_id])
    place_rows = db.relationship("ItemPlace", cascade="all, delete-orphan", lazy="selectin",
                                 passive_deletes=True)

    __table_args__ = (db.Index("ix_engine_item_type_state", "type", "state"),
                      # newest-changed first (the search's default order) without a sort
                      db.Index("ix_engine_item_type_modified", "type", "modified_at", "id"),
                      # "contents of /12/" and local roles as literal prefixes (visible_filter):
                      # LIKE '/12/%' through an index whatever the database's collation
                      db.Index("ix_engine_item_path_prefix", "path",
                               postgresql_ops={"path": "varchar_pattern_ops"}))
    __mapper_args__ = {"polymorphic_on": type, "polymorphic_identity": "item",
                       "version_id_col": version}

    @property
    def places(self) -> frozenset[str]:
        """Where global roles apply to this item (strings like ``venue:3``; not interpreted)."""
        return frozenset(p.place for p in self.place_rows)

    @property
    def ancestor_ids(self) -> list[int]:
        """Ids from the root down to this item's parent, read from ``path``."""
        return [int(x) for x in self.path.strip("/").split("/") if x][:-1]

    def __repr__(self) -> str:
        return f"<Item {self.id} {self.type} {self.state}>"


class ItemPlace(db.Model):
    """An item is at one or more places; a global role held at a place applies there."""

    __tablename__ = "engine_item_place"

    item_id = db.Column(db.ForeignKey("engine_item.id", ondelete="CASCADE"), primary_key=True)
    place = db.Column(db.String(64), primary_key=True)

    # "items at these places" (visible_filter) as an index-only scan; also every lookup by
    # place alone (no single-column index besides it: each new item wrote both)
    __table_args__ = (db.Index("ix_engine_item_place_place_item", "place", "item_id"),)


@event.listens_for(Item, "after_insert", propagate=True)
def _set_path(mapper, connection, target: Item) -> None:
    """The path needs the new id: written in the same flush, without bumping ``version``."""
    if target.parent_id is None and target.parent is None:
        prefix = "/"
    else:
        parent = target.parent
        prefix = parent.path if parent is not None else connection.execute(
            db.select(Item.path).where(Item.id == target.parent_id)).scalar_one()
    path = f"{prefix}{target.id}/"
    connection.execute(update(Item.__table__).where(Item.__table__.c.id == target.id)
                       .values(path=path))
    attributes.set_committed_value(target, "path", path)


def create_item(model: type[Item], *, title: str, owner=None, parent: Item | None = None,
                places=(), restricted: bool | None = None, language: str | None = None,
                emit: bool = True, **fields) -> Item:
    """Create an item in its workflow's initial state. Flushes, never commits.

    Contents inherit the container's places and restriction unless given: a document in a
    restricted case file is restricted too.
    """
    from .core import current_engine
    from .events import emit as emit_event

    engine = current_engine()
    identity = model.__mapper__.polymorphic_identity
    workflow = engine.workflow_for(identity)
    if parent is not None:
        places = set(places) | set(parent.places)
        restricted = parent.restricted if restricted is None else restricted
    item = model(title=title, owner_id=getattr(owner, "id", None), parent=parent,
                 modified_by_id=getattr(owner, "id", None), language=language,
                 state=workflow.initial, restricted=bool(restricted), **fields)
    item.place_rows = [ItemPlace(place=p) for p in sorted(set(places))]
    db.session.add(item)
    db.session.flush()
    if emit:
        emit_event("created", item, owner, key=f"created:{item.uid}")
    return item


def set_places(item: Item, places) -> None:
    """Replace the item's places (e.g. a case redirected to another body, R2-1)."""
    wanted = set(places)
    item.place_rows = [p for p in item.place_rows if p.place in wanted] + [
        ItemPlace(place=p) for p in sorted(wanted - item.places)]


def touch(item: Item, actor) -> None:
    item.modified_at = utcnow()
    item.modified_by_id = getattr(actor, "id", None)


def update_item(item: Item, actor, *, expected_version: int | None = None, **fields) -> Item:
    """Edit fields of ``item`` as ``actor``. Flushes, never commits.

    Each field needs ``edit:<field>`` (which falls back to ``edit``) in the item's state.
    ``expected_version`` is the version the editor's form was built from; a different current
    version, or a concurrent commit between load and flush, raises :class:`StaleEdit` and
    nothing is written.
    """
    from .security import can

    for name in fields:
        if not hasattr(type(item), name) or name in PROTECTED_FIELDS:
            raise PermissionDenied(_("The field %(field)s cannot be edited.", field=name))
        if not can(actor, f"edit:{name}", item):
            raise PermissionDenied(_("You may not change the field %(field)s of this item in "
                                     "the state %(state)s.", field=name, state=item.state))
    if expected_version is not None and int(expected_version) != item.version:
        raise stale_edit(item)
    for name, value in fields.items():
        setattr(item, name, value)
    touch(item, actor)
    flush_item(item)
    return item


PROTECTED_FIELDS = frozenset({"id", "uid", "type", "path", "parent_id", "state", "version",
                              "owner_id", "created_at", "modified_at", "modified_by_id",
                              "restricted"})


def flush_item(item: Item) -> None:
    """Flush; a lost optimistic-lock race becomes :class:`StaleEdit` naming who won.

    The session must be rolled back after a failed flush, so this rolls back before reading
    who changed the item — nothing of the stale edit is kept.
    """
    item_id = item.id
    try:
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        fresh = db.session.get(Item, item_id)
        raise stale_edit(fresh) from None


def stale_edit(item: Item | None) -> StaleEdit:
    """The refusal message: who changed the item, and when (Plone-style 'changed by X at T')."""
    if item is None:
        return StaleEdit(_("This item has been deleted by someone else; nothing was saved."))
    db.session.refresh(item)
    who = item.modified_by.full_name if item.modified_by is not None else _("the system")
    when = item.modified_at.strftime("%Y-%m-%d %H:%M:%S UTC")
    return StaleEdit(_("This item was changed by %(who)s at %(when)s after you opened it; "
                       "nothing was saved. Reload it and make your change again.",
                       who=who, when=when),
                     changed_by=who, changed_at=item.modified_at, version=item.version)


def contents(container: Item, *, depth: int | None = None):
    """A select of everything inside ``container`` (one prefix query, any depth)."""
    stmt = db.select(Item).where(Item.path.startswith(container.path), Item.id != container.id)
    if depth == 1:
        stmt = db.select(Item).where(Item.parent_id == container.id)
    return stmt.order_by(Item.path)


def get_by_uid(uid: str) -> Item | None:
    return db.session.execute(db.select(Item).where(Item.uid == uid)).scalar_one_or_none()


# -- the lean path: one new item by Core INSERTs (bulk and API intake) ---------------------------

def _python_defaults(table, row: dict) -> dict:
    """``row`` completed with the table's Python-side column defaults (scalars and callables)."""
    for column in table.columns:
        if column.key in row or column.default is None or column.primary_key:
            continue
        default = column.default
        if default.is_scalar:
            row[column.key] = default.arg
        elif default.is_callable:
            row[column.key] = default.arg({})  # SQLAlchemy wraps callables to take a context
    return row


@dataclass(frozen=True)
class SqlParts:
    """What :func:`insert_item` adds to its one PostgreSQL statement: ``ctes`` (``name AS (...)``
    fragments run before the item's INSERTs, with their own bound ``params``), SQL expressions
    for some of the item's own-table columns (``values``: column -> expression; the column's
    Python value is then unused), a substitution in the catalog words (``words``: placeholder,
    expression — a value known only inside the statement, such as a number) and extra
    expressions returned after the id and path (``returning``). An expression may name the new
    item's ``engine_item`` values as columns (``owner_id``, ``created_at``, ``title``: the
    statement's ``new_id`` CTE) to write a copy of one without binding it again."""

    ctes: tuple[str, ...] = ()
    values: tuple[tuple[str, str], ...] = ()
    words: tuple[str, str] | None = None
    returning: tuple[str, ...] = ()
    extra_values: tuple[tuple[int, str, str], ...] = ()  # (extra row index, column, expression)


def insert_item(model: type[Item], *, title: str, owner=None, places=(),
                restricted: bool = False, language: str | None = None, fields: dict,
                extra: Sequence[tuple] = (), sql: SqlParts | None = None,
                params: dict | None = None, conn=None) -> tuple[int, dict]:
    """Create a top-level item without the ORM's unit of work: Core INSERTs only (the lean
    path of the API intake; :func:`create_item` stays the general one). Never commits.

    Writes the ``engine_item`` row with its id and ``path`` known before the INSERT (no UPDATE
    afterwards), the row of the item's own table (``fields``), its places, the catalog row
    (when the type is registered with the catalog: its words, from the registration's ``text``
    applied to the new row's values) and the ``extra`` rows — ``(table, row, item_id_column)`` tuples such as a log row pointing at the
    item. On PostgreSQL all of it is ONE statement (a chain of data-modifying CTEs, the id
    from the sequence); on SQLite one INSERT per table. Returns ``(item_id, engine_row)``.

    Unlike :func:`create_item` it emits no ``created`` event: the caller fires the engine's
    rules when any matches; no ORM object exists
    for the new item until someone loads it.

    ``sql`` (PostgreSQL only) adds CTEs and SQL-computed values to the statement (``params``
    binds them); the returned row then has ``returned``: the values of ``sql.returning``.
    ``conn`` (PostgreSQL): a :class:`~docflow.dbprepared.DriverConnection` that runs the
    statement instead of the session's connection.
    """
    from .catalog import CatalogText, row_for_insert
    from .core import current_engine

    identity = model.__mapper__.polymorphic_identity
    now = utcnow()
    owner_id = getattr(owner, "id", None)
    base = _python_defaults(Item.__table__, {
        "uid": new_uid(), "type": identity, "title": title, "parent_id": None,
        "owner_id": owner_id, "created_at": now, "modified_at": now, "modified_by_id": owner_id,
        "language": language, "state": current_engine().workflow_for(identity).initial,
        "restricted": bool(restricted), "version": 1})
    base.pop("path", None)  # written from the id, in the INSERT
    own = _python_defaults(model.__table__, dict(fields))
    place_rows = sorted(set(places))
    rows = [(t, _python_defaults(t, dict(r)), key) for t, r, key in extra]
    search_row = row_for_insert(identity, {**base, **own}, place_rows)
    if search_row is not None:
        rows.append((CatalogText.__table__, search_row, "item_id"))
    session = db.session
    if dialect_name() == "postgresql":
        sql = sql or SqlParts()
        catalog_index = len(rows) - 1 if search_row is not None else None
        stmt = _pg_insert_statement(model.__table__, tuple(base), tuple(own), bool(place_rows),
                                    tuple((t, tuple(r), key) for t, r, key in rows), sql,
                                    catalog_index)
        # every value by its name; the statement binds those it uses (SQLAlchemy's text()
        # ignores the others: the item's fixed values, the ones ``sql`` computes)
        bound = {f"i_{k}": v for k, v in base.items()}
        bound.update({f"m_{k}": v for k, v in own.items()})
        bound["i_places"] = place_rows
        for n, (_t, row, _key) in enumerate(rows):
            bound.update({f"x{n}_{k}": v for k, v in row.items()})
        bound.update(params or {})
        item_id, path, *returned = statements_on(conn, session).run(stmt, bound)
        return item_id, {**base, "id": item_id, "path": path, "returned": returned}
    else:
        table = Item.__table__
        next_id = select(func.coalesce(func.max(table.c.id), 0) + 1).scalar_subquery()
        item_id = session.execute(table.insert().values(
            id=next_id, path="/" + cast(next_id, db.String) + "/", **base)
            .returning(table.c.id)).scalar_one()
        path = f"/{item_id}/"
        session.execute(model.__table__.insert().values(id=item_id, **own))
        if place_rows:
            session.execute(ItemPlace.__table__.insert(),
                            [{"item_id": item_id, "place": p} for p in place_rows])
        for t, row, key in rows:
            session.execute(t.insert().values({key: item_id, **row}))
    return item_id, {**base, "id": item_id, "path": path}


#: ``engine_item`` values :func:`insert_item` sets the same way for every new item, written as
#: SQL in its PostgreSQL statement rather than bound: a top-level item, at version 1, modified
#: when and by whom it was created.
_PG_ITEM_SQL = {"parent_id": "NULL", "version": "1", "modified_at": "created_at",
                "modified_by_id": "owner_id"}


def _pg_type(column) -> str:
    """The column's type as the statement casts a bound value to it (PostgreSQL)."""
    from sqlalchemy.dialects import postgresql

    return column.type.compile(dialect=postgresql.dialect()).replace(
        "TIMESTAMP WITHOUT TIME ZONE", "TIMESTAMP")


@functools.cache
def _pg_insert_statement(own_table, base_cols: tuple, own_cols: tuple, places: bool,
                         extra: tuple, sql: SqlParts = SqlParts(), catalog_index: int | None = None):
    """The chained INSERTs of :func:`insert_item` on PostgreSQL, built once per shape.

    Each value is bound once: psycopg caches its conversion of a query only below
    ``psycopg._queries.MAX_CACHED_STATEMENT_LENGTH`` bytes and ``MAX_CACHED_STATEMENT_PARAMS``
    parameters (tests/api/test_lean_intake.py pins the API intake's statement under both).
    The ``new_id`` CTE holds the new item's id and its bound values (``:i_<column>``, and
    ``places`` as an array) as columns, which every INSERT selects by name: the item's own row
    (its fixed values as SQL, ``_PG_ITEM_SQL``), its places, and the search row's copies of
    the item (``catalog.ITEM_COPIES``). ``sql``'s expressions may name them too."""
    from sqlalchemy import text

    from .catalog import ITEM_COPIES

    def values(table, cols, prefix, given):
        return ", ".join(given[c] if c in given else
                         f"CAST(:{prefix}{c} AS {_pg_type(table.c[c])})" for c in cols)

    item = Item.__table__
    carried = [c for c in base_cols if c not in _PG_ITEM_SQL]
    new_values = "".join(f", CAST(:i_{c} AS {_pg_type(item.c[c])}) AS {c}" for c in carried)
    item_given = {**{c: c for c in carried}, **_PG_ITEM_SQL}
    ctes = [*sql.ctes,
            f"new_id AS (SELECT nextval(pg_get_serial_sequence('{item.name}', 'id')) AS id"
            f"{new_values}, CAST(:i_places AS TEXT[]) AS places)",
            f"i AS (INSERT INTO {item.name} (id, path, {', '.join(base_cols)}) "
            f"SELECT id, '/' || id || '/', {values(item, base_cols, 'i_', item_given)} "
            f"FROM new_id RETURNING id, path)",
            f"m AS (INSERT INTO {own_table.name} (id, {', '.join(own_cols)}) "
            f"SELECT id, {values(own_table, own_cols, 'm_', dict(sql.values))} FROM new_id)"]
    if places:
        ctes.append(f"p AS (INSERT INTO {ItemPlace.__table__.name} (item_id, place) "
                    f"SELECT id, unnest(places) FROM new_id)")
    for n, (table, cols, key) in enumerate(extra):
        given = {c: e for i, c, e in sql.extra_values if i == n}
        if n == catalog_index:
            given.update({c: item_given[a] for c, a in ITEM_COPIES.items()},
                         indexed_at=item_given["modified_at"], places="places")
            if sql.words is not None:
                placeholder, expression = sql.words
                given["words"] = f"replace(CAST(:x{n}_words AS TEXT), '{placeholder}', {expression})"
        ctes.append(f"x{n} AS (INSERT INTO {table.name} ({key}, {', '.join(cols)}) "
                    f"SELECT id, {values(table, cols, f'x{n}_', given)} FROM new_id)")
    returning = "".join(f", {e}" for e in sql.returning)
    # kept prepared on the server (docflow.dbprepared): parsed and planned once per connection
    return text("WITH " + ",\n".join(ctes) + f"\nSELECT id, path{returning} FROM i"
                ).execution_options(**PREPARED)
