"""Functions RQ runs. The outbox row is the job; RQ only carries its id."""
import os

from . import get_app

_pid = None


def run_outbox_job(job_id: int) -> str:
    from docflow.extensions import db
    from docflow.jobs.outbox import run_job

    global _pid
    with get_app().app_context():
        if _pid != os.getpid():  # a new work horse: pooled connections belong to the parent
            db.engine.dispose(close=False)
            _pid = os.getpid()
        return run_job(job_id)


def record_ping(note: str) -> dict:
    """A harmless job that leaves a trace in the outbox result; used by health and tests."""
    return {"note": note}


def periodic_tick() -> dict:
    """RQ's cron runs this every minute (``workers.cron``): each periodic job's latest occurrence
    becomes one outbox job, however many cron schedulers run (``docflow.jobs.periodic``)."""
    from docflow.jobs.periodic import enqueue_due

    with get_app().app_context():
        return enqueue_due()
