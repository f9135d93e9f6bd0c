"""CPU time and SQL statements per request kind of the load benchmark (issue 10), in process.

    python -m bench.load_profile [N] [--cprofile KIND] [--sql KIND]

Starts PostgreSQL and Redis, migrates, loads the demo data and seeds appeals as ``bench.load``
does, builds the app as gunicorn does (ProductionConfig) and sends each request kind of the load
(sign-in, worklist, appeal page, search, public schedule, API intake) N times per staff user
through the Flask test client. Reports per kind: the app process's CPU milliseconds (median), the
PostgreSQL backends' CPU milliseconds per request (from /proc), the SQL statements per request and
the status codes. Wall time on a shared machine is noise; CPU time per request is what this
measures. With ``--cprofile KIND`` it prints the top functions of that kind. The last line is JSON.
"""
import collections
import cProfile
import json
import pstats
import statistics
import sys
import time

from sqlalchemy import event

from bench.intake_profile import production_app
from bench.load_data import (
    PASSWORD,
    SEARCHES,
    SEED_APPEALS,
    create_staff,
    intake_body,
    make_iin,
    staff_logins,
    this_month,
)
from bench.procstat import total_cpu_ms
from bench.servers import flask, migrate, production_env
from tests.services import PostgresServer, RedisServer

N = 40
STAFF = [login for login, *_ in staff_logins(4)]
HTTPS = "https://localhost"  # production cookies are Secure


def _arg(name: str) -> str | None:
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv else None


class Probe:
    """Counts statements and remembers the PostgreSQL backends the app's connections use."""

    def __init__(self, engine):
        self.statements = 0
        self.pids: set[int] = set()
        self.show_sql = False
        event.listen(engine, "before_cursor_execute", self.count)
        event.listen(engine, "checkout", self.remember)

    def count(self, conn, cursor, statement, parameters, context, executemany):
        self.statements += 1
        if self.show_sql:
            print(f"-- {' '.join(statement.split())[:220]}")

    def remember(self, dbapi_connection, record, proxy):
        if "pid" not in record.info:
            cur = dbapi_connection.cursor()
            cur.execute("select pg_backend_pid()")
            record.info["pid"] = cur.fetchone()[0]
            cur.close()
        self.pids.add(record.info["pid"])


def sign_in(client, login: str):
    import re
    page = client.get("/login", base_url=HTTPS).get_data(as_text=True)
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
    return client.post("/login", base_url=HTTPS, headers={"Referer": HTTPS + "/login"}, data={"login": login, "password": PASSWORD,
                                                       "csrf_token": token})


def main() -> None:
    n = next((int(a) for a in sys.argv[1:] if a.isdigit()), N)
    profile_kind, sql_kind = _arg("--cprofile"), _arg("--sql")
    pg, redis = PostgresServer().start(), RedisServer().start()
    results = {}
    try:
        env = production_env(pg, redis)
        migrate(env)
        flask(env, "demo", "load")
        token = flask(env, "tokens", "create", "demo-integration").strip().splitlines()[-1]
        app = production_app(env)
        from docflow.extensions import db
        with app.app_context():
            probe = Probe(db.engine)
            create_staff(len(STAFF))
        iin = make_iin()
        api = app.test_client()
        headers = {"Authorization": f"Bearer {token}"}
        ids = []
        for i in range(SEED_APPEALS):
            answer = api.post("/api/v1/appeals", json=intake_body(f"SEED-{i}", iin),
                              headers=headers, base_url=HTTPS)
            assert answer.status_code == 201, answer.get_data(as_text=True)
            ids.append(answer.get_json()["id"])
        month = this_month()
        clients = {}
        serial = iter(range(10**6))
        kinds = {
            "sign-in": lambda login: sign_in(app.test_client(), login),
            "/worklist": lambda login: clients[login].get("/worklist", base_url=HTTPS),
            "/appeals/<id>": lambda login: clients[login].get(
                f"/appeals/{ids[next(serial) % len(ids)]}", base_url=HTTPS),
            "/search": lambda login: clients[login].get(
                "/search", query_string={"q": SEARCHES[next(serial) % len(SEARCHES)]},
                base_url=HTTPS),
            "/schedules/<venue>/<month>": lambda login: clients[login].get(
                f"/schedules/CRC-AST/{month}", base_url=HTTPS),
            "/api/v1/appeals": lambda login: api.post(
                "/api/v1/appeals", json=intake_body(f"P-{next(serial)}", iin), headers=headers,
                base_url=HTTPS),
        }
        for login in STAFF:
            clients[login] = app.test_client()
            answer = sign_in(clients[login], login)
            assert answer.status_code == 302, answer.get_data(as_text=True)[-3000:]
        for kind, send in kinds.items():
            for login in STAFF:  # warm-up: templates compiled, caches filled
                send(login)
            profile = (cProfile.Profile(time.process_time)
                       if profile_kind in (kind, "all") else None)
            cpu, statements, codes = [], [], collections.Counter()
            pg_before = total_cpu_ms(probe.pids)
            rounds = n if kind != "sign-in" else max(2, n // 8)
            for i in range(rounds):
                for login in STAFF:
                    probe.show_sql = kind == sql_kind and i == 0
                    before = probe.statements
                    if profile is not None:
                        profile.enable()
                    c0 = time.process_time()
                    response = send(login)
                    c1 = time.process_time()
                    if profile is not None:
                        profile.disable()
                    cpu.append((c1 - c0) * 1000)
                    statements.append(probe.statements - before)
                    codes[f"{login}:{response.status_code}"] += 1
            count = len(cpu)
            results[kind] = {
                "cpu_ms": round(statistics.median(cpu), 2),
                "pg_cpu_ms": round((total_cpu_ms(probe.pids) - pg_before) / count, 2),
                "statements": statistics.median(statements), "codes": dict(codes)}
            print(f"{kind:28} app CPU {results[kind]['cpu_ms']:7.2f} ms  PostgreSQL CPU "
                  f"{results[kind]['pg_cpu_ms']:6.2f} ms  statements "
                  f"{results[kind]['statements']:4}  {dict(codes)}", flush=True)
            if profile is not None:
                slug = "".join(c if c.isalnum() else "_" for c in kind).strip("_")
                profile.dump_stats(f"/tmp/load_profile-{slug}.pstats")
                if profile_kind != "all":
                    stats = pstats.Stats(profile)
                    stats.sort_stats("cumulative").print_stats(70)
                    stats.sort_stats("tottime").print_stats(40)
        with app.app_context():
            db.engine.dispose()
    finally:
        redis.close()
        pg.stop()
    print(json.dumps({kind: {k: v for k, v in r.items() if k != "codes"}
                      for kind, r in results.items()}))


if __name__ == "__main__":
    main()
