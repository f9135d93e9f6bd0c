"""Where outbox jobs run.

* embedded (`make run`): a thread in the app process polls the outbox and runs the jobs itself.
  No Redis to install; jobs survive a restart because they are rows in the database. (A separate
  `rq worker` against fakeredis's TCP server was measured to break: no INFO command, CLIENT INFO
  replies redis-py cannot parse. The outbox already gives durability, so Redis adds nothing here.)
* rq (production): a dispatcher moves due rows to Redis queues, with the outbox id as the RQ job
  id, and `rq worker` processes on any number of hosts run them. If Redis is down, the rows wait.
"""
import logging
import threading
import time

from .models import OutboxJob, utcnow
from .outbox import run_job, runnable_ids

log = logging.getLogger(__name__)


class EmbeddedWorker(threading.Thread):
    """Runs outbox jobs inside the app process (embedded mode), and is its clock for periodic
    jobs (``docflow.jobs.periodic``): each occurrence becomes one keyed outbox job."""

    def __init__(self, app, poll: float = 0.5):
        from .periodic import PeriodicScheduler

        super().__init__(name="docflow-embedded-worker", daemon=True)
        self.app, self.poll = app, poll
        self.stopping = threading.Event()
        self.last_beat = 0.0
        self.periodic = PeriodicScheduler()

    def run(self) -> None:
        while not self.stopping.is_set():
            self.last_beat = time.monotonic()
            try:
                with self.app.app_context():
                    self.periodic.tick()
                    ids = runnable_ids()
                    for job_id in ids:
                        run_job(job_id)
            except Exception:  # the database may be briefly unavailable; keep polling
                log.exception("embedded worker loop failed; retrying")
                ids = []
            if not ids:
                self.stopping.wait(self.poll)

    def alive(self) -> bool:
        return self.is_alive() and time.monotonic() - self.last_beat < 60

    def stop(self) -> None:
        self.stopping.set()


def redis_connection(app):
    from redis import Redis
    return Redis.from_url(app.config["REDIS_URL"], socket_timeout=2, socket_connect_timeout=2)


def dispatch_pending(app, limit: int = 100) -> int:
    """Hand due outbox rows to RQ. Raises when Redis is unreachable; the rows then stay pending.

    Jobs whose worker died (lease expired, ``JOBS_LEASE_SECONDS``) are put back first, so they
    are sent again. ``available_at`` of a queued row is when it was sent (for the reaper).
    """
    from rq import Queue
    from sqlalchemy import update

    from ..extensions import db
    from .outbox import lease, reap_expired

    reap_expired()  # jobs whose worker died are pending again, and sent below
    conn = redis_connection(app)
    sent = 0
    ids = db.session.execute(
        db.select(OutboxJob.id, OutboxJob.queue)
        .where(OutboxJob.status == "pending", OutboxJob.available_at <= utcnow())
        .order_by(OutboxJob.id).limit(limit)
    ).all()
    for job_id, queue in ids:
        Queue(queue, connection=conn).enqueue(
            "workers.tasks.run_outbox_job", job_id, job_id=f"outbox-{job_id}",
            job_timeout=max(600, int(lease().total_seconds())), result_ttl=3600, failure_ttl=7 * 86400,
        )
        db.session.execute(update(OutboxJob).where(OutboxJob.id == job_id,
                                                   OutboxJob.status == "pending")
                           .values(status="queued", available_at=utcnow()))
        db.session.commit()
        sent += 1
    return sent


class Dispatcher(threading.Thread):
    """Production: moves outbox rows to Redis; several may run, the claim keeps jobs single."""

    def __init__(self, app, poll: float = 0.5):
        super().__init__(name="docflow-dispatcher", daemon=True)
        self.app, self.poll = app, poll
        self.stopping = threading.Event()

    parent_pid: int | None = None  # in a dispatcher process: stop when its worker is gone

    def run(self) -> None:
        import os

        while not self.stopping.is_set():
            if self.parent_pid is not None and os.getppid() != self.parent_pid:
                return
            sent = 0
            try:
                with self.app.app_context():
                    sent = dispatch_pending(self.app)
            except Exception as exc:  # Redis down: the outbox keeps the jobs; try again soon
                log.warning("dispatch failed, will retry: %s", exc)
                self.stopping.wait(min(5.0, self.poll * 4))
            if not sent:
                self.stopping.wait(self.poll)

    def stop(self) -> None:
        self.stopping.set()


def run_dispatcher(app, parent_pid: int) -> None:
    """A dispatcher process's main loop (``flask worker`` forks one); ends on SIGTERM, or by
    itself when the worker that started it has died."""
    from ..extensions import db

    with app.app_context():
        db.engine.dispose(close=False)  # the parent's pooled connections stay the parent's
    dispatcher = Dispatcher(app)
    dispatcher.parent_pid = parent_pid
    dispatcher.run()
