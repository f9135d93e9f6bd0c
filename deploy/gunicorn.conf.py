"""gunicorn settings for docflow in production (issue 10):

    gunicorn -c deploy/gunicorn.conf.py 'docflow:create_app()'

docflow's requests are CPU-bound Python (templates, SQLAlchemy) with short waits on PostgreSQL,
so: one worker process per core (``WEB_CONCURRENCY``, default the number of cores) — more
processes than cores only add context switches and memory — and a few threads per process
(``GUNICORN_THREADS``, default 2) that run while another thread waits on the database. Two, not
four: threads of one process share the GIL, and with four, a CPU-bound page waited for the other
three (make bench-load, 2 cores: 4 threads p95 300–570 ms, 2 threads 110–190 ms, 1 thread
200–310 ms, all with zero errors). The app is loaded once in the master (``preload_app``): workers
start fast and share the loaded code; each worker then drops the database connections it
inherited (``post_fork``), so no two processes ever share one. Connections from clients (nginx
or the load benchmark) are kept alive for 5 s between requests, and each worker is replaced after
about 5,000 requests, a guard against slow leaks (it retires gracefully: no request in flight on
a keep-alive connection is dropped, docflow.gunicorn_worker). Every value can be overridden on
the command line (``-w 8``) or through ``GUNICORN_CMD_ARGS``.

Connections are spread evenly over the workers (issue 5, ``docflow.gunicorn_worker``): gthread
keeps a keep-alive connection with the worker that accepted it, and the first worker to wake
accepted most of a burst (16 of 24), so its clients waited twice as long. The worker class is
gthread's with that one change.

Garbage collection (issue 11, the web worker's steadiness): the loaded app — modules, templates,
the workflows, SQLAlchemy's mappers, about 280,000 tracked objects — is **frozen** (``gc.freeze``)
in the master just before each fork, and again in each worker once it has loaded the app (the
case without ``preload_app``). Frozen objects are never traversed again: a full collection in a
worker walks only what the worker made since (at 1M appeals a full collection of the unfrozen
heap took 250–850 ms of CPU on this 2-core machine, one request's worth of latency many times
over), and the master's pages stay shared with the workers instead of being copied when the
collector writes to their headers (the pattern of the Python documentation, ``gc.freeze``). The
thresholds stay Python's (700, 10, 10): measured in-process on the worklist, a gen-0 collection
took 0.4 ms at 700, 7 ms at 7,000 and 125 ms at 50,000 — larger thresholds only make the pauses
that do come longer.
"""
import gc
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", os.cpu_count() or 2))
worker_class = "docflow.gunicorn_worker.BalancedThreadWorker"  # gthread, connections spread evenly
threads = int(os.environ.get("GUNICORN_THREADS", 2))
preload_app = True
keepalive = 5
timeout = 30
graceful_timeout = 30
max_requests = 5000
max_requests_jitter = 500
# Each worker proves it is alive by touching a temporary file every turn of its loop (about once a
# request): on a disk file system each touch dirties an inode for the journal; in memory it does
# not (gunicorn's documentation recommends /dev/shm).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None


def post_fork(server, worker):
    """A forked worker must not use the master's database connections: drop them (not close:
    the sockets belong to the master too) and let the pool open its own."""
    app = getattr(server.app, "callable", None)
    if app is None:
        return
    from docflow.extensions import db
    with app.app_context():
        db.engine.dispose(close=False)


def pre_fork(server, worker):
    """In the master, before each fork: freeze what the master holds (the preloaded app)."""
    gc.freeze()


def post_worker_init(worker):
    """In the worker, the app loaded (by the master with ``preload_app``, else just now):
    freeze it too, so that collections walk only what requests create."""
    gc.freeze()
