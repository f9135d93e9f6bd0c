"""make bench-scale: the daily screens at national scale — 1,000,000 appeals on PostgreSQL (issue 11).

1. PostgreSQL on a **cached** data folder (``BENCH_SCALE_CACHE``, default
   /var/tmp/docflow-bench-scale/<appeals>-seed<seed>): the first run creates the schema from the
   models and runs ``flask demo generate --appeals N`` (bulk COPY; it takes a while), later runs
   start PostgreSQL on the same folder and say so. Indexes declared on the models since the
   cache was made are created on it (``CREATE INDEX IF NOT EXISTS``-style, by the models).
2. gunicorn in production mode with the production settings (deploy/gunicorn.conf.py: the app
   preloaded and frozen for the collector; ``BENCH_WORKERS`` processes, 4 threads each) on that
   database.
3. As signed-in officers (generated responsible employees, password in docflow.scale.generate),
   one client requests each screen in turn: the worklist (counters, first pages, filters), search
   with words and facets, the case view of random appeals of the officer's body, the dashboard of
   saved searches. p50/p95 per screen, and the peak RSS (VmHWM) of the gunicorn workers.
4. EXPLAIN ANALYZE of the screens' main statements, timed on the PostgreSQL side.

The last line is one JSON object: appeals, worklist_p95_ms, search_p95_ms, case_p95_ms,
peak_rss_mb (and more). Environment: BENCH_APPEALS (1000000), BENCH_SEED (1), BENCH_REQUESTS
(per screen, 200), BENCH_WORKERS (2), BENCH_SCALE_CACHE, BENCH_FRESH=1 to rebuild the cache.
"""
from __future__ import annotations

import json
import os
import random
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx

from bench.servers import BIN, ROOT
from tests.services import PostgresServer, RedisServer, free_port, wait_for_port

APPEALS = int(os.environ.get("BENCH_APPEALS", 1_000_000))
SEED = int(os.environ.get("BENCH_SEED", 1))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", 200))
WORKERS = int(os.environ.get("BENCH_WORKERS", 2))
CACHE = Path(os.environ.get("BENCH_SCALE_CACHE", "/var/tmp/docflow-bench-scale"))
OFFICERS = 6
SEARCH_WORDS = ["жилье", "очередь", "зейнетақы", "помощь", "кезегі", "жер", "пенсионные",
                "медициналық", "Иванов", "Қасымова", "трудоустройство", "балабақша"]


class CachedPostgres(PostgresServer):
    """A PostgreSQL cluster in a folder that outlives the run (the generated data's cache)."""

    def __init__(self, folder: Path):
        super().__init__()
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir = str(folder)
        self.data = os.path.join(self.dir, "data")
        self.ready_marker = folder / "READY"

    def start(self) -> CachedPostgres:
        folder = Path(self.dir)
        if not self.ready_marker.exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            return super().start()
        if self.as_root:
            shutil.chown(self.dir, "postgres", "postgres")
        self.pg_ctl("start")
        return self

    #: A database server's ordinary tuning (docs/scaling.md), not the test clusters' defaults: the
    #: daily screens' working set in shared buffers, SSD page costs.
    SETTINGS = ("-c shared_buffers=1536MB -c effective_cache_size=8GB -c work_mem=16MB "
                "-c random_page_cost=1.1 -c effective_io_concurrency=200")

    def pg_ctl(self, action: str) -> None:
        if action != "start":
            return super().pg_ctl(action)
        opts = (f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
                f"-c synchronous_commit=off -c full_page_writes=off -c max_connections=200 "
                f"{self.SETTINGS}")
        self._run(f"{self.bindir}/pg_ctl", "-D", self.data, "-w", "-l",
                  os.path.join(self.dir, "server.log"), "-o", opts, "start")

    def stop(self) -> None:
        self.pg_ctl("stop")


def say(message: str) -> None:
    print(message, flush=True)


def env_for(pg: PostgresServer, redis: RedisServer, folder: Path) -> dict:
    return {**os.environ, "DOCFLOW_ENV": "production", "SECRET_KEY": "bench-scale",
            "DATABASE_URL": pg.url(), "REDIS_URL": redis.url,
            "DOCFLOW_INSTANCE": str(folder / "instance"), "BLOB_STORE": str(folder / "blobs"),
            "PYTHONPATH": str(ROOT)}


