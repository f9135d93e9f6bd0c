"""CPU time and SQL statements of one API intake, in process, on PostgreSQL (issue 5).

    python -m bench.intake_profile [N] [--cprofile]

Starts a throwaway PostgreSQL (the test session's helper), migrates it and loads the demo data
in production mode, then posts N distinct appeals through the Flask test client (the whole
request: token check, schema load, registration, commit, response) and reports the app process's
CPU milliseconds per intake, the PostgreSQL backend's CPU milliseconds per intake (read from
/proc for the connection's backend), and the number of SQL statements per intake. With
``--cprofile`` it prints the top functions by cumulative time. The last line is JSON.
"""
import cProfile
import json
import pstats
import statistics
import sys
import time

from sqlalchemy import event

from bench.procstat import total_cpu_ms
from bench.servers import flask, migrate, production_env
from tests.services import PostgresServer, RedisServer

N = 300
SHOW_SQL = "--sql" in sys.argv
WARMUP = 50


def measure(app, token: str, start: int, count: int, profile: cProfile.Profile | None = None):
    """Post ``count`` distinct appeals; per-intake CPU ms, statement counts, backend CPU."""
    from docflow.extensions import db
    from tests.api.test_appeals_api import body

    statements = []
    counter = {"n": 0}
    pids: set[int] = set()

    def count_statement(conn, cursor, statement, parameters, context, executemany):
        counter["n"] += 1
        if SHOW_SQL and counter["n"] - before <= 60 and not printed:
            print(f"-- {statement.splitlines()[0][:150]}  {str(parameters)[:80]}")

    def remember_pid(dbapi_connection, record, proxy):
        if "pid" not in record.info:
            cur = dbapi_connection.cursor()
            cur.execute("select pg_backend_pid()")
            record.info["pid"] = cur.fetchone()[0]
            cur.close()
        pids.add(record.info["pid"])

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count_statement)
    event.listen(engine, "checkout", remember_pid)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    payloads = [body(external_id=f"P-{i}") for i in range(start, start + count)]
    cpu, wall = [], []
    pg_before = None
    before, printed = 0, True
    try:
        for i, payload in enumerate(payloads):
            before = counter["n"]
            printed = i != 1
            if profile is not None:
                profile.enable()
            t0, c0 = time.perf_counter(), time.process_time()
            response = client.post("/api/v1/appeals", json=payload, headers=headers)
            c1, t1 = time.process_time(), time.perf_counter()
            if profile is not None:
                profile.disable()
            assert response.status_code == 201, response.get_data(as_text=True)
            if i == 0:
                pg_before = total_cpu_ms(pids)
            else:
                cpu.append((c1 - c0) * 1000)
                wall.append((t1 - t0) * 1000)
                statements.append(counter["n"] - before)
        pg_cpu = (total_cpu_ms(pids) - pg_before) / (count - 1)
    finally:
        event.remove(engine, "before_cursor_execute", count_statement)
        event.remove(engine, "checkout", remember_pid)
    return cpu, wall, statements, pg_cpu


def production_app(env: dict):
    """The app as gunicorn runs it (ProductionConfig), on the bench's PostgreSQL and Redis."""
    import config
    from docflow import create_app

    settings = {k: getattr(config.ProductionConfig, k) for k in dir(config.ProductionConfig)
                if k.isupper()}
    settings.update(SECRET_KEY="bench", SQLALCHEMY_DATABASE_URI=config.database_url(
        env["DATABASE_URL"]), REDIS_URL=env["REDIS_URL"], BLOB_STORE=env["BLOB_STORE"])
    return create_app(settings)


def in_process_figures(n: int = N, profile: cProfile.Profile | None = None) -> dict:
    """Start PostgreSQL + Redis, migrate, load the demo, and measure ``n`` intakes."""
    pg, redis = PostgresServer().start(), RedisServer().start()
    try:
        env = production_env(pg, redis)
        migrate(env)
        flask(env, "demo", "load")
        token = flask(env, "tokens", "create", "demo-integration").strip().splitlines()[-1]
        app = production_app(env)
        measure(app, token, 0, WARMUP)
        cpu, wall, statements, pg_cpu = measure(app, token, WARMUP, n, profile)
        with app.app_context():
            from docflow.extensions import db
            db.engine.dispose()
    finally:
        redis.close()
        pg.stop()
    return {"intakes": len(cpu),
            "cpu_ms_per_intake_median": round(statistics.median(cpu), 2),
            "cpu_ms_per_intake_min": round(min(cpu), 2),
            "wall_ms_median": round(statistics.median(wall), 2),
            "pg_backend_cpu_ms_per_intake": round(pg_cpu, 2),
            "statements_per_intake": statistics.mode(statements)}


def main() -> None:
    n = next((int(a) for a in sys.argv[1:] if a.isdigit()), N)
    profile = cProfile.Profile(time.process_time) if "--cprofile" in sys.argv else None
    figures = in_process_figures(n, profile)
    if profile is not None:
        profile.dump_stats("/tmp/intake_profile.pstats")
        stats = pstats.Stats(profile)
        stats.sort_stats("cumulative").print_stats(60)
        stats.sort_stats("tottime").print_stats(40)
        figures["python_calls_per_intake"] = round(stats.total_calls / n)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
