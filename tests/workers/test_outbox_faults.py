"""Faults in the outbox: lost workers (lease), transient and permanent errors, late attempts."""
from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.exc import OperationalError

from docflow.extensions import db
from docflow.jobs import OutboxJob, enqueue, reap_expired, run_job
from docflow.jobs.models import utcnow
from docflow.jobs.outbox import _claim, lease, runnable_ids


def _job(**kw) -> OutboxJob:
    job = enqueue("workers.tasks.record_ping", "x", **kw)
    db.session.commit()
    return job


def _set(job, **values):
    db.session.execute(update(OutboxJob).where(OutboxJob.id == job.id).values(**values))
    db.session.commit()
    db.session.expire_all()


def test_lease_is_configurable_and_defaults_to_15_minutes(app, monkeypatch):
    monkeypatch.delenv("JOBS_LEASE_SECONDS", raising=False)
    app.config.pop("JOBS_LEASE_SECONDS", None)
    assert lease() == timedelta(seconds=900)
    monkeypatch.setenv("JOBS_LEASE_SECONDS", "30")
    assert lease() == timedelta(seconds=30)
    app.config["JOBS_LEASE_SECONDS"] = 2
    assert lease() == timedelta(seconds=2)


def test_a_running_job_whose_lease_expired_is_pending_again_with_its_attempt_counted(app):
    app.config["JOBS_LEASE_SECONDS"] = 60
    job = _job()
    assert _claim(job.id) == 1  # a worker took it, then died
    assert reap_expired() == 0  # still within its lease
    _set(job, started_at=utcnow() - timedelta(seconds=61))
    assert reap_expired() == 1
    row = db.session.get(OutboxJob, job.id)
    assert (row.status, row.attempts) == ("pending", 1)
    assert "lease expired" in row.error
    assert job.id in runnable_ids()
    assert run_job(job.id) == "done"
    db.session.refresh(row)
    assert (row.status, row.attempts, row.result) == ("done", 2, {"note": "x"})


def test_a_lost_job_on_its_last_attempt_fails(app):
    app.config["JOBS_LEASE_SECONDS"] = 60
    job = _job(max_attempts=1)
    _claim(job.id)
    _set(job, started_at=utcnow() - timedelta(minutes=5))
    assert reap_expired() == 1
    row = db.session.get(OutboxJob, job.id)
    assert (row.status, row.attempts) == ("failed", 1) and row.finished_at is not None


def test_a_queued_job_that_no_worker_took_is_sent_again(app):
    app.config["JOBS_LEASE_SECONDS"] = 60
    job = _job()
    _set(job, status="queued", available_at=utcnow() - timedelta(minutes=5))
    assert reap_expired() == 1
    row = db.session.get(OutboxJob, job.id)
    assert (row.status, row.attempts) == ("pending", 0)


def test_the_embedded_runner_reaps_before_running(app):
    app.config["JOBS_LEASE_SECONDS"] = 1
    job = _job()
    _claim(job.id)
    _set(job, started_at=utcnow() - timedelta(seconds=5))
    assert runnable_ids() == [job.id]


@pytest.mark.parametrize("error", [
    OperationalError("SELECT 1", {}, Exception("server closed the connection")),
    ConnectionError("Redis went away"),
    TimeoutError("blob store timed out"),
])
def test_transient_errors_are_retried_with_backoff(app, monkeypatch, error):
    import workers.tasks

    def flaky(note):
        raise error
    monkeypatch.setattr(workers.tasks, "record_ping", flaky)
    job = _job(max_attempts=3)
    before = utcnow()
    assert run_job(job.id) == "pending"
    row = db.session.get(OutboxJob, job.id)
    assert row.attempts == 1 and row.available_at >= before + timedelta(seconds=2)
    assert type(error).__name__ in row.error
    _set(job, available_at=utcnow())
    assert run_job(job.id) == "pending"
    row = db.session.get(OutboxJob, job.id)
    assert row.available_at >= utcnow() + timedelta(seconds=3)  # 2 s, then 4 s
    _set(job, available_at=utcnow())
    assert run_job(job.id) == "failed"
    row = db.session.get(OutboxJob, job.id)
    assert (row.attempts, row.status) == (3, "failed") and type(error).__name__ in row.error


def test_a_late_attempt_does_not_overwrite_the_one_that_took_over(app, monkeypatch):
    """A worker thought dead was only slow: its outcome gives way to the attempt that took over."""
    import workers.tasks

    job = _job()

    def slow_then_superseded(note):
        # While this attempt runs, its lease expires and another worker takes the job.
        _set(job, status="running", attempts=2, started_at=utcnow())
        return {"note": "late"}
    monkeypatch.setattr(workers.tasks, "record_ping", slow_then_superseded)
    assert run_job(job.id) == "running"
    row = db.session.get(OutboxJob, job.id)
    assert (row.status, row.attempts, row.result) == ("running", 2, None)
