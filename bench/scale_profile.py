"""CPU time, statements and PostgreSQL time of the bench-scale screens, one request at a time, in
process (issue 11): the machine is shared, so these are the figures to compare, not wall time.

    DATABASE_URL=postgresql+psycopg://...  python -m bench.scale_profile [N] [--screen search]
        [--cprofile] [--sql] [--explain]

Screens: search (default), worklist, dashboard, case (the case view of random appeals of the
officer's body).

Runs against an already running PostgreSQL holding the bench's generated data (a copy of the
``BENCH_SCALE_CACHE`` cluster started by hand); builds the app as gunicorn does
(ProductionConfig), signs in the bench's officers (g-resp-*-1) and sends the screen's requests
as bench/scale.py makes them (same generator, same seed). Per screen: the app's CPU ms per
request (median, p95), the PostgreSQL backend CPU ms per request, statements per request. With
``--explain`` every statement of the screen's first requests is run again under EXPLAIN
(ANALYZE, BUFFERS) and its execution time and buffer hits printed. The last line is JSON.
"""
from __future__ import annotations

import cProfile
import json
import os
import pstats
import random
import re
import statistics
import sys
import time

from sqlalchemy import event

from bench.procstat import total_cpu_ms
from bench.scale import SEARCH_WORDS, SEED

HTTPS = "https://localhost"


def _arg(name: str, default=None):
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv else default


def production_app():
    import config
    from docflow import create_app

    settings = {k: getattr(config.ProductionConfig, k) for k in dir(config.ProductionConfig)
                if k.isupper()}
    settings.update(SECRET_KEY="bench", SQLALCHEMY_DATABASE_URI=config.database_url(
        os.environ["DATABASE_URL"]), REDIS_URL=os.environ.get("REDIS_URL", "redis://127.0.0.1:1/0"),
        BLOB_STORE=os.environ.get("BLOB_STORE", "/tmp/docflow-scale-profile-blobs"))
    return create_app(settings)


class Probe:
    def __init__(self, engine):
        self.statements: list[tuple[str, object]] = []
        self.pids: set[int] = set()
        event.listen(engine, "before_cursor_execute", self.count)
        event.listen(engine, "checkout", self.remember)

    def count(self, conn, cursor, statement, parameters, context, executemany):
        self.statements.append((statement, parameters))

    def remember(self, dbapi_connection, record, proxy):
        if "pid" not in record.info:
            cur = dbapi_connection.cursor()
            cur.execute("select pg_backend_pid()")
            record.info["pid"] = cur.fetchone()[0]
            cur.close()
        self.pids.add(record.info["pid"])


def sign_in(client, login: str, password: str):
    page = client.get("/login", base_url=HTTPS).get_data(as_text=True)
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
    answer = client.post("/login", base_url=HTTPS, headers={"Referer": HTTPS + "/login"},
                         data={"login": login, "password": password, "csrf_token": token})
    assert answer.status_code == 302, answer.status_code


def search_paths(n: int) -> list[str]:
    rng = random.Random(SEED)
    return ["/search?" + "&".join([f"q={rng.choice(SEARCH_WORDS)}"] + rng.sample(
        ["f_year=2025", "f_channel=egov_portal", "f_state=closed", "f_overdue=1",
         "sort=-registered"], rng.randrange(0, 3))) for _ in range(n)]


def case_paths(n: int, logins: list[str]) -> list[str]:
    """The case view of random appeals of each officer's body (not restricted), as bench/scale.py
    asks for them: request i is made by officer i % len(logins)."""
    from sqlalchemy import func, select

    from docflow.auth.models import User
    from docflow.extensions import db
    from docflow.reception.models import Appeal

    db.session.execute(select(func.setseed(0.5)))
    ids = []
    for login in logins:
        user = db.session.execute(select(User).where(User.login == login)).scalar_one()
        ids.append(db.session.execute(
            select(Appeal.id).where(Appeal.body_id == user.roles[0].body_id,
                                    Appeal.restricted.is_(False))
            .order_by(func.random()).limit(n)).scalars().all())
    rng = random.Random(SEED)
    return [f"/appeals/{rng.choice(ids[i % len(logins)])}" for i in range(n)]


