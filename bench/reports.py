"""bench-reports: the time to build one quarter's report (figures of the quarter and the one
before, charts, a PDF per language, the XLSX, stored and submitted) over N appeals on PostgreSQL.

    python -m bench.reports                 # 1,000,000 appeals (BENCH_APPEALS to change)

The database is bench-scale's **cached** cluster (``bench.scale.CachedPostgres``):
``BENCH_SCALE_CACHE``/<appeals>-seed<seed> (default /var/tmp/docflow-bench-scale/1000000-seed1).
When the folder holds a ready cluster it is reused, as is (point ``BENCH_SCALE_CACHE`` at a copy
to keep the original untouched: this bench adds the models' missing tables and indexes to it, as
bench-scale does, and builds one report in it, deleted again at the end); otherwise the cluster
is made there first with ``flask demo generate`` (``bench.scale.prepare``: a 1,000,000 fill takes
about an hour, later runs reuse it). ``BENCH_FILL=sql`` instead fills a throwaway server with a
quick INSERT ... SELECT (less varied data, minutes instead of an hour).

The report is built for the last quarter that ended, for the venue and body with the most
appeals in it. The PDF renderer is warmed first, as a worker does when it starts
(workers.worker.DocflowWorker). Wall and CPU (process) time are printed, and on the PostgreSQL
side the CPU time of the server process that served the build and each figures statement's
execution time (EXPLAIN ANALYZE, after the build). The last line is one JSON object with
``appeals`` and ``seconds`` (the wall time of the whole build and its commit), and the parts.
``BENCH_PARALLEL_RENDER=0`` renders the two languages one after the other in this process
(by default the second is rendered by a forked child when a second core is free).
"""
from __future__ import annotations

import atexit
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from datetime import date

from bench.procstat import cpu_ms, stat_fields
from tests.services import PostgresServer, RedisServer


