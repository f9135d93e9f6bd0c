"""Periodic jobs (issue 8): the reminder sweep daily at 08:00 Asia/Almaty and the quarterly report
hook, once per period however many clocks run — RQ's cron schedulers on a real Redis, or the
embedded worker thread."""
import logging
import threading
import time
from datetime import UTC, date, datetime, timedelta

import pytest
from redis import Redis

from docflow.extensions import db
from docflow.jobs import OutboxJob, periodic, run_job
from docflow.jobs.periodic import PERIODIC, enqueue_due, latest_occurrence, local_zone

SWEEP = "material_reminders"
CALLS: list = []


def record_today(today: date) -> dict:
    """A periodic target for these tests: remembers the date it was given."""
    CALLS.append(today)
    return {"today": today.isoformat()}


def _periodic_jobs(name=None):
    rows = db.session.execute(db.select(OutboxJob).where(OutboxJob.func == periodic.RUN)
                              .order_by(OutboxJob.id)).scalars().all()
    return [r for r in rows if name is None or r.args[0] == name]


def test_the_sweep_is_due_at_eight_in_almaty(app):
    job = PERIODIC[SWEEP]
    zone = local_zone()
    at_eight = latest_occurrence(job, datetime(2026, 11, 26, 3, 0, tzinfo=UTC), zone)
    assert at_eight.isoformat() == "2026-11-26T08:00:00+05:00"
    before = latest_occurrence(job, datetime(2026, 11, 26, 2, 59, tzinfo=UTC), zone)
    assert before.isoformat() == "2026-11-25T08:00:00+05:00"
    quarter = latest_occurrence(PERIODIC["quarterly_report"],
                                datetime(2026, 11, 26, 3, 0, tzinfo=UTC), zone)
    assert quarter.isoformat() == "2026-10-01T08:00:00+05:00"


def test_one_outbox_job_per_period_and_a_new_one_the_next_day(app):
    now = datetime(2026, 11, 26, 4, 0, tzinfo=UTC)
    first = enqueue_due(now)
    assert enqueue_due(now + timedelta(hours=5)) == first  # same period: the same job
    assert "quarterly_report" not in first  # Oct 1 is past its 7-day catch-up window
    rows = _periodic_jobs(SWEEP)
    assert len(rows) == 1 and rows[0].key == "periodic:material_reminders:2026-11-26T08:00+05:00"
    assert rows[0].queue == "default" and rows[0].args == [SWEEP, "2026-11-26T08:00:00+05:00"]
    nxt = enqueue_due(datetime(2026, 11, 27, 3, 0, tzinfo=UTC))
    assert nxt[SWEEP] != first[SWEEP] and len(_periodic_jobs(SWEEP)) == 2
    on_quarter_day = enqueue_due(datetime(2027, 1, 2, 3, 0, tzinfo=UTC))
    assert db.session.get(OutboxJob, on_quarter_day["quarterly_report"]).queue == "reports"


def test_the_job_runs_the_real_sweep_with_the_periods_date(app, monkeypatch):
    due = enqueue_due(datetime(2026, 11, 26, 4, 0, tzinfo=UTC))
    assert run_job(due[SWEEP]) == "done"
    row = db.session.get(OutboxJob, due[SWEEP])
    assert row.result == {"periodic": SWEEP, "occurrence": "2026-11-26T08:00:00+05:00",
                          "result": {"reminded": 0, "escalated": 0}}
    CALLS.clear()
    monkeypatch.setitem(PERIODIC, "probe", periodic.Periodic(
        "probe", f"{__name__}.record_today", "30 23 * * *"))
    # 18:45 UTC is 23:45 in Almaty: the local date, not the UTC one, is the sweep's "today"
    due = enqueue_due(datetime(2026, 11, 26, 18, 45, tzinfo=UTC), names=["probe"])
    assert run_job(due["probe"]) == "done" and CALLS == [date(2026, 11, 26)]


def test_a_target_that_is_not_installed_is_skipped_with_a_log_line(app, monkeypatch, caplog):
    monkeypatch.setitem(PERIODIC, "ghost", periodic.Periodic(
        "ghost", "docflow.no_such_package.quarterly.scheduled_build", "0 8 * * *"))
    due = enqueue_due(datetime(2026, 11, 26, 4, 0, tzinfo=UTC), names=["ghost"])
    with caplog.at_level(logging.INFO, logger="docflow.jobs.periodic"):
        assert run_job(due["ghost"]) == "done"
    assert "docflow.no_such_package.quarterly.scheduled_build is not installed" in caplog.text
    assert db.session.get(OutboxJob, due["ghost"]).result == {
        "skipped": "docflow.no_such_package.quarterly.scheduled_build is not installed"}


