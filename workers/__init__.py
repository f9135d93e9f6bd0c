"""RQ job entry points. Jobs call docflow's operations, never its views.

Each RQ worker process builds the app once; every job runs in its own application context, so it
gets a fresh database session that is removed when the job ends (CKAN's lesson: no long-lived
job context). ``workers.worker.DocflowWorker`` builds the app and warms the renderer before RQ
forks a work horse per job, so every job starts warm; a plain ``rq worker`` also works, each
horse then building the app itself.

``DOCFLOW_EXTRA_IMPORTS`` (comma-separated module names) are imported once the app exists: a
deployment's (or a test's) document builders and job modules that docflow itself does not import.
"""
import importlib
import os

_app = None


def get_app():
    """The worker process's app, built on first use."""
    global _app
    if _app is None:
        from docflow import create_app

        use_app(create_app())
    return _app


def use_app(app):
    """Run jobs with ``app`` (`flask worker` passes the one it was started with)."""
    global _app
    _app = app
    for name in filter(None, (n.strip() for n in
                              os.environ.get("DOCFLOW_EXTRA_IMPORTS", "").split(","))):
        importlib.import_module(name)
    return app