def python(env: dict, code: str, plans: Path | None = None) -> str:
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"a step failed:\n{done.stderr}")
    if plans is not None:
        plans.write_text(done.stderr)
    return done.stdout


SCHEMA = """
from docflow import create_app
from docflow.extensions import db
app = create_app()
with app.app_context():
    db.create_all()   # on a cached database: creates only what is missing (tables, not indexes)
    made = []
    from sqlalchemy import inspect
    insp = inspect(db.engine)
    if "is_open" not in {c["name"] for c in insp.get_columns("appeal")}:
        from docflow.reception.models import add_open_column  # filled from the states
        with db.engine.begin() as c:
            add_open_column(c)
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.exec_driver_sql("VACUUM appeal")  # index-only scans need the visibility map
        made.append("appeal.is_open (filled, triggers)")
        insp = inspect(db.engine)
    for table in db.metadata.sorted_tables:  # columns added to the models since the cache
        have = {c["name"] for c in insp.get_columns(table.name)}
        for column in table.columns:
            if column.name in have:
                continue
            ddl = f'ALTER TABLE {table.name} ADD COLUMN "{column.name}" ' \
                  f'{column.type.compile(db.engine.dialect)}'
            if column.server_default is not None:
                ddl += f" DEFAULT {column.server_default.arg}"
            if not column.nullable:
                ddl += " NOT NULL"
            with db.engine.begin() as c:
                c.exec_driver_sql(ddl)
            made.append(f"{table.name}.{column.name}")
    # the search rows' copied values (issue 11): filled once, before their index is built
    from docflow.engine.catalog import backfill_statements
    backfilled = 0
    with db.engine.begin() as c:
        for stmt in backfill_statements():
            backfilled += c.execute(stmt).rowcount
    if backfilled:
        made.append(f"(search rows backfilled: {backfilled})")
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.exec_driver_sql("VACUUM engine_catalog_text")
    # session 5: the search rows' one GIN index (places, facets, tsv) instead of two, and the
    # catalog's word list with its triggers (engine_catalog_word, made by create_all above)
    from docflow.engine.catalog import FULLTEXT_DDL, REPLACED_INDEXES, fill_words
    with db.engine.begin() as c:
        if not c.exec_driver_sql("SELECT 1 FROM pg_indexes WHERE indexname = "
                                 "'ix_engine_catalog_text_search'").first():
            c.exec_driver_sql("SET LOCAL maintenance_work_mem = '512MB'")
            for sql in FULLTEXT_DDL["postgresql"][1:]:  # all but the tsv column
                c.exec_driver_sql(sql)
            made.append(f"ix_engine_catalog_text_search, engine_catalog_word ({fill_words(c)} "
                        f"words), its triggers")
            for name in REPLACED_INDEXES:
                c.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")
    for table in db.metadata.sorted_tables:
        have = {i["name"] for i in insp.get_indexes(table.name)}
        for index in table.indexes:
            if index.name not in have:
                index.create(db.engine)
                made.append(index.name)
    from docflow.reception.load import AssignmentLoad, recount
    if db.session.execute(db.select(AssignmentLoad).limit(1)).first() is None:
        made.append(f"assignment_load ({recount()} rows backfilled)")  # a cluster made before it
        db.session.commit()
    with db.engine.begin() as c:
        c.exec_driver_sql("ANALYZE")
    print(" ".join(made))
"""


def prepare(folder: Path, pg: CachedPostgres, env: dict) -> tuple[bool, float]:
    """Generate the data unless cached; returns (reused, seconds spent generating)."""
    reused = pg.ready_marker.exists()
    seconds = 0.0
    if not reused:
        say(f"No cached database in {folder}: generating {APPEALS:,} appeals (seed {SEED}); "
            f"later runs reuse it.")
        python(env, SCHEMA)
        t0 = time.perf_counter()
        subprocess.run([str(BIN / "flask"), "--app", "docflow", "demo", "generate", "--appeals",
                        str(APPEALS), "--seed", str(SEED)], cwd=ROOT, env=env, check=True)
        seconds = time.perf_counter() - t0
        pg.ready_marker.write_text(json.dumps({"appeals": APPEALS, "seed": SEED,
                                               "seconds": round(seconds, 1),
                                               "at": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                                   time.gmtime())}))
        say(f"Generated in {seconds:.0f} s.")
    else:
        info = json.loads(pg.ready_marker.read_text())
        say(f"REUSING the cached database in {folder} ({info['appeals']:,} appeals, seed "
            f"{info['seed']}, generated at {info['at']} in {info['seconds']} s); "
            f"BENCH_FRESH=1 rebuilds it.")
    made = python(env, SCHEMA).strip()
    if made:
        say(f"Columns and indexes created on the cached database: {made}")
    return reused, seconds


