"""RQ cron configuration: ``rq cron workers.cron`` (or ``flask cron``), on one host or several.

RQ's cron scheduler (RQ >= 2.6) enqueues one tick a minute on the ``default`` queue; the tick
writes each periodic job's due occurrence into the outbox under a key per period, so several
schedulers still give one run per period (``docflow.jobs.periodic``, where the schedules live,
in the venues' local time).
"""
from rq import cron

from workers.tasks import periodic_tick

TICK_SECONDS = 60

cron.register(periodic_tick, queue_name="default", interval=TICK_SECONDS, result_ttl=600,
              failure_ttl=86400, job_timeout=300)
