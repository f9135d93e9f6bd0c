"""Document jobs: build one kind of document for one item (issue 8).

Each job is idempotent (``build_document`` returns the stored version when nothing changed), so a
retry after a crash, or a second delivery, never stores a second copy.
"""
from docflow.jobs.outbox import PermanentJobError


def generate(kind: str, item_uid: str, requested_by: int | None = None) -> dict:
    """Build ``kind`` for the item ``item_uid``; the result names the stored version."""
    from docflow.auth.models import User
    from docflow.documents.builders import UnknownBuilder, build_document
    from docflow.engine.content import get_by_uid
    from docflow.extensions import db

    item = get_by_uid(item_uid)
    if item is None:
        raise PermanentJobError(f"The item {item_uid} no longer exists.")
    actor = db.session.get(User, requested_by) if requested_by is not None else None
    try:
        version = build_document(kind, item, actor)
    except UnknownBuilder as exc:
        raise PermanentJobError(str(exc)) from exc
    return {"version": version.id, "sha256": version.sha256, "number": version.number,
            "item": item.uid, "file": version.file.name, "kind": kind}
