"""How each domain builds a document for an item, and storing it as a file version (issue 8).

A domain registers one builder per document kind; the builder reads the item and returns what to
render and where to keep it::

    @register_builder("reply_letter")
    def reply_letter(appeal) -> Build:
        return Build(context={...}, language=appeal.language, title="...",
                     file_name="reply", filename="reply.pdf")

    build_document("reply_letter", appeal)          # in a job: renders and stores, idempotent
    request_document("reply_letter", appeal, user)  # in a request: an outbox job doing that

The render itself (``render.py``) stays free of the database; this module is the bridge to the
engine's files, and ``workers.documents.generate`` is the job that calls it.
"""
from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from ..engine.content import Item
from ..engine.files import EngineFile, FileVersion, add_file_version
from ..extensions import db
from .hashing import data_hash
from .render import get_renderer, render_pdf

MEDIA_TYPE = "application/pdf"
JOB = "workers.documents.generate"


@dataclass(frozen=True)
class Build:
    """What a builder returns: the render's inputs and the item's file to store it in.

    ``template`` is the rendered kind (``reply_letter``...) when it differs from the builder's
    kind (two builders may print the same template for different items); default: the kind.
    """

    context: dict
    language: str
    title: str
    file_name: str  # the item's file (``reply``); each build is a version of it
    filename: str  # the download name (``reply-ЕҢБ-2024-000123.pdf``)
    template: str | None = None


class UnknownBuilder(LookupError):
    pass


_builders: dict[str, Callable[[Item], Build]] = {}


def register_builder(kind: str, fn: Callable[[Item], Build] | None = None):
    """Register ``fn(item) -> Build`` for ``kind``; usable as a decorator. Replaces an earlier
    builder of the same kind (a test may swap one in)."""
    def register(func):
        _builders[kind] = func
        return func
    return register(fn) if fn is not None else register


def builder_for(kind: str) -> Callable[[Item], Build]:
    try:
        return _builders[kind]
    except KeyError:
        raise UnknownBuilder(f"No document builder for {kind!r}; registered: "
                             f"{', '.join(sorted(_builders)) or 'none'}.") from None


def latest_version(item: Item, file_name: str, *, lock: bool = False) -> FileVersion | None:
    """The newest version of the item's file, read from the database (not a cached list)."""
    if lock:  # writers of one item's documents take turns (PostgreSQL; SQLite has one writer)
        db.session.execute(db.select(Item.id).where(Item.id == item.id).with_for_update())
    return db.session.execute(
        db.select(FileVersion).join(EngineFile)
        .where(EngineFile.item_id == item.id, EngineFile.name == file_name)
        .order_by(FileVersion.number.desc()).limit(1)
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()


def _same(version: FileVersion | None, template_version: str, hashed: str) -> bool:
    meta = (version.meta or {}) if version is not None else {}
    return meta.get("template_version") == template_version and meta.get("data_hash") == hashed


def build_document(kind: str, item: Item, actor=None) -> FileVersion:
    """Render ``kind`` for ``item`` and store it as a new version of the builder's file.
    Flushes, never commits.

    Idempotent: when the newest version was made from the same template version and the same
    data, it is returned and nothing is rendered or stored, so a retried job gives the same
    document, never a second one. Changed data adds a version; earlier ones are kept.
    """
    db.session.flush()  # the caller's pending edits are written, so refresh() below keeps them
    build = builder_for(kind)(item)
    template = build.template or kind
    template_version = get_renderer().template_version(template)
    hashed = data_hash(build.context)
    current = latest_version(item, build.file_name)
    if _same(current, template_version, hashed):
        return current
    doc = render_pdf(template, build.context, language=build.language, title=build.title)
    # Check again under the item's row lock: another attempt may have stored it meanwhile.
    current = latest_version(item, build.file_name, lock=True)
    if _same(current, doc.template_version, doc.data_hash):
        return current
    db.session.refresh(item)  # its version counter may have moved while we rendered
    if current is not None:
        db.session.expire(current.file)  # its list of versions numbers the new one
    meta = {"kind": kind, "template_version": doc.template_version,
            "data_hash": doc.data_hash, "media_type": MEDIA_TYPE, "pages": doc.pages}
    return add_file_version(item, build.file_name, doc.pdf, actor, filename=build.filename,
                            meta=meta, generated=True, text=doc.text or None)


def request_document(kind: str, item: Item, actor, *, title: str = ""):
    """Ask for ``kind`` to be built for ``item`` in the background; returns the outbox job.

    Written in the caller's transaction (flushes, never commits). The key is unique per request
    (two clicks make two jobs): a key per data hash would hand back an old finished job when the
    data returns to an earlier state, leaving a newer document on top. Each job is idempotent, so
    a second click costs at most a look at the latest version.
    """
    from ..jobs import enqueue

    builder_for(kind)  # refuse an unknown kind now, in the request, not later in a worker
    return enqueue(JOB, kind, item.uid, queue="documents", created_by=actor,
                   key=f"document:{kind}:{item.uid}:{uuid.uuid4().hex}",
                   title=title or f"{kind}: {item.title}"[:200],
                   requested_by=getattr(actor, "id", None))