# -- HTTP ------------------------------------------------------------------------------------------

def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html)
    if not match:
        raise RuntimeError("no csrf_token in the page")
    return match.group(1)


class Officer:
    """A signed-in browser, as far as the server can tell. Production cookies are ``Secure``
    (behind nginx with TLS); gunicorn here speaks plain HTTP on loopback, so the cookies are kept
    and sent by hand."""

    def __init__(self, url: str):
        self.http = httpx.Client(base_url=url, timeout=60, follow_redirects=False)
        self.cookies: dict[str, str] = {}

    def _send(self, method: str, path: str, **kw) -> httpx.Response:
        header = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        response = self.http.request(method, path, headers={"Cookie": header} if header else {},
                                     **kw)
        for cookie in response.headers.get_list("set-cookie"):
            name, _eq, rest = cookie.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        self.http.cookies.clear()
        return response

    def get(self, path: str) -> httpx.Response:
        return self._send("GET", path)

    def post(self, path: str, data: dict) -> httpx.Response:
        return self._send("POST", path, data=data)


def sign_in(url: str, login: str, password: str) -> Officer:
    client = Officer(url)
    token = csrf_of(client.get("/login").text)
    response = client.post("/login", data={"login": login, "password": password,
                                           "csrf_token": token})
    if response.status_code not in (302, 303):
        raise RuntimeError(f"sign-in of {login} failed: {response.status_code}")
    return client


def timed(client: Officer, path: str) -> float:
    t0 = time.perf_counter()
    response = client.get(path)
    ms = (time.perf_counter() - t0) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"GET {path}: {response.status_code}")
    return ms


