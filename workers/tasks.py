"""Functions RQ runs. The outbox row is the job; RQ only carries its id."""
from . import get_app


def run_outbox_job(job_id: int) -> str:
    from docflow.jobs.outbox import run_job

    with get_app().app_context():
        return run_job(job_id)


def record_ping(note: str) -> dict:
    """A harmless job that leaves a trace in the outbox result; used by health and tests."""
    return {"note": note}
