"""enqueue() and run_job(): the only way work reaches a background worker, and how it runs.

Jobs are plain functions named by their dotted path; they run inside an application context
with a fresh database session, and must be idempotent (a retry gives the same result).
"""
import importlib
import logging
import os
import traceback
from datetime import UTC, datetime, timedelta

from flask import current_app
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy import update
from sqlalchemy.exc import DBAPIError, OperationalError

from ..extensions import db
from .models import OutboxJob, utcnow

log = logging.getLogger(__name__)

ALLOWED_PREFIXES = ("workers.", "docflow.")
QUEUES = ("documents", "reports", "default")
LEASE = timedelta(minutes=15)  # default: a job 'running' longer than this is taken to have died

# Errors worth another try: the database, Redis, the blob store or the network hiccuped.
# They and ordinary errors are retried with backoff until max_attempts; PermanentJobError is not.
TRANSIENT = (OperationalError, ConnectionError, TimeoutError, RedisConnectionError,
             RedisTimeoutError)


class JobError(RuntimeError):
    pass


class PermanentJobError(JobError):
    """Raised by a job when another try cannot help (its item is gone): failed at once."""


def lease() -> timedelta:
    """How long a claimed job may run before it is taken to have died with its worker:
    ``JOBS_LEASE_SECONDS`` from the app config, else the environment, else 900 s."""
    seconds = current_app.config.get("JOBS_LEASE_SECONDS") \
        or os.environ.get("JOBS_LEASE_SECONDS") or LEASE.total_seconds()
    return timedelta(seconds=float(seconds))


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, TRANSIENT)


def enqueue(func: str, *args, queue: str = "default", key: str | None = None,
            title: str = "", max_attempts: int = 5, created_by=None,
            not_before: datetime | None = None, **kwargs) -> OutboxJob:
    """Write a job into the outbox in the current transaction. Flushes, never commits.

    ``created_by`` (a user) may follow the job at ``/jobs/<id>`` and retry it if it fails.
    ``not_before`` (aware) holds the job back, e.g. a reminder until the venue opens.
    """
    if not func.startswith(ALLOWED_PREFIXES):
        raise JobError(f"Job functions live in workers or docflow, not {func!r}.")
    if queue not in QUEUES:
        raise JobError(f"Unknown queue {queue!r}; queues: {', '.join(QUEUES)}.")
    if key is not None:
        existing = db.session.execute(db.select(OutboxJob).where(OutboxJob.key == key)).scalar()
        if existing is not None:
            return existing
    job = OutboxJob(func=func, queue=queue, key=key, title=title or func.rsplit(".", 1)[-1],
                    args=list(args), kwargs=kwargs, max_attempts=max_attempts,
                    created_by_id=getattr(created_by, "id", None))
    if not_before is not None:
        job.available_at = not_before.astimezone(UTC).replace(tzinfo=None)
    db.session.add(job)
    db.session.flush()
    return job


def resolve(func: str):
    if not func.startswith(ALLOWED_PREFIXES):
        raise JobError(f"Refusing to run {func!r}.")
    module, _, name = func.rpartition(".")
    return getattr(importlib.import_module(module), name)


def runnable_ids(limit: int = 20) -> list[int]:
    """Jobs whose time has come (embedded worker and `flask run-jobs`); lost ones are reaped
    first, so a job whose worker died comes back here as pending."""
    reap_expired()
    stmt = (db.select(OutboxJob.id)
            .where(OutboxJob.status.in_(("pending", "queued")),
                   OutboxJob.available_at <= utcnow())
            .order_by(OutboxJob.id).limit(limit))
    return list(db.session.execute(stmt).scalars())


