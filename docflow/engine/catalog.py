"""The catalog: filtered, faceted, paginated search with full text in Kazakh and Russian (issue 4).

The application registers, per content type, which columns are facets (and so filters), which
other filters and sort keys exist, and which fields feed the full text::

    catalog.register(type="appeal",
                     text=lambda a: [a.subject, a.text, a.registration_number, a.last_name],
                     facets={"channel": Appeal.channel, "venue": Appeal.venue_id},
                     filters={"overdue": lambda values, user: overdue_clause()},
                     sorts={"registered": Appeal.registered_on})

    search(user, q=, type=, filters=, facets=, sort=, page=, per_page=) -> SearchResult
    count(user, q=, type=, filters=)                 # one COUNT, for counters
    reindex_item(item); reindex_all(type=None)       # keep / rebuild the full-text index
    save_search(user, name, **query); saved_searches(user); saved_counters(user)
    delete_saved_search(user, search_id)

**Permissions are applied at query time**: the list, the total and every facet count carry
:func:`~docflow.engine.security.visible_filter`, so a restricted item (R11) an uncleared user
may not see is neither listed nor counted, and nothing is re-indexed when roles change.

**Full text, the same on both backends.** The words of an item (its title, the registered text
fields, the extracted text of the latest version of each of its files) are normalized here, in
Python — NFKC, lower case (Kazakh ә ғ қ ң ө ұ ү һ і included, whatever the database's locale),
split into runs of letters and digits, each kept once — and stored in ``engine_catalog_text``.
SQLite indexes them with FTS5 (``unicode61 remove_diacritics 0``), PostgreSQL with a generated
``tsvector`` column (configuration ``simple``: no stemming, which PostgreSQL lacks for Kazakh)
in ONE GIN index with the row's places and facet keys. The user's query is normalized the
same way, so every query word is prefix-matched, all words are required, and quotes,
operators, ``*`` or ``:`` in the query are mere separators: they cannot reach either query
language (on PostgreSQL a query word is asked as the indexed words it is a prefix of, from
``engine_catalog_word``: :func:`expansions`, an exact scan the index intersects with the
user's places as it reads, where a prefix scan collects every TID first). The index is kept
in step in the writer's transaction by the engine's ``item_event`` signal (created,
transitioned, file_added) and by :func:`reindex_item`, which the application calls after
editing indexed fields.
"""
from __future__ import annotations

