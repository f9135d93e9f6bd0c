"""Background jobs: the outbox, the embedded worker, the RQ dispatcher, and their health."""
import click
from flask import current_app

from .models import OutboxJob
from .outbox import PermanentJobError, enqueue, reap_expired, retry, run_job

__all__ = ["OutboxJob", "PermanentJobError", "enqueue", "reap_expired", "retry", "run_job",
           "init_app", "start_background", "health"]


def start_background(app) -> None:
    """Start what runs jobs in this process: the embedded worker, or the RQ dispatcher."""
    from .runner import Dispatcher, EmbeddedWorker

    if "docflow_worker" in app.extensions:
        return
    thread = EmbeddedWorker(app) if app.config["JOBS_BACKEND"] == "embedded" else Dispatcher(app)
    thread.start()
    app.extensions["docflow_worker"] = thread


def health(app) -> dict[str, dict]:
    """The state of the queue and the worker, for /healthz."""
    from .runner import EmbeddedWorker, redis_connection

    if app.config["JOBS_BACKEND"] == "embedded":
        thread = app.extensions.get("docflow_worker")
        worker_ok = isinstance(thread, EmbeddedWorker) and thread.alive()
        return {
            "queue": {"ok": True, "backend": "embedded outbox"},
            "worker": {"ok": worker_ok, "detail": "embedded worker thread"
                       + ("" if worker_ok else " is not running")},
        }
    try:
        from rq import Worker
        conn = redis_connection(app)
        conn.ping()
        workers = Worker.all(connection=conn)
    except Exception as exc:
        return {"queue": {"ok": False, "backend": "redis", "detail": f"Redis unreachable: {exc}"},
                "worker": {"ok": False, "detail": "cannot list workers without Redis"}}
    return {"queue": {"ok": True, "backend": "redis"},
            "worker": {"ok": bool(workers), "count": len(workers),
                       "detail": "" if workers else "no rq worker is running"}}


def init_app(app) -> None:
    """The job pages (/jobs/<id>, /admin/jobs) and the `flask worker` / `run-jobs` commands."""
    from .blueprint import bp

    if bp.name not in app.blueprints:
        app.register_blueprint(bp)

    @app.cli.command("worker")
    @click.option("--queues", default="documents,reports,default", show_default=True)
    @click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
    @click.option("--fork", is_flag=True,
                  help="Fork a work horse per job (isolation) instead of running jobs in the "
                       "warm worker process (faster).")
    @click.option("--max-jobs", type=click.IntRange(min=1), default=None,
                  help="Stop after this many jobs (let the service manager start a fresh one).")
    def worker_command(queues, burst, fork, max_jobs):
        """Run an RQ worker (production) with an outbox dispatcher beside it."""
        import multiprocessing
        import os

        from workers import use_app
        from workers.worker import DocflowSimpleWorker, DocflowWorker, prepare

        from .runner import redis_connection, run_dispatcher

        app = use_app(current_app._get_current_object())  # work horses inherit this app
        prepare(app)
        # The dispatcher is a process of its own, forked now while this one has no threads:
        # RQ forks a work horse per job, and a fork taken while a dispatcher *thread* held a
        # lock (the connection pool's) left horses hanging.
        dispatcher = multiprocessing.get_context("fork").Process(
            target=run_dispatcher, args=(app, os.getpid()), name="docflow-dispatcher", daemon=True)
        dispatcher.start()
        worker_class = DocflowWorker if fork else DocflowSimpleWorker
        worker = worker_class(queues.split(","), connection=redis_connection(app))
        worker.prepared = True
        try:
            worker.work(burst=burst, max_jobs=max_jobs)
        finally:
            dispatcher.terminate()
            dispatcher.join(10)

    @app.cli.command("cron")
    def cron_command():
        """Run RQ's cron scheduler for docflow's periodic jobs (`rq cron workers.cron`).

        Any number of hosts may run it: each period's job is written to the outbox once."""
        from rq.cron import CronScheduler

        from workers import use_app

        from .runner import redis_connection

        app = use_app(current_app._get_current_object())
        scheduler = CronScheduler(connection=redis_connection(app))
        scheduler.load_config_from_file("workers.cron")
        scheduler.start()

    @app.cli.command("periodic")
    @click.option("--now", "now_text", default=None,
                  help="Pretend it is this UTC time (ISO 8601); default: now.")
    def periodic_command(now_text):
        """Write the periodic jobs that are due into the outbox (once per period)."""
        from datetime import UTC, datetime

        from .periodic import enqueue_due

        now = None
        if now_text:
            try:
                now = datetime.fromisoformat(now_text)
            except ValueError:
                raise click.BadParameter("not an ISO 8601 time", param_hint="--now") from None
            now = now if now.tzinfo else now.replace(tzinfo=UTC)
        due = enqueue_due(now)
        click.echo(", ".join(f"{name}: job {job_id}" for name, job_id in due.items())
                   or "Nothing due.")

    @app.cli.command("run-jobs")
    def run_jobs_command():
        """Run every due outbox job once in this process (embedded mode, scripts, tests)."""
        from .outbox import runnable_ids

        done = 0
        while ids := runnable_ids():
            for job_id in ids:
                run_job(job_id)
                done += 1
        click.echo(f"Ran {done} job(s).")