def cpu_time() -> float:
    """CPU seconds of this process and of its children that ended (the report's second
    language is rendered by a forked child: docflow.reports.quarterly.render_all)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def timed(fn, *args, **kw):
    wall, cpu = time.perf_counter(), cpu_time()
    result = fn(*args, **kw)
    return result, round(time.perf_counter() - wall, 3), round(cpu_time() - cpu, 3)


def main() -> None:
    n = int(os.environ.get("BENCH_APPEALS", "1000000"))
    if os.environ.get("BENCH_FILL") == "sql":
        pg = PostgresServer().start()
        try:
            app, db = make_app(pg.url())
            with app.app_context():
                db.create_all()
                from docflow.demo import load_demo

                load_demo()
                _g, fill_wall, _cpu = timed(fill_sql, db, n)
                print(f"filled {n} appeals (INSERT ... SELECT) in {fill_wall} s", file=sys.stderr)
                vacuum(db, None)
                result = run(db, n)
        finally:
            pg.stop()
        print(json.dumps(result))
        return
    from bench import scale

    folder = scale.CACHE / f"{scale.APPEALS}-seed{scale.SEED}"
    pg, redis = scale.CachedPostgres(folder), RedisServer().start()
    try:
        pg.start()
        # generates unless cached; creates the models' missing tables and indexes; ANALYZE
        reused, gen_seconds = scale.prepare(folder, pg, scale.env_for(pg, redis, folder))
        app, db = make_app(pg.url())
        with app.app_context():
            vacuum(db, ("appeal", "material_request", "engine_item"))
            result = run(db, scale.APPEALS)
        result["cached_database"] = reused
        if not reused:
            result["generated_seconds"] = round(gen_seconds, 1)
    finally:
        redis.close()
        pg.stop()
    print(json.dumps(result))


def make_app(url: str):
    from docflow import create_app
    from docflow.extensions import db

    instance = tempfile.mkdtemp(prefix="docflow-bench-reports-")
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "JOBS_BACKEND": "embedded",
                      "BLOB_STORE": os.path.join(instance, "blobs"),
                      "REPORTS_PARALLEL_RENDER": os.environ.get("BENCH_PARALLEL_RENDER") != "0"})
    atexit.register(shutil.rmtree, instance, ignore_errors=True)
    return app, db


def vacuum(db, tables) -> None:
    """The steady state autovacuum keeps on a live server (visibility map set, statistics
    fresh): index-only scans then read no table page. Quick on a cluster already vacuumed."""
    t0 = time.perf_counter()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        for table in tables or ("",):
            c.execute(db.text(f"VACUUM (ANALYZE) {table}"))
    print(f"VACUUM ANALYZE in {time.perf_counter() - t0:.1f} s", file=sys.stderr)


def fill_sql(db, n: int) -> None:
    """The fallback fill (BENCH_FILL=sql): the scale generator's reference data, then N appeals
    with INSERT ... SELECT generate_series on PostgreSQL, spread evenly from 2023-01-01 to now
    over every (venue, body) pair, with their states, replies (some late, some missing) and a
    material request for one in ten. Much faster than the generator; less varied text."""
    import random

    from docflow.scale.generate import ensure_reference

    ref = ensure_reference(n, random.Random(1))
    pairs = [(v.id, v.body_id) for v in ref.venues if v.kind == "reception_room"]
    pairs += [(v.id, b.id) for v in ref.venues if v.kind == "reception_center"
              for b in ([ref.akimat_of[v.code.split("-", 1)[1]]] + ref.central[:6])]
    db.session.commit()
    params = {"n": n, "venues": [p[0] for p in pairs], "bodies": [p[1] for p in pairs],
              "np": len(pairs),
              "states": ["registered", "in_review", "collecting", "brief_ready", "approved",
                         "notified", "held", "consulted", "closed", "closed"],
              "channels": ["egov_portal", "e_appeals", "paper", "hand_delivered", "oral",
                           "call_center"]}
    base = db.session.execute(db.text("SELECT COALESCE(MAX(id), 0) FROM engine_item")).scalar()
    params["base"] = base
    span = "(extract(epoch FROM now() - timestamp '2023-01-01') / :n)"
    steps = [
        "CREATE TEMP TABLE bench_a AS SELECT g, :base + g AS id, "
        "(CAST(:venues AS int[]))[1 + g % :np] AS venue_id, "
        "(CAST(:bodies AS int[]))[1 + g % :np] AS body_id, "
        f"timestamp '2023-01-01' + make_interval(secs => g * {span}) AS received_at, "
        "(CAST(:states AS text[]))[1 + (g / 7) % 10] AS state, "
        "(CAST(:channels AS text[]))[1 + g % 6] AS channel "
        "FROM generate_series(1, :n) g",
        "INSERT INTO engine_item (id, uid, type, title, path, created_at, modified_at, state, "
        "restricted, version) SELECT id, md5(id::text), 'appeal', 'appeal ' || g, "
        "'/' || id || '/', received_at, received_at, state, g % 50 = 0, 1 FROM bench_a",
        "INSERT INTO engine_item_place (item_id, place) SELECT id, 'venue:' || venue_id "
        "FROM bench_a UNION ALL SELECT id, 'body:' || body_id FROM bench_a",
        "INSERT INTO appeal (id, channel, venue_id, body_id, registration_year, "
        "registration_seq, registration_number, received_at, registered_on, reply_due, "
        "replied_on, applicant_kind, last_name, first_name, citizenship, applicant_language, "
        "subject, text) SELECT id, channel, venue_id, body_id, "
        "extract(year FROM received_at + interval '5 hours')::int, g, 'B-' || g, received_at, "
        "(received_at + interval '5 hours' + CASE WHEN g % 11 = 0 THEN interval '1 day' "
        "ELSE interval '0' END)::date, (received_at + interval '5 hours' + interval '21 days')::date, "
        "CASE WHEN state IN ('notified', 'held', 'closed') THEN (received_at + interval "
        "'5 hours' + CASE WHEN g % 9 = 0 THEN interval '25 days' ELSE interval '12 days' END)::date "
        "END, 'individual', 'Applicant', 'A', 'KZ', 'ru', 'subject', 'text' FROM bench_a",
        "INSERT INTO engine_item (id, uid, type, title, parent_id, path, created_at, "
        "modified_at, state, restricted, version) SELECT id + :n, md5((id + :n)::text), "
        "'material_request', 'materials', id, '/' || id || '/' || (id + :n) || '/', "
        "received_at, received_at, CASE WHEN g % 20 = 0 THEN 'asked' ELSE 'answered' END, "
        "false, 1 FROM bench_a WHERE g % 10 = 0",
        "INSERT INTO material_request (id, appeal_id, addressee_kind, addressee_body_id, "
        "question, required, working_days, asked_on, due_on, answered_on) SELECT id + :n, id, "
        "'body', body_id, 'materials', true, 5, received_at::date, received_at::date + 7, "
        "CASE WHEN g % 20 = 0 THEN NULL ELSE received_at::date + 5 + g % 5 END "
        "FROM bench_a WHERE g % 10 = 0",
        "SELECT setval(pg_get_serial_sequence('engine_item', 'id'), "
        "(SELECT MAX(id) FROM engine_item))",
        "DROP TABLE bench_a",
    ]
    for sql in steps:
        db.session.execute(db.text(sql), params)
    db.session.commit()


def _letter_cpu_ms(count: int = 15) -> float:
    """The CPU median of a one-page reply letter: how slow this machine is right now."""
    from docflow.documents import samples
    from docflow.documents.render import render_pdf

    context, times = samples.reply_letter(), []
    for _i in range(count):
        started = time.process_time()
        render_pdf("reply_letter", context, language="kk", title="calibration")
        times.append(time.process_time() - started)
    return round(sorted(times)[count // 2] * 1000, 1)


def backend_cpu(db) -> tuple[int, float]:
    """The PostgreSQL server process of the session's connection and its CPU seconds so far
    (user + system, /proc: the server runs on this machine)."""
    pid = db.session.execute(db.text("SELECT pg_backend_pid()")).scalar()
    return pid, cpu_ms(stat_fields(pid)) / 1000


class Statements:
    """The SQL statements run while active (with their parameters), to EXPLAIN them later."""

    def __init__(self, engine):
        self.engine, self.seen, self.on = engine, [], False
        from sqlalchemy import event

        event.listen(engine, "before_cursor_execute", self._record)

    def _record(self, conn, cursor, statement, parameters, context, executemany):
        if self.on and statement.lstrip().upper().startswith(("SELECT", "WITH")):
            self.seen.append((statement, parameters))

    def explain(self, db) -> list[tuple[float, str]]:
        """(server execution ms, statement head) of each, by EXPLAIN (ANALYZE, BUFFERS)."""
        out = []
        conn = db.session.connection()
        for statement, parameters in self.seen:
            plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + statement,
                                        parameters).scalar()
            out.append((plan[0]["Execution Time"], " ".join(statement.split())[:90]))
        db.session.rollback()
        return out


def delete_report(db, report_id: int) -> None:
    """A report of this bench (or of an earlier run on the same cached cluster) goes, with its
    files, history and notifications (foreign keys ON DELETE CASCADE)."""
    db.session.execute(db.text("DELETE FROM engine_item WHERE id = :id"), {"id": report_id})
    db.session.commit()


def run(db, n: int) -> dict:
    from docflow.documents.render import warm_up
    from docflow.reception.models import Appeal
    from docflow.reports import figures, quarterly

    a = Appeal.__table__
    today = date.today()
    year, quarter = quarterly.last_ended_quarter(today)
    start, end = quarterly.quarter_bounds(year, quarter)
    in_period = (a.c.registered_on >= start) & (a.c.registered_on <= end)
    venue_id, body_id, in_pair = db.session.execute(
        db.select(a.c.venue_id, a.c.body_id, db.func.count()).where(in_period)
        .group_by(a.c.venue_id, a.c.body_id)
        .order_by(db.func.count().desc()).limit(1)).one()
    in_quarter = db.session.execute(db.select(db.func.count()).select_from(a)
                                    .where(in_period)).scalar()
    old = quarterly.find_report(venue_id, body_id, year, quarter)
    if old is not None:
        delete_report(db, old.id)
    _r, warm_wall, _c = timed(warm_up)
    report = quarterly.report_for(venue_id, body_id, year, quarter)
    db.session.commit()

    statements = Statements(db.engine)
    scope = figures.Scope(start, end, (venue_id,), (body_id,), today=today)
    statements.on = True
    _f, figures_wall, figures_cpu = timed(figures.compute, scope)
    statements.on = False
    _a, all_wall, all_cpu = timed(figures.compute, figures.Scope(start, end, today=today))
    db.session.rollback()

    pid, pg_cpu = backend_cpu(db)
    added, wall, cpu = timed(quarterly.build, report, today=today)
    pid_after, pg_cpu_after = backend_cpu(db)
    _x, commit_wall, _c2 = timed(db.session.commit)
    assert added and report.state == "submitted"
    build_pg_cpu = round(pg_cpu_after - pg_cpu, 2) if pid == pid_after else None
    _l, late_wall, late_cpu = timed(quarterly.late_reports, today)
    plans = statements.explain(db)
    pg_figures_ms = round(sum(ms for ms, _s in plans), 1)
    delete_report(db, report.id)

    print(f"quarter {year} Q{quarter}: {in_quarter} appeals, {in_pair} at venue {venue_id} / "
          f"body {body_id}", file=sys.stderr)
    print(f"renderer warm-up {warm_wall} s (once per worker, not counted)", file=sys.stderr)
    print(f"figures of one venue and body: {figures_wall} s wall, {figures_cpu} s CPU; "
          f"PostgreSQL executes its {len(plans)} statements in {pg_figures_ms} ms "
          f"(EXPLAIN ANALYZE), the longest:", file=sys.stderr)
    for ms, head in sorted(plans, reverse=True)[:4]:
        print(f"    {ms:8.1f} ms  {head}", file=sys.stderr)
    print(f"figures of every venue and body (dashboard): {all_wall} s wall, {all_cpu} s CPU",
          file=sys.stderr)
    print(f"report build (2 quarters' figures, charts, PDF kk+ru, XLSX, store, submit): "
          f"{wall} s wall, {cpu} s CPU here (with the child rendering the second language) + "
          f"{build_pg_cpu} s CPU in the PostgreSQL server; "
          f"commit {commit_wall} s", file=sys.stderr)
    print(f"late-report check: {late_wall} s wall, {late_cpu} s CPU", file=sys.stderr)
    letter_ms = _letter_cpu_ms()
    print(f"calibration: a reply letter (render_pdf only) takes {letter_ms} ms CPU in this process "
          f"(how fast the machine is right now); load average {os.getloadavg()[0]:.1f}",
          file=sys.stderr)
    return {"appeals": n, "seconds": round(wall + commit_wall, 3), "cpu_seconds": cpu,
            "pg_cpu_seconds": build_pg_cpu, "pg_figures_ms": pg_figures_ms,
            "letter_cpu_ms": letter_ms, "load_average": round(os.getloadavg()[0], 1),
            "quarter": f"{year}-Q{quarter}", "appeals_in_quarter": in_quarter,
            "appeals_in_report": in_pair, "figures_seconds": figures_wall,
            "dashboard_all_venues_seconds": all_wall, "late_check_seconds": late_wall}


if __name__ == "__main__":
    main()