import functools
import json
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sqlalchemy import (
    DDL,
    Boolean,
    Integer,
    Text,
    and_,
    bindparam,
    case,
    cast,
    event,
    false,
    func,
    inspect,
    literal,
    literal_column,
    null,
    select,
    table,
    text,
    true,
    tuple_,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSQUERY
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, attributes
from sqlalchemy.sql.functions import FunctionElement

from ..extensions import db, dialect_name
from .content import Item, utcnow
from .errors import EngineError
from .events import item_event
from .files import EngineFile, FileVersion
from .i18n import _

MAX_QUERY_CHARS = 200
MAX_QUERY_WORDS = 12
MAX_WORD_CHARS = 64       # longer runs (hashes, base64) are not words anyone types
MAX_PAGE = 500            # offset pagination; beyond it the reader should narrow the search
MAX_PER_PAGE = 100
MAX_FILTER_VALUES = 50
MAX_FACET_VALUES = 50
#: The total and the facets count at most this many matches (on PostgreSQL, where they are one
#: statement): past it the page says "10,000+" and each facet count is a lower bound. Counting
#: every match of a common word a national role may see would read hundreds of thousands of
#: rows for a number nobody reads; MAX_PAGE pages of 20 are 10,000 results too.
COUNT_LIMIT = 10_000
MAX_NAME_CHARS = 100
MAX_INDEX_CHARS = 500_000  # far below PostgreSQL's 1 MB tsvector limit
INDEXED_EVENTS = ("created", "transitioned", "file_added")

_WORD = re.compile(r"[^\W_]+")


class CatalogError(EngineError):
    """A search the catalog cannot run as asked (bad query, page, facet, sort); the message
    says what to change."""

    status = 400


# -- words ---------------------------------------------------------------------------------------

def words_of(text: str | None) -> list[str]:
    """The searchable words of ``text``: NFKC, lower-cased, runs of letters and digits."""
    if not text:
        return []
    return _WORD.findall(unicodedata.normalize("NFKC", str(text)).lower())


def index_words(parts: Iterable[str | None]) -> str:
    """The document stored in the index: each word once, in order of appearance."""
    seen: dict[str, None] = {}
    size = 0
    for part in parts:
        for word in words_of(part):
            if len(word) > MAX_WORD_CHARS or word in seen:
                continue
            size += len(word) + 1
            if size > MAX_INDEX_CHARS:
                return " ".join(seen)
            seen[word] = None
    return " ".join(seen)


def query_words(q: str | None) -> list[str]:
    """The words of a user's query, checked; raises :class:`CatalogError` with advice."""
    if q is None or not q.strip():
        return []
    if len(q) > MAX_QUERY_CHARS:
        raise CatalogError(_("The search text is too long: at most %(n)s characters.",
                             n=MAX_QUERY_CHARS))
    found = list(dict.fromkeys(words_of(q)))
    if not found:
        raise CatalogError(_("The search text has no letters or digits to look for."))
    if len(found) > MAX_QUERY_WORDS:
        raise CatalogError(_("Search for at most %(n)s words at a time.", n=MAX_QUERY_WORDS))
    if any(len(w) > MAX_WORD_CHARS for w in found):
        raise CatalogError(_("A search word is too long: at most %(n)s characters.",
                             n=MAX_WORD_CHARS))
    return found


# -- the index table -----------------------------------------------------------------------------

#: A list of strings: a text[] on PostgreSQL (GIN-indexed), a JSON list on SQLite.
KEYS = db.JSON().with_variant(ARRAY(Text), "postgresql")
#: A JSON object of strings: jsonb on PostgreSQL.
SORT_KEYS = db.JSON().with_variant(JSONB(), "postgresql")


class CatalogText(db.Model):
    """The search row of one item: its normalized words (the database's full-text index is built
    on ``words``) and a copy of what a search filters, counts and orders by, so that "the words,
    what the user may see, the facets" is answered by this one table and its indexes:

    * ``type``, ``state``, ``restricted``, ``owner_id``, ``places`` — what
      :func:`~docflow.engine.security.visible_filter` reads (``places``: the item's
      ``engine_item_place`` rows, as a list);
    * ``facets`` — one ``"name=value"`` string per registered facet (:func:`facet_key`);
    * ``modified_at`` — the default order.

    Kept in step by this module only: :func:`_write` (the item's events and
    :func:`reindex_item`), the flush hook :func:`_refresh_changed` (any ORM change of those
    values, places and facet columns included), :func:`row_for_insert` (the lean insert path,
    ``content.insert_item``), and :func:`backfill_statements` (a database from before them).
    """

    __tablename__ = "engine_catalog_text"

    item_id = db.Column(db.ForeignKey("engine_item.id", ondelete="CASCADE"), primary_key=True)
    words = db.Column(db.Text, nullable=False, default="")
    indexed_at = db.Column(db.DateTime, nullable=False, default=utcnow, onupdate=utcnow)
    type = db.Column(db.String(64), nullable=True)
    state = db.Column(db.String(64), nullable=True)
    restricted = db.Column(db.Boolean, nullable=True)
    owner_id = db.Column(db.Integer, nullable=True)
    modified_at = db.Column(db.DateTime, nullable=True)
    places = db.Column(KEYS, nullable=True)
    facets = db.Column(KEYS, nullable=True)
    #: the type's own sort keys, ``{"registered": "2025-03-04", ...}`` (:func:`sort_key`)
    sorts = db.Column(SORT_KEYS, nullable=True)

    # PostgreSQL: "these words, at these places, with these facet values" is ONE multi-column
    # GIN index on (places, facets, tsv), in FULLTEXT_DDL (tsv is not a model column): one
    # index scan intersects its keys as it reads them, skipping ahead in each posting tree,
    # where a BitmapAnd of two indexes first collected every TID of each


#: Every word of PostgreSQL's full-text index (the lexemes of ``engine_catalog_text.tsv``): a
#: query word is looked up as the indexed words it is a prefix of (a handful), so the GIN scan
#: is an exact one, which intersects with the places as it goes, instead of a prefix scan that
#: collects every TID of the prefix first (5-10x the time for a common word).
#:
#: Kept complete by triggers on ``engine_catalog_text`` (FULLTEXT_DDL): every insert and every
#: change of ``words`` adds the row's lexemes the table lacks, in the writer's transaction, so
#: a row a search can see has its words here too. No unique constraint, on purpose: two
#: transactions adding the same new word each add it (a duplicate costs nothing: the lookup is
#: DISTINCT) instead of the second waiting for the first to commit, which would couple
#: unrelated writers. Words are never removed (one that no longer occurs costs an index probe
#: that finds nothing). :func:`fill_words` fills it for rows written with triggers off (bulk
#: generation) or before it existed. Unused on SQLite (FTS5 matches prefixes itself).
CatalogWord = db.Table(
    "engine_catalog_word", db.metadata,
    db.Column("word", db.Text, nullable=False),
    # equality (the triggers) and the prefix range (``word ~>=~ 'w' AND word ~<~ ...``),
    # whatever the database's collation
    db.Index("ix_engine_catalog_word_prefix", "word",
             postgresql_ops={"word": "text_pattern_ops"}),
)


#: DDL beyond the model, per dialect (the Alembic migration must run the same statements).
#: SQLite: an external-content FTS5 table kept in step by triggers; PostgreSQL: a generated
#: tsvector column, the search rows' GIN index and the triggers keeping engine_catalog_word.
FULLTEXT_DDL = {
    "sqlite": [
        """CREATE VIRTUAL TABLE engine_catalog_fts USING fts5(
               words, content='engine_catalog_text', content_rowid='item_id',
               tokenize='unicode61 remove_diacritics 0')""",
        """CREATE TRIGGER engine_catalog_text_ai AFTER INSERT ON engine_catalog_text BEGIN
               INSERT INTO engine_catalog_fts(rowid, words) VALUES (new.item_id, new.words);
           END""",
        """CREATE TRIGGER engine_catalog_text_ad AFTER DELETE ON engine_catalog_text BEGIN
               INSERT INTO engine_catalog_fts(engine_catalog_fts, rowid, words)
               VALUES ('delete', old.item_id, old.words);
           END""",
        """CREATE TRIGGER engine_catalog_text_au AFTER UPDATE ON engine_catalog_text BEGIN
               INSERT INTO engine_catalog_fts(engine_catalog_fts, rowid, words)
               VALUES ('delete', old.item_id, old.words);
               INSERT INTO engine_catalog_fts(rowid, words) VALUES (new.item_id, new.words);
           END""",
    ],
    "postgresql": [
        """ALTER TABLE engine_catalog_text ADD COLUMN tsv tsvector
               GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, words)) STORED""",
        """CREATE INDEX ix_engine_catalog_text_search ON engine_catalog_text
               USING gin (places, facets, tsv)""",
        # AFTER triggers: the generated tsv is computed by then
        """CREATE FUNCTION engine_catalog_word_add() RETURNS trigger LANGUAGE plpgsql AS $$
           BEGIN
               INSERT INTO engine_catalog_word (word)
               SELECT lexeme FROM unnest(tsvector_to_array(NEW.tsv)) AS lexeme
               WHERE NOT EXISTS (SELECT 1 FROM engine_catalog_word w WHERE w.word = lexeme);
               RETURN NULL;
           END $$""",
        """CREATE TRIGGER engine_catalog_text_words_ai AFTER INSERT ON engine_catalog_text
               FOR EACH ROW EXECUTE FUNCTION engine_catalog_word_add()""",
        """CREATE TRIGGER engine_catalog_text_words_au AFTER UPDATE OF words
               ON engine_catalog_text FOR EACH ROW
               WHEN (OLD.words IS DISTINCT FROM NEW.words)
               EXECUTE FUNCTION engine_catalog_word_add()""",
    ],
}
#: DDL to undo FULLTEXT_DDL (a migration's downgrade), per dialect.
FULLTEXT_DROP = {
    "sqlite": ["DROP TRIGGER IF EXISTS engine_catalog_text_au",
               "DROP TRIGGER IF EXISTS engine_catalog_text_ad",
               "DROP TRIGGER IF EXISTS engine_catalog_text_ai",
               "DROP TABLE IF EXISTS engine_catalog_fts"],
    "postgresql": ["DROP TRIGGER IF EXISTS engine_catalog_text_words_au ON engine_catalog_text",
                   "DROP TRIGGER IF EXISTS engine_catalog_text_words_ai ON engine_catalog_text",
                   "DROP FUNCTION IF EXISTS engine_catalog_word_add()",
                   "DROP INDEX IF EXISTS ix_engine_catalog_text_search",
                   "DROP INDEX IF EXISTS ix_engine_catalog_text_tsv",
                   "ALTER TABLE engine_catalog_text DROP COLUMN IF EXISTS tsv"],
}
#: The search rows' indexes of the earlier schema, which ix_engine_catalog_text_search replaces
#: (a migration, bench/scale.py prepare drop them once it exists).
REPLACED_INDEXES = ("ix_engine_catalog_text_tsv", "ix_engine_catalog_text_keys")
for _dialect, _statements in FULLTEXT_DDL.items():
    for _sql in _statements:
        event.listen(CatalogText.__table__, "after_create",
                     DDL(_sql).execute_if(dialect=_dialect))
for _sql in FULLTEXT_DROP["sqlite"]:
    event.listen(CatalogText.__table__, "before_drop", DDL(_sql).execute_if(dialect="sqlite"))


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """For Alembic's ``include_object`` (env.py, and the migrations test's compare_metadata):
    the full-text objects FULLTEXT_DDL creates are not in the models — do not drop them."""
    if type_ == "table" and name and name.startswith("engine_catalog_fts"):
        return False  # the FTS5 table and its shadow tables (SQLite)
    if type_ == "column" and name == "tsv" and getattr(obj, "table", None) is not None \
            and obj.table.name == "engine_catalog_text":
        return False
    return not (type_ == "index" and name in ("ix_engine_catalog_text_tsv",
                                              "ix_engine_catalog_text_search"))


_fts = table("engine_catalog_fts")
_text_table = CatalogText.__table__
C = CatalogText


def _is_postgresql() -> bool:
    return dialect_name() == "postgresql"


#: PostgreSQL: a query word is searched as the indexed words it is a prefix of when they are
#: at most this many (an exact GIN scan of each), else as a prefix (:func:`expansions`)
MAX_EXPANSION = 32
_LEXEME = re.compile(r"^[^\W_]+$")
_EXPANSION_SQL = text(
    # per query word: whether to_tsquery keeps it as one prefix lexeme, itself ("ok"); if so
    # the indexed words starting with it (a range scan of ix_engine_catalog_word_prefix: the
    # upper bound is the word followed by the last code point; starts_with makes it exact)
    "SELECT q.n, q.ok, v.word FROM (SELECT n, w, "
    "to_tsquery('simple', '''' || w || ''':*')::text = '''' || w || ''':*' AS ok "
    "FROM unnest(CAST(:words AS text[])) WITH ORDINALITY AS u(w, n)) AS q "
    "LEFT JOIN LATERAL (SELECT DISTINCT word FROM engine_catalog_word "
    "WHERE q.ok AND word ~>=~ q.w AND word ~<~ (q.w || chr(1114111)) AND starts_with(word, q.w) "
    "ORDER BY word LIMIT :limit) AS v ON true ORDER BY q.n, v.word")


def expansions(words: Sequence[str]) -> list[list[str] | None]:
    """PostgreSQL: for each word of ``words``, the words of the full-text index it is a prefix
    of (``engine_catalog_word`` holds them all), or None to search it as a prefix: more than
    :data:`MAX_EXPANSION` of them, none, or a word to_tsquery would not keep as one lexeme.
    ``'w':*`` matches a row exactly when one of them does, so the search finds the same rows.
    One statement per transaction and set of words (kept in the session until it ends)."""
    cache = db.session.info.setdefault(_EXPANSIONS, {})
    key = tuple(words)
    if key not in cache:
        found: dict[int, list[str]] = {}
        usable: dict[int, bool] = {}
        for n, ok, word in db.session.execute(_EXPANSION_SQL, {
                "words": list(words), "limit": MAX_EXPANSION + 1}):
            usable[n] = bool(ok)
            if word is not None:
                found.setdefault(n, []).append(word)
        out: list[list[str] | None] = []
        for n, _word in enumerate(words, start=1):
            lexemes = found.get(n, [])
            good = (usable.get(n) and 0 < len(lexemes) <= MAX_EXPANSION
                    and all(_LEXEME.match(x) for x in lexemes))
            out.append(lexemes if good else None)
        cache[key] = out
    return cache[key]


def _hits(words: Sequence[str]):
    """The ids of the index rows whose words contain every word of ``words`` as a prefix, and
    the PostgreSQL tsquery of it (None on SQLite). On PostgreSQL each word is the OR of the
    indexed words it is a prefix of (:func:`expansions`; cast to tsquery as they are, no
    parsing) or, failing that, a to_tsquery prefix."""
    if _is_postgresql():
        # words hold only letters and digits, and so do the expansions (checked): nothing in
        # them is tsquery syntax
        exact, prefix = [], []
        for word, lexemes in zip(words, expansions(words), strict=True):
            if lexemes is None:
                prefix.append(f"'{word}':*")
            else:
                exact.append("(" + " | ".join(f"'{x}'" for x in lexemes) + ")")
        parts = []
        if prefix:
            parts.append(func.to_tsquery("simple", bindparam("catalog_q", " & ".join(prefix))))
        if exact:
            parts.append(cast(bindparam("catalog_exact", " & ".join(exact)), TSQUERY))
        query = parts[0] if len(parts) == 1 else parts[0].op("&&")(parts[1])
        return None, literal_column("engine_catalog_text.tsv").op("@@")(query)
    fts_query = " ".join(f'"{w}"*' for w in words)
    return select(literal_column("rowid")).select_from(_fts).where(
        literal_column("engine_catalog_fts").op("MATCH")(bindparam("catalog_q", fts_query))), None


def text_match(words: Sequence[str]):
    """SQL: the item's indexed words contain every word of ``words`` as a prefix (on ``Item``)."""
    ids, tsv = _hits(words)
    if tsv is not None:
        ids = select(_text_table.c.item_id).where(tsv)
    return Item.id.in_(ids)


def row_text_match(words: Sequence[str]):
    """The same condition on the search row itself (``engine_catalog_text``)."""
    ids, tsv = _hits(words)
    return tsv if tsv is not None else C.item_id.in_(ids)


class keys_overlap(FunctionElement):
    """SQL: the list column (first argument) holds one of the other arguments. PostgreSQL:
    ``col && ARRAY[...]`` (GIN-indexed); SQLite: ``EXISTS`` over ``json_each``."""

    type = Boolean()
    name = "keys_overlap"
    inherit_cache = True


@compiles(keys_overlap, "postgresql")
def _overlap_pg(element, compiler, **kw):
    column, *values = element.clauses.clauses
    listed = ", ".join(compiler.process(v, **kw) for v in values)
    return f"({compiler.process(column, **kw)} && CAST(ARRAY[{listed}] AS TEXT[]))"


@compiles(keys_overlap)
def _overlap_json(element, compiler, **kw):
    column, *values = element.clauses.clauses
    listed = ", ".join(compiler.process(v, **kw) for v in values)
    return (f"EXISTS (SELECT 1 FROM json_each({compiler.process(column, **kw)}) AS keys "
            f"WHERE keys.value IN ({listed}))")


def has_key(column, keys: Iterable[str]):
    """SQL: the list ``column`` (``places`` or ``facets``) holds one of ``keys``."""
    return keys_overlap(column, *(literal(k, Text) for k in keys))


@functools.cache
def _row_target():
    """:func:`~docflow.engine.security.visible_filter`'s columns on the search row (built once).
    Local roles compare the item's path, which only ``engine_item`` has (asked per row, by
    primary key: local roles are few)."""
    from .security import Target

    item = Item.__table__.alias("row_item")
    path = select(item.c.path).where(item.c.id == C.item_id).scalar_subquery()
    return Target(C.type, C.state, C.restricted, C.owner_id, path,
                  lambda places: has_key(C.places, places))


# -- registration --------------------------------------------------------------------------------

FilterFn = Callable[[list[str], Any], Any]  # (values, user) -> SQL condition


@dataclass(frozen=True)
class Registration:
    """What the catalog knows of one content type."""

    type: str
    text: Callable[[Item], Iterable[str | None]]
    facets: dict[str, Any]
    filters: dict[str, FilterFn]
    sorts: dict[str, Any]
    fields: frozenset[str] | None = None
    #: facet name -> the attribute of the item holding its value (copied to the search row)
    facet_attributes: dict[str, str] = field(default_factory=dict)
    #: sort name -> the attribute holding it, for the date sorts on the type's own table
    #: (:func:`_copied_sort`): copied to the search row's ``sorts``
    sort_attributes: dict[str, str] = field(default_factory=dict)


#: Facets and sorts every type has.
COMMON_FACETS = {"type": Item.type, "state": Item.state}
COMMON_SORTS = {"modified": Item.modified_at, "created": Item.created_at, "title": Item.title}

_registry: dict[str, Registration] = {}


def register(type: str, *, text: Callable[[Item], Iterable[str | None]] | None = None,
             facets: dict[str, Any] | None = None, filters: dict[str, FilterFn] | None = None,
             sorts: dict[str, Any] | None = None,
             fields: Iterable[str] | None = None) -> Registration:
    """Register (or replace) a content type's catalog fields. Idempotent.

    ``facets`` maps a name to a column of the type's model or of ``Item``: it is counted and can
    be filtered on (values compared for equality, several values of one facet OR'ed).
    ``filters`` maps a name to ``fn(values: list[str], user) -> SQL condition`` for filters that
    are not plain columns ("overdue", "mine"). ``sorts`` adds sort keys to modified/created/title.
    ``fields`` names the attributes ``text`` reads: a flush that changes one of them (or the
    title) re-indexes the item in the same transaction; without it, any change does.
    """
    all_facets = {**COMMON_FACETS, **(facets or {})}
    both = set(all_facets) & set(filters or {})
    if both:
        raise ValueError(f"Catalog type {type!r}: {', '.join(sorted(both))} is both a facet "
                         f"and a filter.")
    all_sorts = {**COMMON_SORTS, **(sorts or {})}
    reg = Registration(type, text or (lambda item: ()), all_facets, dict(filters or {}),
                       all_sorts, frozenset(fields) | {"title"} if fields is not None else None,
                       {name: _facet_attribute(name, col) for name, col in all_facets.items()},
                       {name: col.key for name, col in all_sorts.items() if _copied_sort(col)})
    _registry[type] = reg
    return reg


def unregister(type: str) -> None:
    _registry.pop(type, None)


def registration(type: str) -> Registration:
    try:
        return _registry[type]
    except KeyError:
        raise CatalogError(_("There is no search for items of the type %(type)s.",
                             type=type)) from None


def _common() -> Registration:
    return Registration("*", lambda item: (), dict(COMMON_FACETS), {}, dict(COMMON_SORTS), None,
                        {name: _facet_attribute(name, col) for name, col in COMMON_FACETS.items()})


# -- indexing ------------------------------------------------------------------------------------

def file_texts(item: Item) -> list[str]:
    """The extracted text of the latest version of each of the item's files (one query)."""
    latest = (select(FileVersion.file_id, func.max(FileVersion.number).label("number"))
              .join(EngineFile, EngineFile.id == FileVersion.file_id)
              .where(EngineFile.item_id == item.id).group_by(FileVersion.file_id).subquery())
    rows = db.session.execute(select(FileVersion.text).join(latest, and_(
        FileVersion.file_id == latest.c.file_id, FileVersion.number == latest.c.number))
        .order_by(FileVersion.file_id)).scalars()
    return [t for t in rows if t]


def reindex_item(item: Item, *, created: bool = False) -> CatalogText | None:
    """Write the item's words to the index in the current transaction. Flushes, never commits.

    Call it after editing fields that feed the full text; creation, transitions and new file
    versions re-index by themselves. Types not registered with the catalog are skipped.
    """
    reg = _registry.get(item.type)
    if reg is None or item.id is None:
        return None
    row = _write(db.session, item, reg, created=created)
    db.session.flush()
    return row


def facet_key(name: str, value) -> str:
    """How a facet value is kept in the search row's ``facets``: ``"name=value"`` (``"name"``
    alone for no value; booleans as 1/0, dates in ISO form)."""
    if value is None:
        return name
    if isinstance(value, bool):
        value = int(value)
    elif hasattr(value, "isoformat"):
        value = value.isoformat()
    return f"{name}={value}"


def _facet_value(column, raw: str):
    """The inverse of :func:`facet_key` for one facet's column."""
    try:
        python_type = column.type.python_type
    except (AttributeError, NotImplementedError):
        return raw
    if python_type is bool:
        return raw == "1"
    if hasattr(python_type, "fromisoformat"):
        return python_type.fromisoformat(raw)
    try:
        return python_type(raw)
    except (TypeError, ValueError):
        return raw


def _copied_sort(column) -> bool:
    """Whether the search row keeps a copy of the sort key ``column``: a date or time column of
    the type's own table (engine_item's are copied, or joined, already), whose ISO text sorts
    as its values do, whatever the collation. Not strings: a lean insert may compute one in
    SQL (the appeal's registration number), which the row's copy would not see."""
    from datetime import date

    expression = getattr(column, "expression", None)
    table = getattr(expression, "table", None)
    if table is None or table is Item.__table__ or not isinstance(getattr(column, "key", None),
                                                                   str):
        return False
    try:
        python_type = expression.type.python_type
    except (AttributeError, NotImplementedError):
        return False
    return issubclass(python_type, date)


def sort_key(value) -> str | None:
    """How a copied sort value is kept in the search row's ``sorts`` (dates in ISO form)."""
    if value is None:
        return None
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _facet_attribute(name: str, column) -> str:
    key = getattr(column, "key", None)
    if not isinstance(key, str):
        raise ValueError(f"Catalog facet {name!r} must be a mapped column attribute.")
    return key


#: The search row's columns that copy an ``engine_item`` column as it is (search row column ->
#: item column); ``places`` copies the item's places. ``content.insert_item``'s one PostgreSQL
#: statement writes these from the item's own values instead of binding them twice.
ITEM_COPIES = {"type": "type", "state": "state", "restricted": "restricted",
               "owner_id": "owner_id", "modified_at": "modified_at"}


def row_values(item, reg: Registration, places: Iterable[str]) -> dict:
    """What the search row copies from the item (``item`` may be any object with the item's
    and its type's attributes, e.g. the lean insert's values): every column but the words."""
    return {**{column: getattr(item, attr) for column, attr in ITEM_COPIES.items()},
            "restricted": bool(item.restricted), "places": sorted(set(places)),
            "facets": sorted({facet_key(name, getattr(item, attr))
                              for name, attr in reg.facet_attributes.items()}),
            "sorts": {name: sort_key(getattr(item, attr, None))
                      for name, attr in sorted(reg.sort_attributes.items())}}


def row_for_insert(type: str, values: dict, places: Iterable[str]) -> dict | None:
    """The search row of an item inserted without the ORM (``content.insert_item``): ``values``
    are the new ``engine_item`` and type-table columns (``title`` included), ``places`` its
    places. None when the type is not registered. Everything but ``item_id``."""
    from types import SimpleNamespace

    reg = _registry.get(type)
    if reg is None:
        return None
    item = SimpleNamespace(**values)
    row = {"words": index_words([values["title"], *reg.text(item)]),
           "indexed_at": values.get("modified_at") or utcnow(),
           **row_values(item, reg, places)}
    if _is_postgresql():  # its statement binds untyped values, each CAST: jsonb from text
        row["sorts"] = json.dumps(row["sorts"], ensure_ascii=False)
    return row


def _write(session, item: Item, reg: Registration, *, created: bool = False) -> CatalogText:
    """Put the item's words and values in its search row. ``created``: the item's "created"
    event — when the item was inserted in this transaction and nothing indexed it yet, it has
    no row and no files, so the row is added without reading either (2 statements fewer per new
    item)."""
    written = session.info.setdefault(_WRITTEN, {})
    values = row_values(item, reg, item.places)
    if created and item.id in session.info.get(_INSERTED, ()) and item.id not in written:
        row = CatalogText(item_id=item.id, words=index_words([item.title, *reg.text(item)]),
                          **values)
        session.add(row)
    else:
        words = index_words([item.title, *reg.text(item), *file_texts(item)])
        row = written.get(item.id) or session.get(CatalogText, item.id)
        if row is None:
            row = CatalogText(item_id=item.id, words=words, **values)
            session.add(row)
        else:
            if row.words != words:
                row.words = words
            for key, value in values.items():
                if getattr(row, key) != value:
                    setattr(row, key, value)
    written[item.id] = row
    return row


#: session.info keys, for the current transaction: ids of the items it inserted, the index
#: rows it wrote (item id -> CatalogText, a strong reference, so no re-read), the query words'
#: expansions (:func:`expansions`)
_INSERTED, _WRITTEN = "catalog_inserted_items", "catalog_written_rows"
_EXPANSIONS = "catalog_expansions"


@event.listens_for(Session, "after_flush")
def _note_inserted(session, flush_context) -> None:
    new = [obj.id for obj in session.new if isinstance(obj, Item)]
    if new:
        session.info.setdefault(_INSERTED, set()).update(new)
    if _registry:
        _refresh_changed(session)


#: Item attributes the search row copies (besides the type's facet columns)
_COPIED = ("state", "restricted", "owner_id", "modified_at", "place_rows")


def _refresh_changed(session) -> None:
    """After a flush (foreign keys set from relationships, places written), copy the values of
    every changed registered item to its search row: one UPDATE per item, no read. The row
    object of this transaction, if any, is told the new values without being marked dirty."""
    written = session.info.get(_WRITTEN, {})
    for obj in session.dirty:
        reg = _registry.get(getattr(obj, "type", None)) if isinstance(obj, Item) else None
        if reg is None or obj.id is None or obj in session.deleted:
            continue
        state = inspect(obj)
        watched = (*_COPIED, *reg.facet_attributes.values(), *reg.sort_attributes.values(),
                   *(r.key for r in state.mapper.relationships))
        if not any(state.attrs[key].history.has_changes() for key in watched
                   if key in state.attrs):
            continue
        values = row_values(obj, reg, obj.places)
        session.connection().execute(update(_text_table).where(
            _text_table.c.item_id == obj.id).values(**values))
        row = written.get(obj.id)
        if row is not None:
            for key, value in values.items():
                attributes.set_committed_value(row, key, value)


@event.listens_for(Session, "after_transaction_end")
def _forget_transaction(session, transaction) -> None:
    if transaction.parent is None or transaction.nested:
        session.info.pop(_INSERTED, None)
        session.info.pop(_WRITTEN, None)
        session.info.pop(_EXPANSIONS, None)


@event.listens_for(Session, "before_flush")
def _reindex_changed(session, flush_context, instances) -> None:
    """A flush that changes an indexed field of a registered item re-indexes it in the same
    transaction, so an edit made after the ``created`` event is not lost from the index."""
    if not _registry:
        return
    for obj in list(session.dirty):
        reg = _registry.get(getattr(obj, "type", None)) if isinstance(obj, Item) else None
        if reg is None or obj.id is None or not _text_changed(obj, reg):
            continue
        _write(session, obj, reg)


def _text_changed(item: Item, reg: Registration) -> bool:
    state = inspect(item)
    if reg.fields is None:
        return any(attr.history.has_changes() for attr in state.attrs
                   if attr.key in state.mapper.column_attrs)
    return any(state.attrs[name].history.has_changes() for name in reg.fields
               if name in state.mapper.column_attrs)


def reindex_all(type: str | None = None, *, batch: int = 500,
                progress: Callable[[int], None] | None = None) -> int:
    """Rebuild the index of every item of the registered types (or of ``type``); commits per
    batch. Returns the number of items indexed."""
    types = [registration(type).type] if type else sorted(_registry)
    if not types:
        return 0
    stale = select(Item.id).where(Item.type.in_(types))
    db.session.execute(_text_table.delete().where(_text_table.c.item_id.in_(stale)))
    db.session.commit()
    done, last_id = 0, 0
    while True:
        items = db.session.execute(select(Item).where(Item.type.in_(types), Item.id > last_id)
                                   .order_by(Item.id).limit(batch)).scalars().all()
        if not items:
            break
        for item in items:
            reindex_item(item)
        db.session.commit()
        done += len(items)
        last_id = items[-1].id
        if progress:
            progress(done)
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(db.text(
            "INSERT INTO engine_catalog_fts(engine_catalog_fts) VALUES ('rebuild')"))
        db.session.commit()
    return done


def backfill_statements(*, sorts: bool = True) -> list:
    """PostgreSQL UPDATEs filling the search rows' copied values (type, state, restriction,
    owner, modified_at, places, facets, sorts) where they are missing, two per registered type
    (every value where ``type`` is missing, the sort keys where only they are): what a
    database indexed before those columns existed needs once (the migration's data step,
    ``bench/scale.py`` prepare). The same values as :func:`row_values` (facets as
    :func:`facet_key` writes them: booleans 1/0, dates ISO; sorts as :func:`sort_key`).
    ``sorts=False``: a database that has no ``sorts`` column yet (an earlier migration)."""
    from sqlalchemy import Date, DateTime
    with_sorts = sorts
    from sqlalchemy.dialects.postgresql import aggregate_order_by, array

    from .content import ItemPlace
    from .core import current_engine

    out = []
    for name in sorted(_registry):
        reg = _registry[name]
        model = current_engine().content_type(name).model
        keys = []
        for facet, attr in sorted(reg.facet_attributes.items()):
            column = getattr(model, attr).expression
            python_type = getattr(column.type, "python_type", str)
            if python_type is bool:
                shown = cast(cast(column, Integer), Text)
            elif isinstance(column.type, (Date, DateTime)):
                shown = func.replace(cast(column, Text), " ", "T")
            else:
                shown = cast(column, Text)
            keys.append(case((column.is_(None), literal(facet, Text)),
                             else_=literal(f"{facet}=", Text) + shown))
        places = select(func.coalesce(func.array_agg(aggregate_order_by(
            ItemPlace.place, ItemPlace.place)), literal_column("'{}'::text[]"))).where(
            ItemPlace.item_id == _text_table.c.item_id).scalar_subquery()
        joins = [_text_table.c.item_id == Item.id, Item.type == name]
        if model.__table__ is not Item.__table__:
            joins.append(model.__table__.c.id == Item.id)
        sorted_keys = []
        for key, attr in sorted(reg.sort_attributes.items()):
            column = getattr(model, attr).expression
            shown = (func.replace(cast(column, Text), " ", "T")
                     if isinstance(column.type, (Date, DateTime)) else cast(column, Text))
            sorted_keys += [literal(key, Text), shown]
        sort_keys = {"sorts": func.jsonb_build_object(*sorted_keys)} if with_sorts else {}
        out.append(update(_text_table).where(*joins, _text_table.c.type.is_(None)).values(
            indexed_at=_text_table.c.indexed_at, type=Item.type, state=Item.state,
            restricted=Item.restricted, owner_id=Item.owner_id, modified_at=Item.modified_at,
            places=places, facets=array(keys), **sort_keys))
        if with_sorts:  # rows that have the rest but not yet the sort keys (session 5)
            out.append(update(_text_table).where(*joins, _text_table.c.sorts.is_(None)).values(
                indexed_at=_text_table.c.indexed_at, **sort_keys))
    return out


def fill_words(connection, *, after_item_id: int = 0) -> int:
    """PostgreSQL: add the lexemes of the search rows (of items after ``after_item_id``) that
    ``engine_catalog_word`` lacks; what rows written with triggers off (a bulk load) or before
    the table existed need once (a migration's data step, bench/scale.py prepare). Returns
    the number of words added; 0 on SQLite, which does not use the table."""
    if connection.dialect.name != "postgresql":
        return 0
    return connection.execute(text(
        "INSERT INTO engine_catalog_word (word) SELECT lexeme FROM (SELECT DISTINCT "
        "unnest(tsvector_to_array(tsv)) AS lexeme FROM engine_catalog_text WHERE item_id > :after"
        ") AS fresh WHERE NOT EXISTS (SELECT 1 FROM engine_catalog_word w WHERE w.word = lexeme)"),
        {"after": after_item_id}).rowcount


def backfill(connection) -> int:
    """Fill the search rows' copied values where they are missing, on ``connection`` (the
    migration's): PostgreSQL runs :func:`backfill_statements`; SQLite (the embedded database,
    small) computes each row with :func:`row_values`, as the catalog writes it. Returns the
    number of rows filled."""
    # an earlier migration runs this before the sort keys' column exists
    sorts = "sorts" in {c["name"] for c in inspect(connection).get_columns(_text_table.name)}
    if connection.dialect.name == "postgresql":
        return sum(connection.execute(statement).rowcount
                   for statement in backfill_statements(sorts=sorts))
    done = 0
    with Session(bind=connection, autoflush=False) as session:
        missing = select(_text_table.c.item_id).where(
            _text_table.c.type.is_(None) | (_text_table.c.sorts.is_(None) if sorts else false()))
        for item in session.scalars(select(Item).where(Item.type.in_(sorted(_registry)),
                                                       Item.id.in_(missing))):
            values = row_values(item, _registry[item.type], item.places)
            if not sorts:
                values.pop("sorts")
            connection.execute(update(_text_table).where(_text_table.c.item_id == item.id)
                               .values(indexed_at=_text_table.c.indexed_at, **values))
            done += 1
    return done


@item_event.connect
def _on_item_event(item, *, event: str, **payload) -> None:
    if event in INDEXED_EVENTS and item.type in _registry:
        reindex_item(item, created=event == "created")


# -- search --------------------------------------------------------------------------------------

class FacetCount(NamedTuple):
    value: Any
    count: int


@dataclass
class SearchResult:
    items: list
    total: int
    facets: dict[str, list[FacetCount]]
    page: int
    per_page: int
    #: True when the matches were counted up to :data:`COUNT_LIMIT` only: ``total`` is
    #: COUNT_LIMIT + 1 and the facet counts are lower bounds (show "10,000+")
    capped: bool = False
    #: facets whose counts are lower bounds: every facet when ``capped``, and a facet whose own
    #: filter is set when the matches without that filter pass COUNT_LIMIT
    capped_facets: frozenset[str] = frozenset()

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < min(self.pages, MAX_PAGE)


@dataclass(frozen=True)
class Query:
    """A checked search: what :func:`search`, :func:`count` and saved searches run."""

    words: tuple[str, ...]
    type: str | None
    filters: dict[str, list] = field(default_factory=dict)
    sort: str = "-modified"

    def as_json(self, q: str | None) -> dict:
        return {"q": q or "", "type": self.type, "filters": self.filters, "sort": self.sort}


def prepare(*, q: str | None = None, type: str | None = None, filters: dict | None = None,
            sort: str = "-modified") -> Query:
    """Check a query's parts; raises :class:`CatalogError` naming what is wrong."""
    reg = registration(type) if type else _common()
    words = tuple(query_words(q))
    checked: dict[str, list] = {}
    for name, values in (filters or {}).items():
        if isinstance(values, (str, int)) or values is None:
            values = [values]
        values = [v for v in values if v not in (None, "")]
        if not values:
            continue
        if len(values) > MAX_FILTER_VALUES:
            raise CatalogError(_("Choose at most %(n)s values of %(facet)s.",
                                 n=MAX_FILTER_VALUES, facet=name))
        if name in reg.facets:
            checked[name] = [_coerce(reg.facets[name], name, v) for v in values]
        elif name in reg.filters:
            checked[name] = [str(v)[:MAX_NAME_CHARS] for v in values]
        else:
            raise CatalogError(_("Unknown filter %(facet)s; use one of: %(names)s.",
                                 facet=str(name)[:MAX_NAME_CHARS],
                                 names=", ".join(sorted({*reg.facets, *reg.filters}))))
    key = (sort or "-modified").removeprefix("-")
    if key not in reg.sorts:
        raise CatalogError(_("Unknown sort order %(sort)s; use one of: %(names)s.",
                             sort=str(sort)[:MAX_NAME_CHARS], names=", ".join(sorted(reg.sorts))))
    return Query(words, type, checked, sort or "-modified")


def _coerce(column, name: str, value):
    try:
        python_type = column.type.python_type
    except (AttributeError, NotImplementedError):
        return value
    if isinstance(value, python_type):
        return value
    try:
        if python_type is bool:
            return str(value).lower() in ("1", "true", "yes", "on")
        return python_type(str(value).strip())
    except (TypeError, ValueError):
        raise CatalogError(_("%(value)s is not a possible value of %(facet)s.",
                             value=str(value)[:MAX_NAME_CHARS], facet=name)) from None


def _model(query: Query):
    if query.type is None:
        return Item
    from .core import current_engine
    return current_engine().content_type(query.type).model


def _conditions(user, query: Query, *, skip: str | None = None) -> list:
    """Every condition of the query; ``skip`` leaves out one facet's own filter, so a facet
    counts what choosing another of its values would add (values of one facet are OR'ed)."""
    from .security import visible_filter

    reg = registration(query.type) if query.type else _common()
    conds = [visible_filter(user, "view", query.type)]
    if query.type is not None:
        conds.append(Item.type == query.type)
    if query.words:
        conds.append(text_match(query.words))
    for name, values in query.filters.items():
        if name == skip:
            continue
        if name in reg.facets:
            conds.append(reg.facets[name].in_(values))
        else:
            conds.append(reg.filters[name](values, user))
    return conds


def _check_page(page, per_page) -> tuple[int, int]:
    try:
        page, per_page = int(page), int(per_page)
    except (TypeError, ValueError):
        raise CatalogError(_("The page number must be a whole number.")) from None
    if page < 1:
        raise CatalogError(_("Pages are numbered from 1."))
    if page > MAX_PAGE:
        raise CatalogError(_("Only the first %(n)s pages of results can be shown; narrow the "
                             "search with more words or filters.", n=MAX_PAGE))
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise CatalogError(_("Show between 1 and %(n)s results a page.", n=MAX_PER_PAGE))
    return page, per_page


def search(user, *, q: str | None = None, type: str | None = None, filters: dict | None = None,
           facets: Sequence[str] = (), sort: str = "-modified", page: int = 1,
           per_page: int = 20) -> SearchResult:
    """One page of the items ``user`` may view that match, the total, and facet counts.

    Statements, whatever the number of results: ONE on the search rows
    (:class:`CatalogText`) for the total, every facet and — when it read every match — the
    page's ids (:func:`counts_statement`); one loading the page's items by id, or, past
    COUNT_LIMIT matches, paging on the search rows itself (:func:`page_statement`); one for
    the items' places. The total and each facet count at most :data:`COUNT_LIMIT` + 1
    matches. Raises :class:`CatalogError` for input it cannot run.
    """
    query = prepare(q=q, type=type, filters=filters, sort=sort)
    page, per_page = _check_page(page, per_page)
    return run(user, query, facets=facets, page=page, per_page=per_page)


def run(user, query: Query, *, facets: Sequence[str] = (), page: int = 1,
        per_page: int = 20) -> SearchResult:
    """Run a prepared query (see :func:`search`)."""
    reg = registration(query.type) if query.type else _common()
    unknown = [f for f in facets if f not in reg.facets]
    if unknown:
        raise CatalogError(_("Unknown facet %(facet)s; use one of: %(names)s.",
                             facet=str(unknown[0])[:MAX_NAME_CHARS],
                             names=", ".join(sorted(reg.facets))))
    wanted = list(dict.fromkeys(facets))
    if not uses_rows(query):
        return _run_on_items(user, query, wanted, page, per_page)
    offset = (page - 1) * per_page
    total, counts, capped, ids = _row_counts(user, query, wanted, (offset, per_page))
    model = _model(query)
    if ids is None:  # more matches than one scan counts
        items = db.session.execute(page_statement(user, query, page, per_page)).scalars().all()
    elif ids:
        found = {item.id: item for item in db.session.execute(
            select(model).where(model.id.in_(ids))).scalars()}
        items = [found[i] for i in ids if i in found]
    else:
        items = []
    return SearchResult(items, total, counts, page, per_page, total > COUNT_LIMIT,
                        frozenset(capped))


def uses_rows(query: Query) -> bool:
    """Whether the query is answered from the search rows (``engine_catalog_text``): a query
    with words or a facet filter, whose matches their GIN indexes find in one bitmap. Without
    either (everything visible, or only filters that are functions on the type's table, such
    as "overdue" or "mine"), the type's own indexes find them best: the query lists
    ``engine_item`` as before (also items of types the catalog does not index)."""
    if query.words:
        return True
    reg = registration(query.type) if query.type else _common()
    return any(name in reg.facets for name in query.filters)


def _sort(query: Query, *, on_row: bool = False) -> tuple[Any, bool]:
    """(column, descending) of the query's order (engine_item's copied columns, such as
    ``modified_at``, are read from the search row by :func:`_matching`). ``on_row``: a sort
    key the search row keeps a copy of (``sorts``) is read from there, so the type's table is
    not joined for it."""
    reg = registration(query.type) if query.type else _common()
    name = query.sort.removeprefix("-")
    column = reg.sorts[name]
    if on_row and name in reg.sort_attributes:
        column = C.sorts[name].as_string()
    return column, query.sort.startswith("-")


def row_conditions(user, query: Query, *, skip: Iterable[str] = ()) -> tuple[list, list]:
    """The query's conditions as (on the search row, on the type's table): visibility (the
    rule of :func:`~docflow.engine.security.visible_filter`, on the row's copy of the item's
    type, state, restriction, owner and places), the type, the words and the facet filters are
    on the row; only filters that are functions (``overdue``, ``mine``) need the type's table.
    ``skip`` leaves out those facets' own filters."""
    from .security import visible_filter

    reg = registration(query.type) if query.type else _common()
    on_row = [visible_filter(user, "view", query.type, on=_row_target())]
    if query.type is not None:
        on_row.append(C.type == query.type)
    if query.words:
        on_row.append(row_text_match(query.words))
    on_model = []
    for name, values in query.filters.items():
        if name in skip:
            continue
        if name in reg.facets:
            on_row.append(has_key(C.facets, [facet_key(name, v) for v in values]))
        else:
            on_model.append(reg.filters[name](values, user))
    return on_row, on_model


#: engine_item's columns the search row holds a copy of (kept equal by this module)
_COPIES = {Item.__table__.c[name]: _text_table.c[name]
           for name in ("type", "state", "restricted", "owner_id", "modified_at")}


def _on_row(clause):
    """``clause`` with engine_item's copied columns read from the search row instead."""
    from sqlalchemy.sql import coercions, roles
    from sqlalchemy.sql.visitors import replacement_traverse

    clause = coercions.expect(roles.ExpressionElementRole, clause)
    return replacement_traverse(clause, {}, lambda e: _COPIES.get(e))


def _matching(query: Query, on_row: list, on_model: list, *columns):
    """SELECT ``columns`` of the matching search rows. The conditions and columns on the type's
    tables read the row's copies of engine_item's values, and only the tables they still
    need are joined (by primary key: one probe per matching row), e.g. only ``appeal`` for an
    appeal's reply dates."""
    from sqlalchemy.sql.util import find_tables

    on_model = [_on_row(c) for c in on_model]
    columns = [_on_row(c) for c in columns]
    stmt = select(*columns).select_from(C)
    needed = {t for clause in (*on_model, *columns)
              for t in find_tables(clause, check_columns=True)}
    for t in _model(query).__mapper__.tables:  # engine_item first, then the type's own
        if t in needed:
            stmt = stmt.join(t, t.c.id == C.item_id)
    return stmt.where(*on_row, *on_model)


def page_statement(user, query: Query, page: int = 1, per_page: int = 20):
    """The page's items: the matching rows' ids ordered and cut to the page on the search
    rows (the type's table joined only for a sort key or a filter it alone has), then those
    ``per_page`` items loaded."""
    model = _model(query)
    on_row, on_model = row_conditions(user, query)
    column, desc = _sort(query, on_row=True)
    column = _on_row(column)
    ids = (_matching(query, on_row, on_model, C.item_id.label("id"), column.label("k"))
           .order_by(column.desc() if desc else column.asc(),
                     C.item_id.desc() if desc else C.item_id.asc())
           .limit(per_page).offset((page - 1) * per_page).subquery("page"))
    return select(model).join(ids, ids.c.id == model.id).order_by(
        ids.c.k.desc() if desc else ids.c.k.asc(), ids.c.id.desc() if desc else ids.c.id.asc())


#: The sets of rows :func:`counts_statement` returns (its first column)
SUPERSET, TOTAL, TOTAL_CAPPED, KEYS, KEYS_CAPPED, PAGE = range(6)


def _keys_of(matches, *columns):
    """A FROM-able of the facet keys of each row of ``matches`` (column ``key``, and
    ``columns`` of ``matches`` repeated per key). PostgreSQL: ``unnest`` in the select list
    (one projection, much cheaper than a lateral function scan per row); SQLite: json_each."""
    if _is_postgresql():
        return select(func.unnest(matches.c.facets).label("key"), *columns).subquery("keys")
    keys = func.json_each(matches.c.facets).table_valued("value")
    return (select(keys.c.value.label("key"), *columns).select_from(matches)
            .join(keys, true()).subquery("keys"))


def _is_facet(key, name: str):
    return key.like(f"{name}=%") | (key == name)


def counts_statement(user, query: Query, facets: Sequence[str], *,
                     page: tuple[int, int] | None = None):
    """ONE statement, ONE scan of the search rows in the usual case, for the total, every facet
    of ``facets`` and (``page`` = (offset, limit)) the page's ids. A sort key or a filter the
    search row lacks joins the type's table (:func:`_matching`). Rows ``(set, key, n, id)``, set one of:

    * SUPERSET — how many rows the scan read (at most :data:`COUNT_LIMIT` + 1). The scan reads
      the matches *without* the filters of the wanted facets whose own filter is set (a facet
      counts what choosing another of its values would add), each row with a flag per such
      filter; the rest is computed from those rows.
    * TOTAL — the query's matches among them; KEYS — per facet key, the rows that pass every
      flagged filter but the key's own facet's; PAGE — the page's ids in order (``n`` = rank).
    * When the scan was cut at the limit, the total and the facets whose own filter is not set
      come from a second scan with every condition (TOTAL_CAPPED, KEYS_CAPPED), itself cut at
      the limit; it runs only then (a one-time filter: PostgreSQL reads a WITH query on demand).
    """
    own = [name for name in dict.fromkeys(facets) if name in query.filters]
    shared = [name for name in dict.fromkeys(facets) if name not in query.filters]
    on_row, on_model = row_conditions(user, query, skip=own)
    flags = [has_key(C.facets, [facet_key(name, v) for v in query.filters[name]]).label(f"f{i}")
             for i, name in enumerate(own)]
    sort, desc = _sort(query, on_row=True)
    extra = [C.item_id.label("id"), sort.label("k")] if page else []
    superset = _matching(query, on_row, on_model, C.facets.label("facets"), *flags,
                         *extra).limit(COUNT_LIMIT + 1).cte("matches")
    flag = [superset.c[f"f{i}"] for i in range(len(own))]
    every = and_(*flag) if flag else None

    def counted(condition=None):
        return func.count().filter(condition) if condition is not None else func.count()

    def row(n, key, count_, id_=None):
        return (literal_column(str(n)).label("s"), key.label("key") if key is not None
                else cast(null(), Text).label("key"), count_.label("n"),
                id_.label("id") if id_ is not None else cast(null(), Integer).label("id"))

    parts = [select(*row(SUPERSET, None, func.count())).select_from(superset),
             select(*row(TOTAL, None, counted(every))).select_from(superset)]
    if facets:
        keys = _keys_of(superset, *flag)
        key, kflag = keys.c.key, [keys.c[f"f{i}"] for i in range(len(own))]
        when_own = [(_is_facet(key, name), and_(true(), *(f for j, f in enumerate(kflag)
                                                          if j != i)))
                    for i, name in enumerate(own)]
        passes = (case(*when_own, else_=and_(*kflag)) if when_own else None)
        parts.append(select(*row(KEYS, key, counted(passes))).group_by(key))
    if page:
        offset, limit = page
        rank = func.row_number().over(order_by=(
            superset.c.k.desc() if desc else superset.c.k.asc(),
            superset.c.id.desc() if desc else superset.c.id.asc()))
        ranked = select(superset.c.id, rank.label("rank")).where(*(flag or [true()])).subquery()
        parts.append(select(*row(PAGE, None, ranked.c.rank, ranked.c.id))
                     .where(ranked.c.rank > offset, ranked.c.rank <= offset + limit))
    if own:
        read = select(func.count()).select_from(superset).scalar_subquery()
        cut = read > COUNT_LIMIT
        on_row, on_model = row_conditions(user, query)
        matches = _matching(query, on_row, on_model, C.facets.label("facets")).limit(
            COUNT_LIMIT + 1).cte("all_matches")
        parts.append(select(*row(TOTAL_CAPPED, None, func.count())).select_from(matches)
                     .where(cut))
        if shared:
            keys = _keys_of(matches)
            parts.append(select(*row(KEYS_CAPPED, keys.c.key, func.count())).where(cut)
                         .group_by(keys.c.key))
    return union_all(*parts)


def _row_counts(user, query: Query, wanted: list[str], page: tuple[int, int] | None = None):
    """Run :func:`counts_statement`: (total, {facet: [FacetCount]}, capped facets, the page's
    ids or None). Each facet keeps its :data:`MAX_FACET_VALUES` biggest values; a facet counted
    over more than COUNT_LIMIT matches is "capped" (its counts are lower bounds). The page's ids
    come only when the scan read every match (else the caller pages with its own statement)."""
    reg = registration(query.type) if query.type else _common()
    got: dict[int, list] = {n: [] for n in range(6)}
    for s, key, n, id_ in db.session.execute(counts_statement(user, query, wanted, page=page)):
        got[int(s)].append((key, int(n), id_))
    read = got[SUPERSET][0][1]
    cut = read > COUNT_LIMIT
    total = got[TOTAL_CAPPED][0][1] if cut and got[TOTAL_CAPPED] else got[TOTAL][0][1]
    capped = set()
    counts: dict[str, list[FacetCount]] = {name: [] for name in wanted}
    for name in wanted:
        own = name in query.filters
        source = KEYS if own or not cut or not got[TOTAL_CAPPED] else KEYS_CAPPED
        for key, n, _id in got[source]:
            facet, sep, raw = key.partition("=")
            if facet == name and n:
                counts[name].append(FacetCount(_facet_value(reg.facets[name], raw)
                                               if sep else None, n))
        rows = counts[name]
        rows.sort(key=lambda fc: (-fc.count, fc.value is None, fc.value))
        counts[name] = rows[:MAX_FACET_VALUES]
        if cut and (own or total > COUNT_LIMIT):
            capped.add(name)
    ids = None
    if page is not None and not cut:
        ids = [id_ for _key, _n, id_ in sorted(got[PAGE], key=lambda r: r[1])]
    return total, counts, capped, ids


def _run_on_items(user, query: Query, wanted: list[str], page: int,
                  per_page: int) -> SearchResult:
    """A search without words or facet filters, on ``engine_item`` (see :func:`uses_rows`)."""
    reg = registration(query.type) if query.type else _common()
    model = _model(query)
    conds = _conditions(user, query)
    items = db.session.execute(select_items(user, query, conds).limit(per_page)
                               .offset((page - 1) * per_page)).scalars().all()
    # a facet whose own filter is not set counts under the page's very conditions: on
    # PostgreSQL all of those and the total come from ONE scan (GROUPING SETS), not one each
    shared = [n for n in wanted if n not in query.filters]
    counts: dict[str, list[FacetCount]] = {}
    capped = False
    if shared and _is_postgresql():
        total = _grouped_counts(model, conds, [(n, reg.facets[n]) for n in shared], counts)
        capped = total > COUNT_LIMIT
    else:
        total = db.session.execute(select(func.count()).select_from(model).where(*conds)).scalar()
    for name in wanted:
        if name in counts:
            continue
        col = reg.facets[name]
        n = func.count()
        rows = db.session.execute(
            select(col, n).select_from(model).where(*_conditions(user, query, skip=name))
            .group_by(col).order_by(n.desc(), col).limit(MAX_FACET_VALUES)).all()
        counts[name] = [FacetCount(value, int(c)) for value, c in rows]
    counts = {name: counts[name] for name in wanted}
    return SearchResult(items, int(total or 0), counts, page, per_page, capped)


def select_items(user, query: Query, conds: list | None = None):
    """The ordered select of every item ``user`` may view that matches a prepared query, not
    paged: :func:`run` pages it, an export streams it (the same rows, the same order).
    ``conds``: the query's conditions on ``engine_item`` when the caller has already built
    them (a search without words or facet filters)."""
    model = _model(query)
    column, desc = _sort(query)
    if uses_rows(query):
        column, desc = _sort(query, on_row=True)
        on_row, on_model = row_conditions(user, query)
        return (select(model).join(C, C.item_id == model.id).where(*on_row, *on_model)
                .order_by(column.desc() if desc else column.asc(),
                          C.item_id.desc() if desc else C.item_id.asc()))
    if conds is None:
        conds = _conditions(user, query)
    return select(model).where(*conds).order_by(
        column.desc() if desc else column.asc(), Item.id.desc() if desc else Item.id.asc())


def grouped_counts_statement(model, conds: list, columns: list):
    """The statement of :func:`_grouped_counts`: each of ``columns`` and ``grouping()`` of
    each, and the count, per GROUPING SET, over at most :data:`COUNT_LIMIT` + 1 matches."""
    matches = (select(*(col.label(f"f{i}") for i, col in enumerate(columns)))
               .select_from(model).where(*conds).limit(COUNT_LIMIT + 1).subquery("matches"))
    cols = list(matches.c)
    return (select(*cols, *(func.grouping(c) for c in cols), func.count())
            .group_by(func.grouping_sets(*(tuple_(c) for c in cols), tuple_())))


def _grouped_counts(model, conds, facets: list[tuple[str, Any]], out: dict) -> int:
    """The total and each facet's counts in one statement (PostgreSQL GROUPING SETS) over at
    most :data:`COUNT_LIMIT` + 1 matches; fills ``out`` and returns the total (COUNT_LIMIT + 1
    when there are more). Each facet keeps its :data:`MAX_FACET_VALUES` biggest values."""
    stmt = grouped_counts_statement(model, conds, [col for _name, col in facets])
    total = 0
    found: dict[str, list[FacetCount]] = {name: [] for name, _col in facets}
    k = len(facets)
    for row in db.session.execute(stmt):
        values, grouped, n = row[:k], row[k:2 * k], int(row[-1])
        rolled = [i for i in range(k) if not grouped[i]]
        if not rolled:
            total = n
        else:
            found[facets[rolled[0]][0]].append(FacetCount(values[rolled[0]], n))
    for name, rows in found.items():
        rows.sort(key=lambda fc: (-fc.count, fc.value is None, fc.value))
        out[name] = rows[:MAX_FACET_VALUES]
    return total


def count(user, *, q: str | None = None, type: str | None = None,
          filters: dict | None = None) -> int:
    """How many items ``user`` may view match (one COUNT statement)."""
    query = prepare(q=q, type=type, filters=filters)
    return _count(user, query)


def count_statement(user, query: Query):
    """SELECT COUNT of the items ``user`` may view that match (not capped)."""
    if uses_rows(query):
        on_row, on_model = row_conditions(user, query)
        return _matching(query, on_row, on_model, func.count())
    return select(func.count()).select_from(_model(query)).where(*_conditions(user, query))


def _count(user, query: Query) -> int:
    return int(db.session.execute(count_statement(user, query)).scalar() or 0)


# -- saved searches ------------------------------------------------------------------------------

class SavedSearch(db.Model):
    """A user's named search ("my overdue"), kept as the query's JSON."""

    __tablename__ = "engine_saved_search"
    __table_args__ = (db.UniqueConstraint("user_id", "name", name="uq_engine_saved_search_name"),)

    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False,
                        index=True)
    name = db.Column(db.String(MAX_NAME_CHARS), nullable=False)
    query = db.Column(db.JSON, nullable=False)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    @property
    def q(self) -> str:
        return (self.query or {}).get("q") or ""

    @property
    def filters(self) -> dict:
        return (self.query or {}).get("filters") or {}

    @property
    def sort(self) -> str:
        return (self.query or {}).get("sort") or "-modified"

    @property
    def type(self) -> str | None:
        return (self.query or {}).get("type")

    def prepared(self) -> Query:
        return prepare(q=self.q, type=self.type, filters=self.filters, sort=self.sort)


