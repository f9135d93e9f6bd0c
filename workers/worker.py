"""The RQ worker class for docflow: ``rq worker -w workers.worker.DocflowWorker documents ...``
(``flask worker`` uses it too).

RQ forks a work horse for each job. A plain worker leaves the horse to import docflow and build
the app, seconds per job; this one does it once, before the first fork, and warms the document
renderer (fonts, templates, stylesheet), so each horse starts with all of it in memory. Pooled
database connections are closed before forking: a connection must never be shared between
processes (the horse opens its own; see ``workers.tasks``).
"""
import logging
import os

from rq import Worker

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


class DocflowWorker(Worker):
    prepared = False  # `flask worker` prepares before starting its dispatcher thread

    def work(self, *args, **kwargs):
        if not self.prepared:
            prepare(get_app())
            self.prepared = True
        return super().work(*args, **kwargs)