def gunicorn_workers(master: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == master:
                pids.append(int(entry.name))
    return pids


def vm_hwm_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return round(values[max(0, int(round(len(values) * p)) - 1)], 1)


EXPLAIN = """
import json, sys
from datetime import date
from flask import g
from docflow import create_app
from docflow.extensions import db
from docflow.auth.models import User
app = create_app()
out = {}
with app.test_request_context():
    user = db.session.execute(db.select(User).where(User.login == sys.argv[1])).scalar_one()
    from docflow.scale.explain import statements
    for name, stmt in statements(user):
        compiled = stmt.compile(db.engine, compile_kwargs={"render_postcompile": True})
        plan = db.session.connection().exec_driver_sql(
            "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + str(compiled), compiled.params).scalar()
        out[name] = round(plan[0]["Execution Time"], 2)
        text_plan = db.session.connection().exec_driver_sql(
            "EXPLAIN (ANALYZE) " + str(compiled), compiled.params).scalars().all()
        print("-- " + name, *text_plan, sep=chr(10), file=sys.stderr)
print(json.dumps(out))
"""


def main() -> None:
    folder = CACHE / f"{APPEALS}-seed{SEED}"
    if os.environ.get("BENCH_FRESH") == "1":
        shutil.rmtree(folder, ignore_errors=True)
    pg = CachedPostgres(folder)
    redis = RedisServer().start()
    proc = None
    clients: list = []
    try:
        pg.start()
        env = env_for(pg, redis, folder)
        reused, gen_seconds = prepare(folder, pg, env)
        officers = json.loads(python(env, f"""
import json
from docflow import create_app
from docflow.extensions import db
from docflow.auth.models import User
from docflow.reception.models import Appeal
from sqlalchemy import func, select
app = create_app()
with app.app_context():
    n = db.session.execute(select(func.count()).select_from(Appeal)).scalar()
    users = db.session.execute(select(User).where(User.login.like('g-resp-%-1'))
                               .order_by(User.login).limit({OFFICERS})).scalars().all()
    out = []
    for u in users:
        body = u.roles[0].body_id
        ids = db.session.execute(select(Appeal.id).where(Appeal.body_id == body,
                                                         Appeal.restricted.is_(False))
                                 .order_by(func.random()).limit(200)).scalars().all()
        out.append((u.login, ids))
    print(json.dumps({{"appeals": n, "officers": out}}))
"""))
        appeals = officers["appeals"]
        port = free_port()
        proc = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", str(ROOT / "deploy" / "gunicorn.conf.py"),
             "-w", str(WORKERS), "-k", "gthread", "--threads", "4",
             "-b", f"127.0.0.1:{port}", "--log-level", "warning", "docflow:create_app()"],
            cwd=ROOT, env=env)
        wait_for_port(port, timeout=90)
        url = f"http://127.0.0.1:{port}"
        from docflow.scale.generate import PASSWORD
        clients = [(sign_in(url, login, PASSWORD), ids) for login, ids in officers["officers"]]
        for client, _ids in clients:  # saved searches for the dashboard, through the form
            page = client.get("/search?q=очередь").text
            for name, args in (("Overdue", {"f_overdue": "1"}), ("Mine", {"f_mine": "1"}),
                               ("Egov 2026", {"f_channel": "egov_portal", "f_year": "2026"})):
                client.post("/search/save", data={"name": name, "csrf_token": csrf_of(page),
                                                  **args})
        rng = random.Random(SEED)
        screens = {
            "worklist": lambda: rng.choice(["/worklist", "/worklist?show=overdue",
                                            "/worklist?show=due_soon", "/worklist?page=2",
                                            "/worklist?sort=registered&dir=desc"]),
            "search": lambda: "/search?" + "&".join(
                [f"q={rng.choice(SEARCH_WORDS)}"] + rng.sample(
                    ["f_year=2025", "f_channel=egov_portal", "f_state=closed",
                     "f_overdue=1", "sort=-registered"], rng.randrange(0, 3))),
            "case": None,
            "dashboard": lambda: "/dashboard",
        }
        timings: dict[str, list[float]] = {name: [] for name in screens}
        for client, ids in clients:  # warm-up: each worker, each screen
            for _ in range(2):
                timed(client, "/worklist")
                timed(client, f"/search?q={SEARCH_WORDS[0]}")
                timed(client, f"/appeals/{ids[0]}")
        for i in range(REQUESTS):
            client, ids = clients[i % len(clients)]
            for name, make in screens.items():
                path = f"/appeals/{rng.choice(ids)}" if name == "case" else make()
                timings[name].append(timed(client, path))
        rss = [vm_hwm_mb(pid) for pid in gunicorn_workers(proc.pid)]
        plans = folder / "explain.txt"
        explain = json.loads(python(env, EXPLAIN.replace(
            "sys.argv[1]", repr(officers["officers"][0][0])), plans=plans))
    finally:
        for client, _ids in clients:
            client.http.close()
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
        redis.close()
        pg.stop()
    say(f"{appeals:,} appeals on PostgreSQL ({'cached database reused' if reused else f'generated in {gen_seconds:.0f} s'}); "
        f"{REQUESTS} requests per screen, one client, {WORKERS} gunicorn workers x 4 threads. "
        f"The machine is shared: wall-clock figures are noisy.")
    for name, values in timings.items():
        say(f"  {name:<10} p50 {pct(values, 0.5):7.1f} ms   p95 {pct(values, 0.95):7.1f} ms")
    say(f"  peak RSS of the web workers (VmHWM): {', '.join(f'{r:.0f} MB' for r in rss)}")
    say("  PostgreSQL EXPLAIN ANALYZE execution times (ms): "
        + ", ".join(f"{k} {v}" for k, v in explain.items()) + f" (plans in {plans})")
    figures = {"appeals": appeals, "worklist_p95_ms": pct(timings["worklist"], 0.95),
               "search_p95_ms": pct(timings["search"], 0.95),
               "case_p95_ms": pct(timings["case"], 0.95),
               "dashboard_p95_ms": pct(timings["dashboard"], 0.95),
               "worklist_p50_ms": pct(timings["worklist"], 0.5),
               "search_p50_ms": pct(timings["search"], 0.5),
               "case_p50_ms": pct(timings["case"], 0.5),
               "peak_rss_mb": round(max(rss), 1) if rss else None,
               "cached_database": reused, "pg_execution_ms": explain}
    print(json.dumps(figures, ensure_ascii=False))


def prepare_only() -> None:
    """``python -m bench.scale --prepare``: build (or check) the cached database, nothing else."""
    folder = CACHE / f"{APPEALS}-seed{SEED}"
    pg, redis = CachedPostgres(folder), RedisServer().start()
    try:
        pg.start()
        prepare(folder, pg, env_for(pg, redis, folder))
    finally:
        redis.close()
        pg.stop()


if __name__ == "__main__":
    prepare_only() if sys.argv[1:] == ["--prepare"] else main()
