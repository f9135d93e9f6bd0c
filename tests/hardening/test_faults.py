"""Faults (R39.4) against the production stack: gunicorn in production mode on a real PostgreSQL
and Redis started for this module (their own servers: the PostgreSQL one is restarted here).

* Redis stopped: intake on every channel still works (registrar form, call-center form, the API
  for egov_portal and e_appeals); the document jobs waiting in the outbox stay there, and once
  Redis is back every job runs exactly once.
* PostgreSQL restarted during intake load: every intake answered 201 is in the database, every
  failed one was answered 503 problem+json (never 500), and its retry with the same external_id
  gives the same appeal, never a second one.

A worker killed in the middle of a job is tests/workers/test_worker_killed.py (not repeated)."""
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from bench.servers import BIN, GUNICORN_CONF, ROOT, production_env
from docflow import create_app
from docflow.extensions import db
from docflow.jobs.runner import dispatch_pending
from tests.api.test_appeals_api import IIN
from tests.flask_forks import run_commands
from tests.services import PostgresServer, RedisServer, free_port, unavailable, wait_for_port

pytestmark = [pytest.mark.postgres, pytest.mark.redis]
PASSWORD = "demo-pass-2026"


class Stack:
    def __init__(self, pg, redis, env, url, token):
        self.pg, self.redis, self.env, self.url, self.token = pg, redis, env, url, token
        self.engine = create_engine(pg.url(), pool_pre_ping=True)

    def scalar(self, sql: str, **params):
        with self.engine.connect() as conn:
            return conn.execute(text(sql), params).scalar()

    def rows(self, sql: str, **params):
        with self.engine.connect() as conn:
            return conn.execute(text(sql), params).all()

    def api(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=120,
                            headers={"Authorization": f"Bearer {self.token}"})


@pytest.fixture(scope="module")
def stack():
    pg, redis = PostgresServer(), RedisServer()
    if not pg.bindir or not shutil.which("runuser"):
        unavailable("PostgreSQL", "no /usr/lib/postgresql/*/bin (Debian package postgresql)")
    if not redis.binary:
        unavailable("Redis", "no redis-server (Debian package redis-server)")
    pg.start()
    redis.start()
    proc = None
    try:
        env = production_env(pg, redis, JOBS_LEASE_SECONDS="30", DOCFLOW_WARM_UP="0")
        # the three commands in one Python start-up, each in its own process (flask_forks)
        commands = run_commands(["db", "upgrade"], ["demo", "load"],
                                ["tokens", "create", "demo-integration"], env=env)
        for done in commands:
            assert done.returncode == 0, (done.args, done.stderr[-2000:])
        token = commands[-1].stdout.strip().splitlines()[-1]
        # production's settings (deploy/gunicorn.conf.py: the app preloaded in the master, each
        # worker dropping the connections it inherited), two workers of four threads
        proc, port = start_gunicorn(env, "--threads", "4")
        stack = Stack(pg, redis, env, f"http://127.0.0.1:{port}", token)
        stack.master, stack.port = proc.pid, port
        yield stack
        stack.engine.dispose()
    finally:
        if proc is not None:
            stop_gunicorn(proc)
        redis.close()
        pg.stop()


def start_gunicorn(env: dict, *args: str, **popen) -> tuple[subprocess.Popen, int]:
    """gunicorn with deploy/gunicorn.conf.py, two workers, ``args`` on top; once both workers
    answer: (the master's process, its port)."""
    port = free_port()
    proc = subprocess.Popen(
        [str(BIN / "gunicorn"), "-c", str(GUNICORN_CONF), "-w", "2", "-b", f"127.0.0.1:{port}",
         "--log-level", "warning", "--graceful-timeout", "5", *args, "docflow:create_app()"],
        cwd=ROOT, env=env, **popen)
    wait_for_port(port, timeout=60)
    for _attempt in range(60):  # both workers have built the app
        try:
            if httpx.get(f"http://127.0.0.1:{port}/login", timeout=120).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(1)
    return proc, port


def stop_gunicorn(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGQUIT)  # gunicorn's quick shutdown: the tests are done
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


