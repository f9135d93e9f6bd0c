"""RQ job entry points. Jobs call docflow's operations, never its views.

Each RQ worker process builds the app once; every job runs in its own application context, so it
gets a fresh database session that is removed when the job ends (CKAN's lesson: no long-lived
job context).

``DOCFLOW_EXTRA_IMPORTS`` (comma-separated module names) are imported once the app exists: a
deployment's (or a test's) document builders and job modules that docflow itself does not import.
"""
import importlib
import os
from functools import cache


@cache
def get_app():
    from docflow import create_app

    app = create_app()
    for name in filter(None, (n.strip() for n in
                              os.environ.get("DOCFLOW_EXTRA_IMPORTS", "").split(","))):
        importlib.import_module(name)
    return app
