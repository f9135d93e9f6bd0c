"""Start what a benchmark needs — PostgreSQL, Redis, gunicorn in production mode — on loopback,
and stop it afterwards. Shares the test session's server helpers."""
import os
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from bench.procstat import children, reaped_cpu_ms, total_cpu_ms
from tests.services import PostgresServer, RedisServer, free_port, wait_for_port

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def production_env(pg: PostgresServer, redis: RedisServer, **extra) -> dict:
    instance = tempfile.mkdtemp(prefix="docflow-bench-")
    return {**os.environ, "DOCFLOW_ENV": "production", "SECRET_KEY": "bench",
            "DATABASE_URL": pg.url(), "REDIS_URL": redis.url, "DOCFLOW_INSTANCE": instance,
            "BLOB_STORE": os.path.join(instance, "blobs"), **extra}


def flask(env: dict, *args: str) -> str:
    result = subprocess.run([str(BIN / "flask"), "--app", "docflow", *args], cwd=ROOT, env=env,
                            capture_output=True, text=True, check=True)
    return result.stdout


GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"

def migrate(env: dict) -> None:
    """``flask db upgrade``: the schema exactly as the migrations make it."""
    flask(env, "db", "upgrade")


@contextmanager
def production_stack(workers: int = 4, threads: int = 4, prepare=None, conf: bool = False):
    """PostgreSQL + Redis + a migrated, demo-loaded database + gunicorn; yields (url, env).

    gunicorn runs ``workers`` processes of ``threads`` threads; with ``conf`` also the rest of
    the production settings of deploy/gunicorn.conf.py (preloaded app, keep-alive). ``prepare(env)`` runs after
    the demo data is loaded, before gunicorn starts. PostgreSQL is durable (fsync and synchronous
    commit on, its defaults): a write benchmark must wait for the WAL flush as production does."""
    pg, redis = PostgresServer(durable=True).start(), RedisServer().start()
    proc = None
    try:
        env = production_env(pg, redis, BENCH_POSTGRES_DATA=pg.data)
        migrate(env)
        flask(env, "demo", "load")
        if prepare is not None:
            prepare(env)
        port = free_port()
        proc = subprocess.Popen(
            [str(BIN / "gunicorn"), *(["-c", str(GUNICORN_CONF)] if conf else ["-k", "gthread"]),
             "-w", str(workers), "--threads", str(threads), "-b", f"127.0.0.1:{port}", "--log-level", "warning",
             "docflow:create_app()"], cwd=ROOT, env=env)
        wait_for_port(port, timeout=60)
        time.sleep(0.5)
        env["BENCH_GUNICORN_PID"] = str(proc.pid)  # the bench may read its workers' CPU time
        yield f"http://127.0.0.1:{port}", env
    finally:
        if proc is not None:
            proc.terminate()  # graceful: in-flight requests finish (graceful_timeout)
            try:
                proc.wait(40)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        redis.close()
        pg.stop()


def server_cpu_ms(env: dict) -> tuple[float, float]:
    """utime + stime so far, in ms, of the gunicorn workers and of the PostgreSQL backends (and
    the postmaster's other children: WAL writer, checkpointer): the CPU the server side spent,
    whatever else runs on the machine. The children that have already exited count too: a
    worker retired after ``max_requests`` (deploy/gunicorn.conf.py) takes its PostgreSQL
    backends with it, and its CPU moves into the master's (and the postmaster's) reaped total —
    counting only the live ones made the figure negative when a worker was replaced mid-run."""
    with open(os.path.join(env["BENCH_POSTGRES_DATA"], "postmaster.pid")) as f:
        postmaster = int(f.readline())
    master = int(env["BENCH_GUNICORN_PID"])
    return (total_cpu_ms(children(master)) + reaped_cpu_ms(master),
            total_cpu_ms(children(postmaster)) + reaped_cpu_ms(postmaster))
