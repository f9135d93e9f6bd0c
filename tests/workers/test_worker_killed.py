"""Issue 8's fault test: a real Redis, real `rq worker` processes on PostgreSQL, and a worker
killed (SIGKILL, with its work horse) in the middle of building a document. The job is retried by
a new worker once its lease expires, and exactly one document version is stored."""
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from redis import Redis

from docflow.documents.builders import request_document
from docflow.engine import files_of
from docflow.extensions import db
from docflow.jobs import OutboxJob
from docflow.jobs.models import utcnow
from docflow.jobs.runner import dispatch_pending

ROOT = Path(__file__).resolve().parents[2]
RQ = str(Path(sys.executable).parent / "rq")
# What `flask worker` runs (app built once): jobs in the worker process, or a horse per job.
WORKERS = ["workers.worker.DocflowSimpleWorker", "workers.worker.DocflowWorker"]
BUILD_SECONDS = 3


def _row(job_id: int) -> OutboxJob:
    db.session.expire_all()
    row = db.session.get(OutboxJob, job_id)
    db.session.rollback()  # no transaction left open while the workers write
    return row


def _versions(item) -> list:
    db.session.expire_all()
    found = [(v.id, v.number) for f in files_of(item) for v in f.versions]
    db.session.rollback()
    return found


def _worker_env(app, redis_url: str) -> dict:
    return {**os.environ, "DOCFLOW_ENV": "production", "SECRET_KEY": "test",
            "DATABASE_URL": db.engine.url.render_as_string(False), "REDIS_URL": redis_url,
            "BLOB_STORE": app.config["BLOB_STORE"],
            "DOCFLOW_EXTRA_IMPORTS": "tests.workers.builders_for_tests",
            "DOCFLOW_TEST_BUILD_SECONDS": str(BUILD_SECONDS)}


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.parametrize("worker_class", WORKERS)
def test_a_worker_killed_mid_job_is_retried_and_one_document_is_stored(memo_pg_env, redis_server,
                                                                        tmp_path, worker_class):
    WORKER = ["-w", worker_class]
    app, memo = memo_pg_env.app, memo_pg_env.memo
    app.config["REDIS_URL"] = redis_server.url
    Redis.from_url(redis_server.url).flushdb()  # nothing left by other tests
    job = request_document("test_slow_letter", memo, memo_pg_env.owner)
    db.session.commit()
    assert dispatch_pending(app) == 1
    env = _worker_env(app, redis_server.url)

    # 1. A worker takes the job and is killed while the builder is working.
    log = open(tmp_path / "worker1.log", "w")
    first = subprocess.Popen([RQ, "worker", *WORKER, "--url", redis_server.url, "documents"],
                             cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                             start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while _row(job.id).status != "running":
            assert first.poll() is None, (tmp_path / "worker1.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "the worker never started the job"
            time.sleep(0.1)
        time.sleep(0.5)  # inside the builder's sleep: the claim is committed, nothing else
    finally:
        os.killpg(first.pid, signal.SIGKILL)  # the worker and its work horse, mid-job
        first.wait(10)
        log.close()
    row = _row(job.id)
    assert (row.status, row.attempts) == ("running", 1)

    # 2. Within its lease, the job is left alone; once the lease expires it is sent again.
    assert dispatch_pending(app) == 0
    app.config["JOBS_LEASE_SECONDS"] = 2
    while utcnow() < row.started_at + timedelta(seconds=2.2):
        time.sleep(0.1)
    time.sleep(max(0.0, BUILD_SECONDS - 2.2))  # past the killed build: nothing of it landed
    assert _versions(memo) == []
    assert dispatch_pending(app) == 1
    row = _row(job.id)
    assert (row.status, row.attempts) == ("queued", 1) and "lease expired" in row.error

    # 3. A new worker finishes it: done on the second attempt, exactly one stored document.
    # (Its builder need not dawdle: nothing kills this one.)
    second = subprocess.run([RQ, "worker", *WORKER, "--url", redis_server.url, "--burst",
                             "documents"],
                            cwd=ROOT, env={**env, "DOCFLOW_TEST_BUILD_SECONDS": "0"},
                            capture_output=True, text=True, timeout=120)
    assert second.returncode == 0, second.stderr[-3000:]
    row = _row(job.id)
    assert (row.status, row.attempts, row.error) == ("done", 2, None), row.error
    versions = _versions(memo)
    assert versions == [(row.result["version"], 1)]
    assert row.result["number"] == 1 and len(row.result["sha256"]) == 64
