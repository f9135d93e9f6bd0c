"""Handlers for the job pages: load (404 unless it is the user's job or they are an admin), act,
commit once. A job is shown to the user who asked for it; nobody else learns it exists."""
from urllib.parse import urlsplit

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from ..extensions import db
from .models import OutboxJob
from .outbox import JobError, retry

STATUS_LABELS = {
    "pending": _l("Waiting to start"),
    "queued": _l("Waiting for a worker"),
    "running": _l("In progress"),
    "done": _l("Done"),
    "failed": _l("Failed"),
}


def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


def is_admin(user) -> bool:
    return user.is_authenticated and user.has_role("admin")


def may_follow(user, job: OutboxJob) -> bool:
    """The user who enqueued the job, or an administrator."""
    return is_admin(user) or (user.is_authenticated and job.created_by_id is not None
                              and job.created_by_id == user.id)


def load_job(job_id: int) -> OutboxJob:
    if not current_user.is_authenticated:
        abort(401)  # a page is sent to sign in first (job_view); a script gets a plain 401
    job = db.session.get(OutboxJob, job_id)
    if job is None or not may_follow(current_user, job):
        abort(404)
    return job


def download_url(job: OutboxJob) -> str | None:
    """A finished document job's file, through the engine's download (which checks access)."""
    result = job.result if isinstance(job.result, dict) else {}
    if job.status != "done" or not result.get("item") or not result.get("version"):
        return None
    return url_for("engine.download", uid=result["item"], version_id=result["version"])


def job_state(job: OutboxJob) -> dict:
    """What the progress script shows (GET /jobs/<id> as JSON)."""
    return {
        "id": job.id, "title": job.title, "queue": job.queue, "status": job.status,
        "label": status_label(job.status),
        "finished": job.finished, "attempts": job.attempts, "max_attempts": job.max_attempts,
        "error": job.error if job.status in ("failed", "pending") else None,
        "result": job.result, "download": download_url(job),
        "retry": url_for("jobs.retry", job_id=job.id) if job.status == "failed" else None,
        "labels": {"download": _("Download"), "retry": _("Try again")},
    }


def wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json" or request.args.get("format") == "json"


def job_view(job_id: int):
    if not current_user.is_authenticated and not wants_json():
        return current_app.login_manager.unauthorized()
    job = load_job(job_id)
    if wants_json():
        response = jsonify(job_state(job))
        response.headers["Cache-Control"] = "no-store"
        return response
    return render_template("jobs/job.html", job=job, state=job_state(job))


def _local(target: str | None) -> str | None:
    if not target:
        return None
    parts = urlsplit(target)
    if parts.netloc and parts.netloc != request.host:
        return None
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    if not path.startswith("/") or path.startswith("//") or "\\" in path:
        return None
    return path


def _back(job: OutboxJob):
    """Where a retry form returns: the local page it names or came from, else the job's page."""
    target = _local(request.form.get("next")) or _local(request.referrer) \
        or url_for("jobs.job", job_id=job.id)
    return redirect(target, 303)


def retry_view(job_id: int):
    job = load_job(job_id)
    try:
        retry(job.id)
        db.session.commit()
    except JobError:  # retried twice, or it is no longer failed: say so, change nothing
        db.session.rollback()
        if wants_json():
            return jsonify({**job_state(job), "message": _("Only a failed job can be retried.")}), 409
        flash(_("Only a failed job can be retried."), "error")
        return _back(job)
    if wants_json():
        return jsonify(job_state(job)), 202
    flash(_("The job will be tried again."), "success")
    return _back(job)


@login_required
def admin_view():
    if not is_admin(current_user):
        abort(403)
    from . import overview
    return render_template("jobs/admin.html", **overview.summary())
