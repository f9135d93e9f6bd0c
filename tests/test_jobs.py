"""Jobs through the outbox: embedded runner, and a real Redis with a real `rq worker` process."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from docflow.extensions import db
from docflow.jobs import OutboxJob, enqueue, run_job
from docflow.jobs.outbox import JobError, runnable_ids
from docflow.jobs.runner import dispatch_pending

ROOT = Path(__file__).resolve().parent.parent
RQ = str(Path(sys.executable).parent / "rq")


def test_enqueue_is_part_of_the_callers_transaction(app):
    enqueue("workers.tasks.record_ping", "lost")
    db.session.rollback()  # the action failed: its job must not exist either
    assert db.session.execute(db.select(db.func.count(OutboxJob.id))).scalar() == 0


def test_a_keyed_job_is_enqueued_once(app):
    first = enqueue("workers.tasks.record_ping", "a", key="ping:1")
    second = enqueue("workers.tasks.record_ping", "b", key="ping:1")
    assert first.id == second.id


@pytest.mark.parametrize("func, queue", [("os.system", "default"),
                                         ("workers.tasks.record_ping", "nope")])
def test_enqueue_refuses_foreign_functions_and_queues(app, func, queue):
    with pytest.raises(JobError):
        enqueue(func, "x", queue=queue)


def test_run_job_runs_once_and_records_the_result(app):
    job = enqueue("workers.tasks.record_ping", "hi")
    db.session.commit()
    assert run_job(job.id) == "done"
    assert run_job(job.id) == "done"  # a second delivery is a no-op
    db.session.refresh(job)
    assert job.attempts == 1 and job.result == {"note": "hi"}


def test_a_failing_job_is_retried_with_backoff_then_marked_failed(app):
    job = enqueue("workers.tasks.record_ping", queue="default", max_attempts=2,
                  unexpected="argument")
    db.session.commit()
    assert run_job(job.id) == "pending"
    assert job.id not in runnable_ids()  # waits for its backoff
    db.session.refresh(job)
    job.available_at = job.created_at
    db.session.commit()
    assert run_job(job.id) == "failed"
    db.session.refresh(job)
    assert "unexpected" in job.error and job.attempts == 2


def _rq_worker_burst(redis_url: str, database_url: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DOCFLOW_ENV": "production", "SECRET_KEY": "test",
           "DATABASE_URL": database_url, "REDIS_URL": redis_url}
    return subprocess.run([RQ, "worker", "--url", redis_url, "--burst", "documents", "reports",
                           "default"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)


def _flask_worker_burst(redis_url: str, database_url: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DOCFLOW_ENV": "production", "SECRET_KEY": "test",
           "DATABASE_URL": database_url, "REDIS_URL": redis_url, "DOCFLOW_WARM_UP": "0"}
    return subprocess.run([str(Path(sys.executable).parent / "flask"), "--app", "docflow",
                           "worker", "--burst"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


@pytest.mark.redis
@pytest.mark.postgres
def test_real_rq_worker_runs_outbox_jobs_exactly_once(pg_app, redis_server):
    pg_app.config["REDIS_URL"] = redis_server.url
    jobs = [enqueue("workers.tasks.record_ping", f"n{i}") for i in range(3)]
    db.session.commit()
    assert dispatch_pending(pg_app) == 3
    # A lost status update makes the dispatcher send job 0 again: it must still run once.
    jobs[0].status = "pending"
    db.session.commit()
    assert dispatch_pending(pg_app) == 1
    result = _rq_worker_burst(redis_server.url, str(db.engine.url.render_as_string(False)))
    assert result.returncode == 0, result.stderr[-2000:]
    db.session.expire_all()
    for i, job in enumerate(jobs):
        row = db.session.get(OutboxJob, job.id)
        assert (row.status, row.attempts, row.result) == ("done", 1, {"note": f"n{i}"})


@pytest.mark.redis
@pytest.mark.postgres
def test_jobs_wait_while_redis_is_down_and_run_once_when_it_is_back(pg_app, redis_server):
    """R39.4: intake does not stop because Redis is down; nothing queued meanwhile is lost."""
    pg_app.config["REDIS_URL"] = redis_server.url
    redis_server.stop()
    try:
        jobs = [enqueue("workers.tasks.record_ping", f"outage{i}") for i in range(2)]
        db.session.commit()  # the action itself succeeds
        with pytest.raises(RedisConnectionError):
            dispatch_pending(pg_app)
        db.session.rollback()
        statuses = db.session.execute(db.select(OutboxJob.status)).scalars().all()
        assert statuses == ["pending", "pending"]
    finally:
        redis_server.start()
    assert dispatch_pending(pg_app) == 2
    # The production entry point: `flask worker` (DocflowWorker, app built once, dispatcher).
    result = _flask_worker_burst(redis_server.url, str(db.engine.url.render_as_string(False)))
    assert result.returncode == 0, result.stderr[-2000:]
    db.session.expire_all()
    assert [(j.status, j.attempts) for j in
            db.session.execute(db.select(OutboxJob).order_by(OutboxJob.id)).scalars()] == [
        ("done", 1), ("done", 1)]
    assert len(jobs) == 2


def test_embedded_worker_thread_runs_jobs(app):
    import time

    from docflow.jobs import start_background
    job = enqueue("workers.tasks.record_ping", "embedded")
    db.session.commit()
    start_background(app)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            db.session.expire_all()
            if db.session.get(OutboxJob, job.id).status == "done":
                break
            time.sleep(0.1)
        assert db.session.get(OutboxJob, job.id).status == "done"
    finally:
        app.extensions.pop("docflow_worker").stop()