def save_search(user, name: str, *, q: str | None = None, type: str | None = None,
                filters: dict | None = None, sort: str = "-modified") -> SavedSearch:
    """Save (or, under an existing name, replace) a search of ``user``. Flushes."""
    name = " ".join((name or "").split())
    if not name:
        raise CatalogError(_("Give the search a name."))
    if len(name) > MAX_NAME_CHARS:
        raise CatalogError(_("A search name has at most %(n)s characters.", n=MAX_NAME_CHARS))
    query = prepare(q=q, type=type, filters=filters, sort=sort)
    data = query.as_json(" ".join(query.words))
    row = db.session.execute(select(SavedSearch).where(
        SavedSearch.user_id == user.id, SavedSearch.name == name)).scalar_one_or_none()
    if row is None:
        row = SavedSearch(user_id=user.id, name=name, query=data)
        db.session.add(row)
    else:
        row.query = data
    db.session.flush()
    return row


def saved_searches(user, type: str | None = None) -> list[SavedSearch]:
    stmt = select(SavedSearch).where(SavedSearch.user_id == user.id).order_by(SavedSearch.name)
    rows = db.session.execute(stmt).scalars().all()
    return [r for r in rows if type is None or r.type == type]


def saved_counters(user, type: str | None = None) -> list[tuple[SavedSearch, int | None]]:
    """Each saved search with how many items ``user`` may view match it now (one COUNT each);
    None for a search that can no longer run (a filter the application dropped)."""
    out = []
    for saved in saved_searches(user, type):
        try:
            out.append((saved, _count(user, saved.prepared())))
        except CatalogError:
            out.append((saved, None))
    return out


def delete_saved_search(user, search_id: int) -> bool:
    """Delete one of ``user``'s saved searches; False if it is not theirs or does not exist."""
    row = db.session.get(SavedSearch, search_id)
    if row is None or row.user_id != user.id:
        return False
    db.session.delete(row)
    db.session.flush()
    return True