def main() -> None:
    n = next((int(a) for a in sys.argv[1:] if a.isdigit()), 60)
    screen = _arg("--screen", "search")
    app = production_app()
    from docflow.auth.models import User
    from docflow.extensions import db
    from docflow.scale.generate import PASSWORD

    with app.app_context():
        probe = Probe(db.engine)
        logins = db.session.execute(db.select(User.login).where(User.login.like("g-resp-%-1"))
                                    .order_by(User.login).limit(6)).scalars().all()
    clients = []
    for login in logins:
        client = app.test_client()
        sign_in(client, login, PASSWORD)
        clients.append(client)
    if screen == "case":
        with app.app_context():
            paths = case_paths(n, logins)
    else:
        paths = {"search": search_paths(n), "dashboard": ["/dashboard"] * n,
                 "worklist": ["/worklist"] * n}[screen]
    for i, client in enumerate(clients):  # warm-up (request i is officer i's)
        client.get(paths[i % len(paths)], base_url=HTTPS)
    profile = cProfile.Profile(time.process_time) if "--cprofile" in sys.argv else None
    cpu, counts, explained = [], [], []
    pg0 = total_cpu_ms(probe.pids)
    for i, path in enumerate(paths):
        client = clients[i % len(clients)]
        probe.statements.clear()
        if profile:
            profile.enable()
        c0 = time.process_time()
        response = client.get(path, base_url=HTTPS)
        c1 = time.process_time()
        if profile:
            profile.disable()
        assert response.status_code == 200, (path, response.status_code)
        cpu.append((c1 - c0) * 1000)
        counts.append(len(probe.statements))
        if "--sql" in sys.argv and i < 2:
            print(path)
            for statement, _params in probe.statements:
                print("   --", " ".join(statement.split())[:300])
        if "--explain" in sys.argv and i < int(_arg("--explain-n", 12)):
            explained.append((path, list(probe.statements)))
    pg_ms = (total_cpu_ms(probe.pids) - pg0) / len(paths)
    out = {"screen": screen, "requests": len(paths),
           "cpu_ms_median": round(statistics.median(cpu), 2),
           "cpu_ms_p95": round(sorted(cpu)[int(len(cpu) * 0.95) - 1], 2),
           "pg_cpu_ms_per_request": round(pg_ms, 2),
           "statements": statistics.median(counts)}
    if explained:
        with app.app_context():
            conn = db.engine.raw_connection()
            cur = conn.cursor()
            totals, plannings = [], []
            for path, statements in explained:
                total = planning = 0.0
                print(path)
                for statement, params in statements:
                    if not statement.lstrip().upper().startswith(("SELECT", "WITH")):
                        continue
                    cur.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + statement, params)
                    plan = cur.fetchone()[0][0]
                    ms = plan["Execution Time"]
                    total += ms
                    planning += plan.get("Planning Time", 0.0)
                    hits = plan["Plan"].get("Shared Hit Blocks", 0)
                    print(f"   {ms:8.2f} ms {plan.get('Planning Time', 0.0):6.2f} plan "
                          f"{hits:7} hits  {' '.join(statement.split())[:120]}")
                totals.append(total)
                plannings.append(planning)
                print(f"   total {total:.2f} ms, planning {planning:.2f} ms")
            conn.rollback()
            conn.close()
            out["pg_execution_ms_median"] = round(statistics.median(totals), 2)
            out["pg_execution_ms_max"] = round(max(totals), 2)
            out["pg_planning_ms_median"] = round(statistics.median(plannings), 2)
    if profile:
        profile.dump_stats(f"/tmp/scale_profile-{screen}.pstats")
        stats = pstats.Stats(profile)
        stats.sort_stats("cumulative").print_stats(60)
        stats.sort_stats("tottime").print_stats(30)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