def intake(external_id: str, channel: str = "egov_portal") -> dict:
    return {"channel": channel, "external_id": external_id,
            "received_at": "2026-11-25T10:15:00+05:00", "venue": "CRC-AST", "body": "MLSPP",
            "applicant": {"kind": "individual", "iin": IIN, "last_name": "Сәрсенбаев",
                          "first_name": "Ғалым", "citizenship": "KZ", "language": "kk",
                          "phone": "+77011234567"},
            "subject": "Жұмысқа орналасу", "text": "Министрдің қабылдауына жазылғым келеді."}


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html)
    assert match, html[:1000]
    return match.group(1)


def carry_cookies(headers) -> callable:
    """Production cookies are Secure; over the loopback's plain HTTP a cookie jar would not send
    them back, so the test sends them itself (a browser behind TLS does the same)."""
    jar: dict[str, str] = {}

    def hook(response):
        for line in response.headers.get_list("set-cookie"):
            name, _sep, rest = line.partition("=")
            jar[name.strip()] = rest.split(";", 1)[0]
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in jar.items())
    return hook


def signed_in(stack: Stack, login: str) -> httpx.Client:
    client = httpx.Client(base_url=stack.url, timeout=120)
    client.event_hooks["response"] = [carry_cookies(client.headers)]
    page = client.get("/login").text
    answer = client.post("/login", data={"login": login, "password": PASSWORD,
                                         "csrf_token": _csrf(page)})
    assert answer.status_code in (302, 303), answer.text[:500]
    return client


def form_intake(client: httpx.Client, path: str, channel: str, subject: str) -> httpx.Response:
    page = client.get(path).text
    data = {"csrf_token": _csrf(page), "channel": channel, "received_date": "2026-11-25",
            "received_time": "10:30", "venue": "CRC-AST", "body": "MLSPP", "official": "",
            "kind": "individual", "iin": IIN, "bin": "", "organization": "",
            "last_name": "Сәрсенбаев", "first_name": "Ғалым", "patronymic": "",
            "citizenship": "KZ", "language": "kk", "phone": "+77011234567", "email": "",
            "address": "", "subject": subject, "text": "Қабылдауға жазылу"}
    return client.post(path, data=data)


def test_with_redis_stopped_intake_works_on_every_channel_and_jobs_run_once_after(stack):
    stack.redis.stop()
    try:
        health = httpx.get(f"{stack.url}/healthz", timeout=120)
        assert health.status_code == 503 and "queue" in health.json()["down"]
        registrar = signed_in(stack, "demo-registrar")
        paper = form_intake(registrar, "/intake/new", "paper", "Redis down: paper")
        call = form_intake(signed_in(stack, "demo-call-center"), "/intake/call", "call_center",
                           "Redis down: call")
        with stack.api() as api:
            portal = api.post("/api/v1/appeals", json=intake("REDIS-DOWN-EGOV"))
            eappeals = api.post("/api/v1/appeals",
                                json=intake("REDIS-DOWN-EAPP", channel="e_appeals"))
        assert paper.status_code == 303, paper.text[:2000]
        assert call.status_code == 303, call.text[:2000]
        assert (portal.status_code, eappeals.status_code) == (201, 201), portal.text
        channels = {row[0] for row in stack.rows(
            "SELECT channel FROM appeal WHERE subject LIKE 'Redis down%' "
            "OR external_id LIKE 'REDIS-DOWN-%'")}
        assert channels == {"paper", "call_center", "egov_portal", "e_appeals"}
        # intake enqueues no job itself; the documents waiting are the schedule posters the demo
        # published (docflow.schedules.jobs.render_poster), never handed to Redis so far
        pending = stack.rows("SELECT id, func FROM outbox_job WHERE status IN "
                             "('pending', 'queued')")
        assert pending, "some document job should wait in the outbox"
    finally:
        stack.redis.start()
    # Redis is back: the dispatcher hands the outbox to RQ, `flask worker --burst` runs it
    app = create_app({"SQLALCHEMY_DATABASE_URI": stack.pg.url(), "JOBS_BACKEND": "rq",
                      "REDIS_URL": stack.redis.url, "BLOB_STORE": stack.env["BLOB_STORE"]})
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        with app.app_context():
            dispatch_pending(app)
            db.session.remove()
            db.engine.dispose()
        result = subprocess.run([str(BIN / "flask"), "--app", "docflow", "worker", "--burst"],
                                cwd=ROOT, env=stack.env, capture_output=True, text=True,
                                timeout=120)
        assert result.returncode == 0, result.stderr[-2000:]
        left = stack.scalar("SELECT count(*) FROM outbox_job WHERE status <> 'done'")
        if not left:
            break
        time.sleep(1)
    jobs = stack.rows("SELECT id, status, attempts FROM outbox_job ORDER BY id")
    assert jobs and all((status, attempts) == ("done", 1) for _, status, attempts in jobs), jobs
    assert {func for _, func in pending} <= {row[0] for row in stack.rows(
        "SELECT func FROM outbox_job")}


