"""enqueue() and run_job(): the only way work reaches a background worker, and how it runs.

Jobs are plain functions named by their dotted path; they run inside an application context
with a fresh database session, and must be idempotent (a retry gives the same result).
"""
import importlib
import logging
import traceback
from datetime import timedelta

from flask import current_app
from sqlalchemy import or_, update

from ..extensions import db
from .models import OutboxJob, utcnow

log = logging.getLogger(__name__)

ALLOWED_PREFIXES = ("workers.", "docflow.")
QUEUES = ("documents", "reports", "default")
LEASE = timedelta(minutes=15)  # a job 'running' longer than this is taken to have died


class JobError(RuntimeError):
    pass


def enqueue(func: str, *args, queue: str = "default", key: str | None = None,
            title: str = "", max_attempts: int = 5, **kwargs) -> OutboxJob:
    """Write a job into the outbox in the current transaction. Flushes, never commits."""
    if not func.startswith(ALLOWED_PREFIXES):
        raise JobError(f"Job functions live in workers or docflow, not {func!r}.")
    if queue not in QUEUES:
        raise JobError(f"Unknown queue {queue!r}; queues: {', '.join(QUEUES)}.")
    if key is not None:
        existing = db.session.execute(db.select(OutboxJob).where(OutboxJob.key == key)).scalar()
        if existing is not None:
            return existing
    job = OutboxJob(func=func, queue=queue, key=key, title=title or func.rsplit(".", 1)[-1],
                    args=list(args), kwargs=kwargs, max_attempts=max_attempts)
    db.session.add(job)
    db.session.flush()
    return job


def resolve(func: str):
    if not func.startswith(ALLOWED_PREFIXES):
        raise JobError(f"Refusing to run {func!r}.")
    module, _, name = func.rpartition(".")
    return getattr(importlib.import_module(module), name)


def runnable_ids(limit: int = 20) -> list[int]:
    """Jobs whose time has come, and jobs whose worker died holding them."""
    now = utcnow()
    stmt = (db.select(OutboxJob.id)
            .where(or_(
                (OutboxJob.status.in_(("pending", "queued"))) & (OutboxJob.available_at <= now),
                (OutboxJob.status == "running") & (OutboxJob.started_at < now - LEASE),
            ))
            .order_by(OutboxJob.id).limit(limit))
    return list(db.session.execute(stmt).scalars())


def _claim(job_id: int) -> bool:
    now = utcnow()
    result = db.session.execute(
        update(OutboxJob)
        .where(OutboxJob.id == job_id)
        .where(or_(OutboxJob.status.in_(("pending", "queued")),
                   (OutboxJob.status == "running") & (OutboxJob.started_at < now - LEASE)))
        .values(status="running", attempts=OutboxJob.attempts + 1, started_at=now)
    )
    db.session.commit()
    return result.rowcount == 1


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(2 ** attempts, 600))


def run_job(job_id: int) -> str:
    """Run one outbox job if nobody else has; returns its status afterwards."""
    if not _claim(job_id):
        job = db.session.get(OutboxJob, job_id)
        return job.status if job else "missing"
    job = db.session.get(OutboxJob, job_id)
    try:
        result = resolve(job.func)(*job.args, **job.kwargs)
    except Exception as exc:  # the job failed: record it, retry later or give up
        db.session.rollback()
        job = db.session.get(OutboxJob, job_id)
        job.error = "".join(traceback.format_exception_only(exc)).strip()[:4000]
        if job.attempts >= job.max_attempts:
            job.status, job.finished_at = "failed", utcnow()
        else:
            job.status, job.available_at = "pending", utcnow() + backoff(job.attempts)
        log.warning("job %s (%s) failed on attempt %s: %s", job.id, job.func, job.attempts,
                    job.error, exc_info=current_app.debug)
        db.session.commit()
        return job.status
    job.status, job.finished_at, job.error = "done", utcnow(), None
    job.result = result if isinstance(result, (dict, list, str, int, float, bool)) else None
    db.session.commit()
    return "done"


def retry(job_id: int) -> OutboxJob:
    """Put a failed job back in the queue (the administrator's retry button)."""
    job = db.session.get(OutboxJob, job_id)
    if job is None:
        raise JobError(f"No job {job_id}.")
    if job.status != "failed":
        raise JobError("Only a failed job can be retried.")
    job.status, job.available_at, job.attempts, job.error = "pending", utcnow(), 0, None
    db.session.flush()
    return job
