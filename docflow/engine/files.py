"""Files of an item and their versions: every upload or regeneration is a new version.

Content lives once in the blob store (by SHA-256); a version row says who, when, size, the
sniffed media type, the original and safe names, optional ``meta`` (template version, data hash)
and the extracted text, kept for the catalog's full-text search.
"""
from __future__ import annotations

import hashlib
import mimetypes

from flask import current_app

from ..extensions import db
from .content import Item, touch, utcnow
from .errors import PermissionDenied
from .i18n import _


class EngineFile(db.Model):
    """A named file of an item (``brief``, ``reply``, ``attachment-3``)."""

    __tablename__ = "engine_file"
    __table_args__ = (db.UniqueConstraint("item_id", "name", name="uq_engine_file_item_name"),)

    id = db.Column(db.Integer, primary_key=True)
    item_id = db.Column(db.ForeignKey("engine_item.id", ondelete="CASCADE"), nullable=False,
                        index=True)
    name = db.Column(db.String(200), nullable=False)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    item = db.relationship("Item")
    versions = db.relationship("FileVersion", back_populates="file", lazy="selectin",
                               order_by="FileVersion.number", cascade="all, delete-orphan")

    @property
    def current(self) -> FileVersion | None:
        return self.versions[-1] if self.versions else None


class FileVersion(db.Model):
    __tablename__ = "engine_file_version"
    __table_args__ = (db.UniqueConstraint("file_id", "number",
                                          name="uq_engine_file_version_number"),)

    id = db.Column(db.Integer, primary_key=True)
    file_id = db.Column(db.ForeignKey("engine_file.id", ondelete="CASCADE"), nullable=False,
                        index=True)
    number = db.Column(db.Integer, nullable=False)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    created_by_id = db.Column(db.ForeignKey("user_account.id"), nullable=True)
    size = db.Column(db.Integer, nullable=False)
    media_type = db.Column(db.String(127), nullable=False)
    sha256 = db.Column(db.String(64), nullable=False, index=True)
    original_name = db.Column(db.String(255), nullable=False)
    safe_name = db.Column(db.String(255), nullable=False)
    generated = db.Column(db.Boolean, nullable=False, default=False)
    meta = db.Column(db.JSON, nullable=True)
    text = db.Column(db.Text, nullable=True)  # extracted text, for the catalog
    file = db.relationship("EngineFile", back_populates="versions")
    created_by = db.relationship("User")


def add_file_version(item: Item, name: str, data: bytes, actor, *, filename: str,
                     meta: dict | None = None, generated: bool = False,
                     allowed: set[str] | None = None, text: str | None = None) -> FileVersion:
    """Store ``data`` as the next version of the item's file ``name``. Flushes, never commits.

    An upload is checked (type sniffed, size, safe name) and needs ``add_files``; a generated
    file (a rendered letter) is trusted and may be added by the system (``actor`` None).
    ``text``: a generated file's searchable text when its maker knows it (the renderer does),
    so the file is not parsed back for it.
    """
    from . import filecheck, storage
    from .events import emit
    from .security import can

    if not generated and not can(actor, "add_files", item):
        raise PermissionDenied(_("You may not add files to this item in its current state."))
    if generated:
        checked = None
        media_type = (meta or {}).get("media_type") or mimetypes.guess_type(filename)[0] \
            or "application/octet-stream"
        sha, size, safe = hashlib.sha256(data).hexdigest(), len(data), _safe(filename)
    else:
        checked = filecheck.check_upload(filename, data, allowed=allowed)
        media_type, sha, size, safe = (checked.media_type, checked.sha256, checked.size,
                                       checked.safe_name)
    stored = storage.blob_store(current_app).put(data)
    if stored != sha:
        raise RuntimeError("The blob store returned a different hash than the file's.")
    file = db.session.execute(db.select(EngineFile).where(
        EngineFile.item_id == item.id, EngineFile.name == name)).scalar_one_or_none()
    if file is None:
        file = EngineFile(item_id=item.id, name=name)
        db.session.add(file)
        db.session.flush()
    if text is None or not generated:
        try:
            text = filecheck.extract_text(media_type, data)
        except Exception:  # text is a convenience for search; a file without it is still stored
            text = None
    version = FileVersion(file=file, number=len(file.versions) + 1,
                          created_by_id=getattr(actor, "id", None), size=size,
                          media_type=media_type, sha256=sha, original_name=filename[:255],
                          safe_name=safe, generated=generated, meta=meta, text=text)
    db.session.add(version)
    touch(item, actor)
    db.session.flush()
    emit("file_added", item, actor, key=f"file_added:{version.id}", file=name,
         version=version.number)
    return version


def _safe(filename: str) -> str:
    import re
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", filename).strip("._") or "file"
    return stem[:200]


def files_of(item: Item) -> list[EngineFile]:
    return list(db.session.execute(db.select(EngineFile).where(EngineFile.item_id == item.id)
                                   .order_by(EngineFile.name)).scalars())


def versions(file: EngineFile) -> list[FileVersion]:
    """Every version of the file, oldest first."""
    return list(file.versions)


def read_version(version: FileVersion) -> bytes:
    from . import storage
    return storage.blob_store(current_app).get(version.sha256)