def reap_expired() -> int:
    """Put jobs whose worker died back in line; returns how many.

    A ``running`` row whose lease has expired goes back to ``pending`` (its attempt is already
    counted: the claim counted it), or to ``failed`` when that was its last attempt. A ``queued``
    row that no worker claimed within a lease (Redis lost it) is pending again; delivering it twice
    is harmless, the claim runs it once. Commits.
    """
    now = utcnow()
    expired = now - lease()
    lost = "The worker running this job stopped before it finished (its lease expired)."
    stale_running = (OutboxJob.status == "running") & (OutboxJob.started_at < expired)
    lost_queued = (OutboxJob.status == "queued") & (OutboxJob.available_at < expired)
    # Look before writing: an idle poll must not take SQLite's write lock every half second.
    if db.session.execute(db.select(OutboxJob.id).where(stale_running | lost_queued)
                          .limit(1)).first() is None:
        db.session.rollback()
        return 0
    failed = db.session.execute(
        update(OutboxJob).where(stale_running, OutboxJob.attempts >= OutboxJob.max_attempts)
        .values(status="failed", finished_at=now, error=lost)).rowcount
    again = db.session.execute(
        update(OutboxJob).where(stale_running)
        .values(status="pending", available_at=now, error=lost)).rowcount
    requeued = db.session.execute(
        update(OutboxJob).where(lost_queued).values(status="pending", available_at=now)).rowcount
    db.session.commit()
    if failed or again or requeued:
        log.warning("outbox: %s lost job(s) put back, %s failed, %s re-dispatched",
                    again, failed, requeued)
    return failed + again + requeued


def _claim(job_id: int) -> int | None:
    """Take the job if it is waiting; returns the attempt number this run is, or None."""
    now = utcnow()
    result = db.session.execute(
        update(OutboxJob)
        .where(OutboxJob.id == job_id, OutboxJob.status.in_(("pending", "queued")))
        .values(status="running", attempts=OutboxJob.attempts + 1, started_at=now)
    )
    db.session.commit()
    if result.rowcount != 1:
        return None
    return db.session.execute(db.select(OutboxJob.attempts)
                              .where(OutboxJob.id == job_id)).scalar_one()


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(2 ** attempts, 600))


def _record(job_id: int, attempt: int, **values) -> bool:
    """Write this attempt's outcome, unless the job was reaped and taken by a newer attempt
    meanwhile (a worker thought dead that was only slow): then the newer one decides."""
    result = db.session.execute(
        update(OutboxJob).where(OutboxJob.id == job_id, OutboxJob.attempts == attempt,
                                OutboxJob.status == "running").values(**values))
    db.session.commit()
    if result.rowcount != 1:
        log.warning("job %s: attempt %s finished after its lease; outcome not recorded",
                    job_id, attempt)
    return result.rowcount == 1


def _jsonable(value):
    return value if isinstance(value, (dict, list, str, int, float, bool)) else None


def run_job(job_id: int) -> str:
    """Run one outbox job if nobody else has; returns its status afterwards.

    The job's own writes and its ``done`` are committed together. A failure is rolled back and
    recorded: a transient error or an ordinary one is tried again after an exponential backoff
    until ``max_attempts``, a :class:`PermanentJobError` fails at once; ``failed`` keeps the
    error. If the worker dies instead, the row stays ``running`` until its lease expires and
    :func:`reap_expired` puts it back.
    """
    attempt = _claim(job_id)
    if attempt is None:
        job = db.session.get(OutboxJob, job_id)
        return job.status if job else "missing"
    job = db.session.get(OutboxJob, job_id)
    func, args, kwargs, max_attempts = job.func, job.args, job.kwargs, job.max_attempts
    try:
        result = resolve(func)(*args, **kwargs)
        db.session.flush()
    except Exception as exc:  # the job failed: record it, retry later or give up
        db.session.rollback()
        error = "".join(traceback.format_exception_only(exc)).strip()[:4000]
        give_up = attempt >= max_attempts or isinstance(exc, PermanentJobError)
        log.warning("job %s (%s) failed on attempt %s (%s): %s", job_id, func, attempt,
                    "transient" if is_transient(exc) else "error", error,
                    exc_info=current_app.debug)
        if give_up:
            _record(job_id, attempt, status="failed", finished_at=utcnow(), error=error)
        else:
            _record(job_id, attempt, status="pending", error=error,
                    available_at=utcnow() + backoff(attempt))
        db.session.expire_all()
        job = db.session.get(OutboxJob, job_id)
        return job.status
    # The job's writes and its 'done' in one commit: a job either happened or will run again.
    # Only while the row is still this attempt's (see _record); otherwise its writes are undone.
    done = db.session.execute(
        update(OutboxJob).where(OutboxJob.id == job_id, OutboxJob.attempts == attempt,
                                OutboxJob.status == "running")
        .values(status="done", finished_at=utcnow(), error=None, result=_jsonable(result)))
    if done.rowcount == 1:
        db.session.commit()
    else:
        db.session.rollback()
        log.warning("job %s: attempt %s finished after its lease; its work is left to the "
                    "attempt that took over", job_id, attempt)
    db.session.expire_all()
    return db.session.get(OutboxJob, job_id).status


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
