"""RQ job entry points. Jobs call docflow's operations, never its views.

Each RQ worker process builds the app once; every job runs in its own application context, so it
gets a fresh database session that is removed when the job ends (CKAN's lesson: no long-lived
job context).
"""
from functools import cache


@cache
def get_app():
    from docflow import create_app
    return create_app()
