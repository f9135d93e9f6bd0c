"""The RQ worker classes for docflow: ``rq worker -w workers.worker.DocflowSimpleWorker ...``
(what ``flask worker`` runs) or ``-w workers.worker.DocflowWorker`` (a work horse per job).

``DocflowSimpleWorker`` runs each job in the warm worker process itself (RQ's ``SimpleWorker``):
no fork per job. Measured on a warm letter, a fork per job added ~45 ms CPU (the fork of a
~140 MB process, copy-on-write faults, caches and database connections started cold in each
horse) to a ~135 ms letter. Each job still gets its own application context and database
session; a job that crashes the process is re-run after its lease (the outbox), and
``--max-jobs`` recycles a worker that should not live forever.

RQ forks a work horse for each job. A plain worker leaves the horse to import docflow and build
the app, seconds per job; this one does it once, before the first fork, and warms the document
renderer (fonts, templates, stylesheet), so each horse starts with all of it in memory. Pooled
database connections are closed before forking: a connection must never be shared between
processes (the horse opens its own; see ``workers.tasks``).
"""
import logging
import os

from rq import SimpleWorker, Worker

from . import get_app

log = logging.getLogger(__name__)


def prepare(app) -> None:
    """Warm what every job needs, then drop pooled connections before the first fork."""
    from docflow.extensions import db

    if os.environ.get("DOCFLOW_WARM_UP", "1") != "0":
        from docflow.documents import warm_up
        try:
            warm_up()
        except Exception:  # a worker without fonts still runs the jobs that need none
            log.exception("renderer warm-up failed; documents will be slower or fail")
    with app.app_context():
        db.engine.dispose()


class _Prepared:
    prepared = False  # `flask worker` prepares before starting its dispatcher process

    def work(self, *args, **kwargs):
        if not self.prepared:
            prepare(get_app())
            self.prepared = True
        return super().work(*args, **kwargs)


class DocflowWorker(_Prepared, Worker):
    """A work horse forked per job: isolation over speed."""


class DocflowSimpleWorker(_Prepared, SimpleWorker):
    """Jobs run in this warm process: no fork, caches and the connection pool stay warm."""
