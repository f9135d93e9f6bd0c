"""Importing reference data from the web: an administrator uploads the CSV file, a background job
(the jobs outbox) runs ``importer.import_text`` on it with the same rules as
``flask import-reference`` (every row checked first, every bad row reported with its line, nothing
changed if any is bad, running it again changes nothing) and writes its progress and its outcome
into the job's ``result``, which the upload page shows in place (jobs/_progress.html, jobs.js).

The job's result: ``progress`` {done, total} (lines) and ``progress_text``, and at the end
``message`` (for people, in the uploader's language), ``ok``, ``errors`` (the problems, at most :data:`MAX_ERRORS` of them,
``error_count`` all of them) or ``counts`` {record: {created, updated, unchanged}}, and
``lines`` (the problems, or one line of counts per record, for people).
"""
from __future__ import annotations

import uuid

from flask import current_app
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import select, update

from ..engine.filecheck import FileRejected, check_upload
from ..extensions import db
from ..i18n import N_
from ..jobs.models import OutboxJob
from ..jobs.outbox import enqueue
from .importer import import_text

JOB = "docflow.reference.upload.run_import"
KEY_PREFIX = "reference-import:"
MAX_BYTES = 2 * 1024 * 1024  # REFERENCE_IMPORT_MAX_BYTES overrides it
MAX_ERRORS = 500
OUTCOMES = ("created", "updated", "unchanged")
LANGUAGES = ("kk", "ru", "en")


class UploadRefused(ValueError):
    """The uploaded file cannot be imported at all (not CSV, too big, not UTF-8)."""


def max_bytes() -> int:
    return int(current_app.config.get("REFERENCE_IMPORT_MAX_BYTES") or MAX_BYTES)


def check_csv(filename: str, data: bytes) -> str:
    """The text of an uploaded CSV file, or :class:`UploadRefused` saying why. The content goes
    through the engine's upload checks as plain text (the name is not trusted: a workbook or a
    program named .csv is refused), with the import's own size limit."""
    name = (filename or "").strip()
    if not name.lower().endswith((".csv", ".txt")):
        raise UploadRefused(_("Choose a CSV file (a name ending in .csv), saved as \"CSV UTF-8\"."))
    try:
        checked = check_upload(name.rsplit(".", 1)[0] + ".txt", data, allowed={"txt"},
                               max_bytes=max_bytes())
    except FileRejected as exc:
        if exc.code in ("type_not_allowed", "type_mismatch"):
            raise UploadRefused(_("This file is not a CSV text file: save it from the spreadsheet "
                                  "as \"CSV UTF-8\" and upload it again.")) from None
        raise UploadRefused(str(exc)) from None
    return checked.data.decode("utf-8-sig")


def start_import(text: str, user, lang: str) -> OutboxJob:
    """Enqueue the import of ``text`` for ``user`` (flushes; the caller commits)."""
    lines = max(0, len(text.splitlines()) - 1)
    key = f"{KEY_PREFIX}{uuid.uuid4().hex}"
    return enqueue(JOB, text=text, lang=lang if lang in LANGUAGES else "ru", job_key=key,
                   key=key, title=N_("Reference data import"), max_attempts=3, created_by=user,
                   total=lines)


def latest_import(user) -> OutboxJob | None:
    """The user's latest import (its progress and outcome show on the upload page), or None."""
    if not getattr(user, "id", None):
        return None
    return db.session.execute(
        select(OutboxJob).where(OutboxJob.created_by_id == user.id,
                                OutboxJob.key.startswith(KEY_PREFIX))
        .order_by(OutboxJob.id.desc()).limit(1)).scalar_one_or_none()


def _progress(done: int, total: int) -> dict:
    done = min(done, total)
    return {"progress": {"done": done, "total": total},
            "progress_text": ngettext("%(done)d of %(num)d row checked.",
                                "%(done)d of %(num)d rows checked.", total, done=done)}


def run_import(*, text: str, lang: str = "ru", total: int = 0, job_key: str = "") -> dict:
    """The job: check (showing progress), then apply or report. Idempotent (by code)."""
    job_id = db.session.execute(select(OutboxJob.id).where(OutboxJob.key == job_key)).scalar()

    def progress(line: int) -> None:
        # only reading so far: committing the progress commits nothing of the import
        if job_id is not None:
            db.session.execute(update(OutboxJob).where(OutboxJob.id == job_id,
                                                       OutboxJob.status == "running")
                               .values(result=_progress(line - 1, total)))
            db.session.commit()

    with force_locale(lang):
        report = import_text(text, progress=progress)
        result = _progress(total, total)
        if not report.ok:
            db.session.rollback()
            return {**result, "ok": False, "errors": report.errors[:MAX_ERRORS],
                    "lines": report.errors[:MAX_ERRORS],
                    "error_count": len(report.errors),
                    "message": ngettext("%(num)d problem found; nothing was changed.",
                                        "%(num)d problems found; nothing was changed.",
                                        len(report.errors))}
        counts = {record: {o: c[o] for o in OUTCOMES} for record, c in report.counts.items()}
        totals = {o: report.total(o) for o in OUTCOMES}
        names = {"body": _("Bodies"), "division": _("Divisions"), "venue": _("Venues"),
                 "official": _("Officials")}
        lines = [_("%(record)s: %(created)d created, %(updated)d updated, %(unchanged)d "
                   "unchanged.", record=names[record], **c) for record, c in counts.items()]
        return {**result, "ok": True, "counts": counts, "totals": totals, "lines": lines,
                "message": _("Imported: %(created)d created, %(updated)d updated, "
                             "%(unchanged)d unchanged.", **totals)}
