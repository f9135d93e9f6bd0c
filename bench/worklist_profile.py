"""CPU time, SQL statements and PostgreSQL time of the worklist at 1,000,000 appeals, in process.

    python -m bench.worklist_profile [N] [--cprofile] [--sql]

Starts PostgreSQL on bench-scale's cached cluster (``BENCH_SCALE_CACHE``, ``BENCH_APPEALS``,
``BENCH_SEED`` as in bench/scale.py; the cluster must exist: ``make bench-scale`` makes it), or
uses ``DATABASE_URL`` when it is set (a cluster already running). Builds the app as gunicorn does
(ProductionConfig), signs the bench's responsible officers (``g-resp-*-1``) in through the Flask
test client and requests each worklist URL of the bench N times per officer. Reports per URL the
app process's CPU milliseconds (median), the PostgreSQL backends' CPU milliseconds per request
(/proc), the statements per request and the wall milliseconds (noisy on a shared machine).
``--cprofile`` prints the top functions over all URLs, ``--sql`` the statements of one request.
The last line is JSON.
"""
from __future__ import annotations

import cProfile
import json
import os
import pstats
import statistics
import sys
import tempfile
import time

from bench.intake_profile import production_app
from bench.load_profile import Probe
from bench.procstat import total_cpu_ms
from tests.services import RedisServer

N = 20
OFFICERS = 6
HTTPS = "https://localhost"
URLS = ["/worklist", "/worklist?show=overdue", "/worklist?show=due_soon", "/worklist?page=2",
        "/worklist?sort=registered&dir=desc"]


def sign_in(client, login: str, password: str):
    import re
    page = client.get("/login", base_url=HTTPS).get_data(as_text=True)
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
    answer = client.post("/login", base_url=HTTPS, headers={"Referer": HTTPS + "/login"},
                         data={"login": login, "password": password, "csrf_token": token})
    assert answer.status_code == 302, answer.status_code


def measure(url: str, n: int, profile: bool, show_sql: bool) -> dict:
    from sqlalchemy import select

    from docflow.auth.models import User
    from docflow.extensions import db
    from docflow.scale.generate import PASSWORD

    redis = RedisServer().start()
    instance = tempfile.mkdtemp(prefix="docflow-wl-")
    try:
        app = production_app({"DATABASE_URL": url, "REDIS_URL": redis.url,
                              "BLOB_STORE": os.path.join(instance, "blobs")})
        with app.app_context():
            probe = Probe(db.engine)
            logins = db.session.execute(select(User.login).where(User.login.like("g-resp-%-1"))
                                        .order_by(User.login).limit(OFFICERS)).scalars().all()
        clients = []
        for login in logins:
            client = app.test_client()
            sign_in(client, login, PASSWORD)
            clients.append(client)
        for client in clients:  # warm-up
            for path in URLS:
                assert client.get(path, base_url=HTTPS).status_code == 200
        prof = cProfile.Profile(time.process_time) if profile else None
        results = {}
        for path in URLS:
            cpu, wall, statements = [], [], []
            pg_before = total_cpu_ms(probe.pids)
            for i in range(n):
                for k, client in enumerate(clients):
                    probe.show_sql = show_sql and i == 0 and k == 0
                    before = probe.statements
                    if prof is not None:
                        prof.enable()
                    c0, w0 = time.process_time(), time.perf_counter()
                    response = client.get(path, base_url=HTTPS)
                    c1, w1 = time.process_time(), time.perf_counter()
                    if prof is not None:
                        prof.disable()
                    assert response.status_code == 200, response.status_code
                    cpu.append((c1 - c0) * 1000)
                    wall.append((w1 - w0) * 1000)
                    statements.append(probe.statements - before)
            count = len(cpu)
            results[path] = {
                "cpu_ms": round(statistics.median(cpu), 2), "cpu_min_ms": round(min(cpu), 2),
                "pg_cpu_ms": round((total_cpu_ms(probe.pids) - pg_before) / count, 2),
                "wall_ms": round(statistics.median(wall), 2),
                "statements": statistics.median(statements)}
            r = results[path]
            print(f"{path:38} app CPU {r['cpu_ms']:7.2f} ms (min {r['cpu_min_ms']:6.2f})  PostgreSQL CPU {r['pg_cpu_ms']:6.2f}"
                  f" ms  wall {r['wall_ms']:7.2f} ms  statements {r['statements']}", flush=True)
        if prof is not None:
            prof.dump_stats("/tmp/worklist_profile.pstats")
            stats = pstats.Stats(prof)
            stats.sort_stats("cumulative").print_stats(60)
            stats.sort_stats("tottime").print_stats(40)
        with app.app_context():
            db.engine.dispose()
        return results
    finally:
        redis.close()


def main() -> None:
    n = next((int(a) for a in sys.argv[1:] if a.isdigit()), N)
    profile, show_sql = "--cprofile" in sys.argv, "--sql" in sys.argv
    url = os.environ.get("DATABASE_URL")
    pg = None
    if not url:
        from bench.scale import APPEALS, CACHE, SEED, CachedPostgres
        folder = CACHE / f"{APPEALS}-seed{SEED}"
        if not (folder / "READY").exists():
            sys.exit(f"no cached cluster in {folder}: run make bench-scale first")
        pg = CachedPostgres(folder)
        pg.start()
        url = pg.url()
    try:
        results = measure(url, n, profile, show_sql)
    finally:
        if pg is not None:
            pg.stop()
    cpu = sorted(r["cpu_ms"] for r in results.values())
    print(json.dumps({"worklist_cpu_ms_median_of_urls": cpu[len(cpu) // 2], "urls": results}))


if __name__ == "__main__":
    main()
