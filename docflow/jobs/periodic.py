"""Periodic jobs (the daily reminder sweep, the quarterly report), run exactly once per period.

A periodic job is a cron expression in the venues' local time (``VENUE_TIMEZONE``, Asia/Almaty)
and a target function named by its dotted path. Whatever clock notices that an occurrence has
come, it does the same thing: write one outbox job whose key names the occurrence
(``periodic:<name>:<local time>``). The outbox key is unique, so several clocks — every
``flask cron`` / ``rq cron workers.cron`` host in production, the embedded worker thread on a
single machine — give one job per period, and the outbox's claim runs it once.

* rq mode: RQ's own cron scheduler (``rq.cron.CronScheduler``, RQ >= 2.6) enqueues
  ``workers.tasks.periodic_tick`` every minute; the tick calls :func:`enqueue_due`. RQ's cron
  counts in UTC and does not catch up a missed minute; the tick does both right: it computes the
  latest occurrence in local time and enqueues it if it is not in the outbox yet.
* embedded mode: :class:`PeriodicScheduler` in the embedded worker thread, touching the database
  only when an occurrence has passed that this process has not handled yet.

A run missed while nothing was running is caught up when a clock comes back, within the job's
``catch_up`` window (a day for the sweep): a reminder sweep a few hours late is still wanted,
a quarterly report of a quarter long gone is not built on a fresh install.

Targets are imported when the job runs. A target whose module is absent (the quarterly report
lives in a package another part of docflow provides) is skipped with a log line, never failed.
A target receives ``today`` (the occurrence's local date) when it has a parameter of that name.
"""
from __future__ import annotations

import importlib
import inspect
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from croniter import croniter
from flask import current_app
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from .models import OutboxJob
from .outbox import enqueue

log = logging.getLogger(__name__)

RUN = "docflow.jobs.periodic.run_periodic"
DEFAULT_TIMEZONE = "Asia/Almaty"


@dataclass(frozen=True)
class Periodic:
    name: str
    target: str  # dotted path of the function to call
    cron: str  # minute hour day month weekday, in the venues' local time
    queue: str = "default"
    catch_up: timedelta = timedelta(days=1)
    title: str = ""


PERIODIC: dict[str, Periodic] = {}


def register_periodic(name: str, target: str, cron: str, *, queue: str = "default",
                      catch_up: timedelta = timedelta(days=1), title: str = "") -> Periodic:
    """Add (or replace) a periodic job; the schedule is checked now, not at 08:00."""
    if not croniter.is_valid(cron):
        raise ValueError(f"periodic job {name!r}: invalid cron expression {cron!r}")
    job = Periodic(name, target, cron, queue, catch_up, title or name)
    PERIODIC[name] = job
    return job


# The reminder sweep of material requests (R31): remind before the due date, escalate after.
register_periodic("material_reminders", "docflow.reception.materials.sweep_material_requests",
                  "0 8 * * *", title="Material requests: reminders and escalations")
# The quarterly report (R40), built on the first day of each quarter for the quarter just ended.
register_periodic("quarterly_report", "docflow.reports.quarterly.scheduled_build",
                  "0 8 1 1,4,7,10 *", queue="reports", catch_up=timedelta(days=7),
                  title="Quarterly report")
# Late quarterly reports (R40): warn the venue each working morning until the report is submitted.
register_periodic("late_reports", "docflow.reports.quarterly.sweep_late", "30 8 * * *",
                  queue="reports", title="Quarterly reports: late warnings")


def local_zone() -> ZoneInfo:
    try:
        name = current_app.config.get("VENUE_TIMEZONE") or DEFAULT_TIMEZONE
    except RuntimeError:  # outside an app context
        name = DEFAULT_TIMEZONE
    return ZoneInfo(name)


def latest_occurrence(job: Periodic, now: datetime, zone: ZoneInfo) -> datetime:
    """The last time ≤ ``now`` the job was due, as an aware local datetime."""
    local_now = now.astimezone(zone)
    # croniter's get_prev is strict: step a second past now so an exact 08:00:00 counts.
    return croniter(job.cron, local_now + timedelta(seconds=1)).get_prev(datetime)


def period_key(job: Periodic, occurrence: datetime) -> str:
    return f"periodic:{job.name}:{occurrence.isoformat(timespec='minutes')}"


def schedule(job: Periodic, occurrence: datetime) -> OutboxJob:
    """The occurrence's outbox job, written once however many clocks ask at the same moment.
    Commits: a clock is not part of anyone's transaction, so its session starts clean."""
    key = period_key(job, occurrence)
    try:
        row = enqueue(RUN, job.name, occurrence.isoformat(), queue=job.queue, key=key,
                      title=f"{job.title} ({occurrence:%Y-%m-%d %H:%M})")
        db.session.commit()
        return row
    except IntegrityError:  # another scheduler wrote the same key between our look and insert
        db.session.rollback()
        return db.session.execute(db.select(OutboxJob).where(OutboxJob.key == key)).scalar_one()


def enqueue_due(now: datetime | None = None, names=None) -> dict[str, int]:
    """Write each periodic job's latest occurrence into the outbox unless it is there already
    (or older than its catch-up window). Returns ``{name: outbox job id}`` of due occurrences."""
    now = now or datetime.now(UTC)
    zone = local_zone()
    due = {}
    for job in list(PERIODIC.values()):
        if names is not None and job.name not in names:
            continue
        occurrence = latest_occurrence(job, now, zone)
        if now - occurrence > job.catch_up:
            continue
        due[job.name] = schedule(job, occurrence).id
    return due


class PeriodicScheduler:
    """The embedded clock: remembers the occurrences this process has handled, so the database
    is asked once per occurrence, not on every poll of the worker loop."""

    def __init__(self):
        self.handled: dict[str, datetime] = {}

    def tick(self, now: datetime | None = None) -> dict[str, int]:
        now = now or datetime.now(UTC)
        zone = local_zone()
        names = [job.name for job in list(PERIODIC.values())
                 if self.handled.get(job.name) != latest_occurrence(job, now, zone)]
        if not names:
            return {}
        due = enqueue_due(now, names)
        for name in names:
            self.handled[name] = latest_occurrence(PERIODIC[name], now, zone)
        return due


def _target(dotted: str):
    """The target function, or None when its module is not installed (logged)."""
    module_name, _, attr = dotted.rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        # Only the target's own module (or a package above it) missing means "not provided";
        # a missing import *inside* an existing module is a bug and must fail loudly.
        if exc.name and (module_name == exc.name or module_name.startswith(exc.name + ".")):
            return None
        raise
    return getattr(module, attr)


def run_periodic(name: str, occurrence: str) -> dict:
    """The outbox job of one occurrence: call the target, skipping a target not installed."""
    job = PERIODIC.get(name)
    if job is None:
        log.warning("periodic job %r is no longer registered; occurrence %s skipped",
                    name, occurrence)
        return {"skipped": f"{name} is not registered"}
    func = _target(job.target)
    if func is None:
        log.info("periodic job %s: %s is not installed; occurrence %s skipped",
                 name, job.target, occurrence)
        return {"skipped": f"{job.target} is not installed"}
    when = datetime.fromisoformat(occurrence)
    kwargs = {}
    parameters = inspect.signature(func).parameters
    if "today" in parameters:
        kwargs["today"] = when.date()
    result = func(**kwargs)
    return {"periodic": name, "occurrence": occurrence,
            "result": result if isinstance(result, (dict, list, str, int, float, bool)) else None}