def test_postgres_restarted_during_intake_load_loses_and_doubles_nothing(stack):
    threads, answers, stop = 6, [], threading.Event()
    lock = threading.Lock()

    def client(n: int):
        with stack.api() as api:
            i = 0
            while not stop.is_set():
                external_id = f"PG-RESTART-{n}-{i}"
                try:
                    answer = api.post("/api/v1/appeals", json=intake(external_id))
                    outcome = (answer.status_code, answer.headers.get("content-type", ""),
                               answer.json() if answer.content else None)
                except httpx.TransportError as exc:  # the server never answered
                    outcome = (None, "", repr(exc))
                with lock:
                    answers.append((external_id, *outcome))
                i += 1

    def wait_for(condition, what: str, timeout: float = 60) -> None:
        """Polls the answers (instead of fixed sleeps) until ``condition`` holds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with lock:
                if condition(answers):
                    return
            time.sleep(0.1)
        stop.set()
        raise AssertionError(f"{what} after {timeout} s: {answers[-5:]}")

    workers = [threading.Thread(target=client, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    # intake works under load first: a few answers 201 per thread
    wait_for(lambda seen: sum(a[1] == 201 for a in seen) >= 3 * threads, "intake never worked")
    stack.pg.pg_ctl("stop")
    stopped_at = len(answers)
    # the restart hits requests: some answered while PostgreSQL is down, and a second's worth
    # of load against the stopped server
    wait_for(lambda seen: any(a[1] != 201 for a in seen[stopped_at:]), "no request failed")
    time.sleep(1)
    stack.pg.pg_ctl("start")
    started_at = len(answers)
    # and intake recovers: answers 201 again after the restart
    wait_for(lambda seen: sum(a[1] == 201 for a in seen[started_at:]) >= threads,
             "intake did not recover after the restart")
    stop.set()
    for w in workers:
        w.join(60)
    created = {a[0]: a[3]["id"] for a in answers if a[1] == 201}
    failed = [a for a in answers if a[1] != 201]
    assert len(created) >= threads, "intake never worked"
    assert failed, "the restart did not hit any request: the test proves nothing"
    for external_id, status, ctype, body in failed:
        assert status == 503 and ctype.startswith("application/problem+json"), \
            (external_id, status, ctype, body)
    rows = dict(stack.rows("SELECT external_id, id FROM appeal WHERE external_id LIKE "
                           "'PG-RESTART-%'"))
    for external_id, appeal_id in created.items():
        assert rows.get(external_id) == appeal_id, external_id
    with stack.api() as api:
        for external_id, *_ in failed:
            again = api.post("/api/v1/appeals", json=intake(external_id))
            assert again.status_code in (200, 201), again.text
            if external_id in rows:  # committed although the answer was an error
                assert again.json()["id"] == rows[external_id]
    counts = stack.rows("SELECT external_id, count(*) FROM appeal WHERE external_id LIKE "
                        "'PG-RESTART-%' GROUP BY external_id HAVING count(*) > 1")
    assert counts == []
    assert stack.scalar("SELECT count(*) FROM appeal WHERE external_id LIKE 'PG-RESTART-%'") \
        == len({a[0] for a in answers})


def test_workers_replaced_after_max_requests_drop_no_request(stack, tmp_path):
    """A worker that has served max_requests retires (docflow.gunicorn_worker): the requests
    already on their way over its keep-alive connections are answered, never reset. Plain
    gthread dropped 29 of 1,800 requests over 42 restarts here (12 keep-alive clients)."""
    import http.client
    import json

    log = tmp_path / "gunicorn.log"
    with open(log, "w") as err:
        proc, port = start_gunicorn(stack.env, "--threads", "2", "--max-requests", "20",
                                    "--max-requests-jitter", "0", "--log-level", "info",
                                    stderr=err)
    clients, per_client = 8, 50
    answers, failures = [], []
    headers = {"Authorization": f"Bearer {stack.token}", "Content-Type": "application/json"}

    def client(n: int):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for i in range(per_client):
            external_id = f"MAXREQ-{n}-{i}"
            try:
                conn.request("POST", "/api/v1/appeals", json.dumps(intake(external_id)), headers)
                response = conn.getresponse()
                answers.append((external_id, response.status, json.loads(response.read())))
                if (response.getheader("Connection") or "").lower() == "close":
                    conn.close()  # the worker retires (or balances): a new connection
            except (OSError, http.client.HTTPException) as exc:
                failures.append((external_id, repr(exc)))
                conn.close()
        conn.close()

    try:
        threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(300)
    finally:
        stop_gunicorn(proc)
    restarts = log.read_text().count("Autorestarting worker")
    assert restarts >= 10, f"only {restarts} workers were replaced: the test proves nothing"
    assert failures == [], f"{len(failures)} requests dropped over {restarts} restarts: " \
        f"{failures[:3]}"
    assert sorted(status for _id, status, _body in answers) == [201] * clients * per_client
    rows = dict(stack.rows("SELECT external_id, id FROM appeal WHERE external_id LIKE "
                           "'MAXREQ-%'"))
    assert rows == {external_id: body["id"] for external_id, _status, body in answers}


__all__ = ["Path", "wait_for_port"]


def _connections_per_worker(master: int, port: int) -> dict[int, int]:
    """Established connections on ``port`` held by each gunicorn worker (Linux /proc)."""
    from bench.procstat import children

    established = set()
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            fields = line.split()
            if fields[3] == "01" and int(fields[1].split(":")[1], 16) == port:
                established.add(f"socket:[{fields[9]}]")
    counts = {}
    for pid in children(master):
        held = 0
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                held += os.readlink(f"/proc/{pid}/fd/{fd}") in established
            except OSError:
                pass
        counts[pid] = held
    return counts


def test_keep_alive_connections_are_spread_evenly_over_the_workers(stack):
    """docflow.gunicorn_worker: 24 keep-alive clients connecting at once end up (nearly) 12 and
    12 on the two workers (gthread alone gave 16 and 8 under bench-intake), each served."""
    import http.client

    clients = [http.client.HTTPConnection("127.0.0.1", stack.port, timeout=60)
               for _ in range(24)]
    statuses, closed = [], []

    def ask(client):
        client.request("GET", "/login")
        response = client.getresponse()
        response.read()
        statuses.append(response.status)
        if (response.getheader("Connection") or "").lower() == "close":
            closed.append(client)  # a worker above its sibling let it go: it reconnects

    def burst():
        for _round in range(5):  # until no client was asked to reconnect
            statuses.clear()
            closed.clear()
            threads = [threading.Thread(target=ask, args=(c,)) for c in clients]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
            assert statuses == [200] * 24, statuses
            if not closed:
                break
        assert not closed, "the workers kept closing connections: no even split reached"
        counts = _connections_per_worker(stack.master, stack.port)
        # 12 and 12 when the machine is quiet; a sibling slower than WAIT to accept leaves a
        # connection or two to the other (plain gthread: 7 and 17, 5 and 19)
        assert sum(counts.values()) == 24 and max(counts.values()) - min(counts.values()) <= 4, \
            counts

    try:
        burst()
        # a second burst as soon as the first clients have gone (bench-intake's warm-up, then
        # its run): a worker's wait left over from the first burst gave 7 and 17 here
        for c in clients:
            c.close()
        deadline = time.monotonic() + 30
        while sum(_connections_per_worker(stack.master, stack.port).values()):
            assert time.monotonic() < deadline, "the server kept the closed connections"
            time.sleep(0.05)
        clients[:] = [http.client.HTTPConnection("127.0.0.1", stack.port, timeout=60)
                      for _ in range(24)]
        burst()
    finally:
        for c in clients:
            c.close()