def test_a_broken_import_inside_an_existing_module_fails_the_job(app, monkeypatch):
    monkeypatch.setitem(PERIODIC, "broken", periodic.Periodic(
        "broken", "tests.workers.broken_periodic_target.run", "0 8 * * *"))
    due = enqueue_due(datetime(2026, 11, 26, 4, 0, tzinfo=UTC), names=["broken"])
    assert run_job(due["broken"]) == "pending"  # an ordinary failure: retried, then failed
    assert "no_such_dependency" in db.session.get(OutboxJob, due["broken"]).error


def test_an_invalid_schedule_is_refused_at_registration():
    with pytest.raises(ValueError, match="invalid cron"):
        periodic.register_periodic("bad", "docflow.x.y", "at eight")
    assert "bad" not in PERIODIC


@pytest.mark.postgres
def test_two_clocks_at_the_same_moment_write_one_job(pg_app):
    """Two schedulers race on PostgreSQL: both look, both insert; the key lets one win and
    the other gets the winner's row."""
    now = datetime(2026, 11, 26, 4, 0, tzinfo=UTC)
    barrier, results, errors = threading.Barrier(2), [], []

    def clock():
        try:
            with pg_app.app_context():
                barrier.wait()
                results.append(enqueue_due(now, names=[SWEEP])[SWEEP])
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=clock) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors and len(results) == 2 and results[0] == results[1]
    assert len(_periodic_jobs(SWEEP)) == 1


@pytest.mark.redis
@pytest.mark.postgres
def test_two_rq_cron_schedulers_give_one_sweep_per_period(pg_app, redis_server, monkeypatch):
    """Production: `rq cron workers.cron` on two hosts; each enqueues its tick in Redis, RQ
    workers run both ticks, the outbox holds one sweep job for today's period, run once."""
    from rq import Queue, SimpleWorker
    from rq.cron import CronScheduler

    import workers

    conn = Redis.from_url(redis_server.url)
    conn.flushdb()
    monkeypatch.setattr(workers, "_app", pg_app)
    schedulers = []
    for _ in range(2):
        scheduler = CronScheduler(connection=conn)
        scheduler.load_config_from_file("workers.cron")
        schedulers.append(scheduler)
    assert [len(s.enqueue_jobs()) for s in schedulers] == [1, 1]
    assert Queue("default", connection=conn).count == 2
    assert SimpleWorker(["default"], connection=conn).work(burst=True)
    db.session.expire_all()
    rows = _periodic_jobs(SWEEP)
    occurrence = latest_occurrence(PERIODIC[SWEEP], datetime.now(UTC), local_zone())
    assert [r.key for r in rows] == [periodic.period_key(PERIODIC[SWEEP], occurrence)]
    # a minute later both schedulers tick again: still the same single job
    for s in schedulers:
        for job in s.get_jobs():
            job.next_enqueue_time = datetime.now(UTC) - timedelta(seconds=1)
    assert [len(s.enqueue_jobs()) for s in schedulers] == [1, 1]
    assert SimpleWorker(["default"], connection=conn).work(burst=True)
    db.session.expire_all()
    assert len(_periodic_jobs(SWEEP)) == 1
    assert run_job(rows[0].id) == "done" and run_job(rows[0].id) == "done"
    db.session.expire_all()
    assert db.session.get(OutboxJob, rows[0].id).attempts == 1


def test_the_embedded_worker_runs_the_periodic_jobs_too(app):
    from docflow.jobs import start_background

    start_background(app)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            db.session.expire_all()
            rows = _periodic_jobs(SWEEP)
            if rows and rows[0].status == "done":
                break
            time.sleep(0.1)
        assert len(rows) == 1 and rows[0].status == "done"
        assert rows[0].result["result"] == {"reminded": 0, "escalated": 0}
        # the thread keeps polling without writing the same period again
        time.sleep(1.2)
        db.session.expire_all()
        assert len(_periodic_jobs(SWEEP)) == 1
    finally:
        app.extensions.pop("docflow_worker").stop()


def test_the_periodic_command_writes_what_is_due_and_names_a_bad_time(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["periodic", "--now", "2026-11-26T04:00:00"])
    assert result.exit_code == 0 and f"{SWEEP}: job" in result.output, result.output
    again = runner.invoke(args=["periodic", "--now", "2026-11-26T09:00:00+05:00"])
    assert again.output == result.output  # same period, same job
    bad = runner.invoke(args=["periodic", "--now", "yesterday"])
    assert bad.exit_code == 2 and "--now" in bad.output
    assert len(_periodic_jobs(SWEEP)) == 1
