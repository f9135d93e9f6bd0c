"""bench-reports: the time to build one quarter's report (figures of the quarter and the one
before, charts, a PDF per language, the XLSX, stored and submitted) over N appeals on PostgreSQL.

    python -m bench.reports                 # 1,000,000 appeals (BENCH_APPEALS to change)

A throwaway PostgreSQL server is started (tests/services.py), the schema created from the models,
and filled with ``docflow.scale.generate`` (``flask demo generate``: bulk COPY). The report is
built for the last quarter that ended, for the venue and body with the most appeals in it. The
PDF renderer is warmed first, as a worker does when it starts (workers.worker.DocflowWorker).
Wall and CPU (process) time are printed; the last line is one JSON object with ``appeals`` and
``seconds`` (the wall time of the whole build), and the parts.
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from datetime import date

from tests.services import PostgresServer


def timed(fn, *args, **kw):
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn(*args, **kw)
    return result, round(time.perf_counter() - wall, 3), round(time.process_time() - cpu, 3)


def main() -> None:
    n = int(os.environ.get("BENCH_APPEALS", "1000000"))
    pg = PostgresServer().start()
    try:
        from docflow import create_app
        from docflow.extensions import db

        instance = tempfile.mkdtemp(prefix="docflow-bench-reports-")
        app = create_app({"SQLALCHEMY_DATABASE_URI": pg.url(), "JOBS_BACKEND": "embedded",
                          "BLOB_STORE": os.path.join(instance, "blobs")})
        with app.app_context():
            db.create_all()
            from docflow.demo import load_demo
            from docflow.scale.generate import generate

            load_demo()
            how = os.environ.get("BENCH_FILL", "generator")
            if how == "sql":
                _g, gen_wall, _cpu = timed(fill_sql, db, n)
            else:
                _g, gen_wall, _cpu = timed(generate, n, seed=1)
            print(f"filled {n} appeals ({how}) in {gen_wall} s", file=sys.stderr)
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.execute(db.text("VACUUM ANALYZE"))
            result = run(db, n)
        print(json.dumps(result))
    finally:
        pg.stop()


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


def run(db, n: int) -> dict:
    from docflow.documents.render import warm_up
    from docflow.reception.models import Appeal
    from docflow.reports import figures, quarterly

    today = date.today()
    year, quarter = quarterly.last_ended_quarter(today)
    start, end = quarterly.quarter_bounds(year, quarter)
    venue_id, body_id, in_pair = db.session.execute(
        db.select(Appeal.venue_id, Appeal.body_id, db.func.count())
        .where(Appeal.registered_on >= start, Appeal.registered_on <= end)
        .group_by(Appeal.venue_id, Appeal.body_id)
        .order_by(db.func.count().desc()).limit(1)).one()
    in_quarter = db.session.execute(db.select(db.func.count()).where(
        Appeal.registered_on >= start, Appeal.registered_on <= end)).scalar()
    _r, warm_wall, _c = timed(warm_up)
    report = quarterly.report_for(venue_id, body_id, year, quarter)
    db.session.commit()

    scope = figures.Scope(start, end, (venue_id,), (body_id,), today=today)
    _f, figures_wall, figures_cpu = timed(figures.compute, scope)
    _a, all_wall, all_cpu = timed(figures.compute, figures.Scope(start, end, today=today))
    db.session.rollback()

    added, wall, cpu = timed(quarterly.build, report, today=today)
    _x, commit_wall, _c2 = timed(db.session.commit)
    assert added and report.state == "submitted"
    _l, late_wall, _c3 = timed(quarterly.late_reports, today)
    print(f"quarter {year} Q{quarter}: {in_quarter} appeals, {in_pair} at venue {venue_id} / "
          f"body {body_id}", file=sys.stderr)
    print(f"renderer warm-up {warm_wall} s (once per worker, not counted)", file=sys.stderr)
    print(f"figures of one venue and body: {figures_wall} s wall, {figures_cpu} s CPU",
          file=sys.stderr)
    print(f"figures of every venue and body (dashboard): {all_wall} s wall, {all_cpu} s CPU",
          file=sys.stderr)
    print(f"report build (2 quarters' figures, charts, PDF kk+ru, XLSX, store, submit): "
          f"{wall} s wall, {cpu} s CPU; commit {commit_wall} s", file=sys.stderr)
    letter_ms = _letter_cpu_ms()
    print(f"calibration: a reply letter renders in {letter_ms} ms CPU (30 ms on a quiet "
          f"machine per bench-documents); load average {os.getloadavg()[0]:.1f}", file=sys.stderr)
    return {"appeals": n, "seconds": round(wall + commit_wall, 3), "cpu_seconds": cpu,
            "letter_cpu_ms": letter_ms, "load_average": round(os.getloadavg()[0], 1),
            "quarter": f"{year}-Q{quarter}", "appeals_in_quarter": in_quarter,
            "appeals_in_report": in_pair, "figures_seconds": figures_wall,
            "dashboard_all_venues_seconds": all_wall, "late_check_seconds": late_wall}


if __name__ == "__main__":
    main()
