"""The administrators' view of the jobs: the outbox by queue and status, and RQ's side."""
from flask import current_app
from sqlalchemy import func

from ..extensions import db
from .models import OutboxJob
from .outbox import QUEUES, lease, utcnow

STATUSES = OutboxJob.STATUSES
LISTED = 50


def outbox_counts() -> dict[str, dict[str, int]]:
    """{queue: {status: n}} for every known queue and status (zeros included)."""
    counts = {q: dict.fromkeys(STATUSES, 0) for q in QUEUES}
    rows = db.session.execute(db.select(OutboxJob.queue, OutboxJob.status, func.count())
                              .group_by(OutboxJob.queue, OutboxJob.status))
    for queue, status, n in rows:
        counts.setdefault(queue, dict.fromkeys(STATUSES, 0))[status] = n
    return counts


def rq_state() -> dict | None:
    """RQ's queue lengths, failed registries and workers; None in embedded mode, and
    ``{"error": ...}`` when Redis does not answer (the page still shows the outbox)."""
    if current_app.config.get("JOBS_BACKEND") != "rq":
        return None
    try:
        from rq import Queue, Worker

        from .runner import redis_connection

        conn = redis_connection(current_app)
        conn.ping()
        queues = []
        for name in QUEUES:
            queue = Queue(name, connection=conn)
            queues.append({"name": name, "length": queue.count,
                           "started": queue.started_job_registry.count,
                           "failed": queue.failed_job_registry.count})
        workers = [{"name": w.name, "state": w.get_state(), "queues": ", ".join(w.queue_names()),
                    "job": (w.get_current_job_id() or "")}
                   for w in Worker.all(connection=conn)]
    except Exception as exc:  # Redis down or unreachable: say so, never a 500
        return {"error": str(exc) or exc.__class__.__name__, "queues": [], "workers": []}
    return {"error": None, "queues": queues, "workers": workers}


def _jobs(status: str, order) -> list[OutboxJob]:
    return list(db.session.execute(db.select(OutboxJob).where(OutboxJob.status == status)
                                   .order_by(order).limit(LISTED)).scalars())


def summary() -> dict:
    now = utcnow()
    return {
        "counts": outbox_counts(), "statuses": STATUSES, "rq": rq_state(),
        "running": _jobs("running", OutboxJob.started_at),
        "failed": _jobs("failed", OutboxJob.finished_at.desc()),
        "lease_seconds": int(lease().total_seconds()), "now": now, "limit": LISTED,
    }
