"""Load (issue 10): 50 concurrent users for 60 s on the main pages — worklist, appeal page, search,
the public schedule — and the intake API, against gunicorn in production mode on PostgreSQL and
Redis (bench.servers.production_stack with deploy/gunicorn.conf.py). Locust as a library
(Environment + LocalRunner, FastHttpUser).

    python -m bench.load [--users 50] [--seconds 60] [--workers 2] [--threads 2] [--settle 5]

Four in five users are employees: each signs in once with a login of its own (load-<role>-<n>,
created before the run) in ``on_start``, then moves between the worklist, an appeal's page, search
and the public schedule, waiting 0.5–1.5 s between pages. One in five is another system
registering appeals through API v1. Sign-in is not page latency: its scrypt password check costs
~0.1–0.2 s of CPU by design, and 40 users signing in within the ramp-up would queue behind each
other. So the figures are the steady state, as is standard practice (locust's reset of the
statistics once every user is running): the users ramp up and sign in, ``--settle`` seconds pass,
the statistics are reset, and the next ``--seconds`` are measured. Sign-in latency is reported on
its own line. A page that does not answer 200 (201 for the API) counts as an error — a redirect
to the sign-in page included.

Prints one line per request kind, the sign-in latency, then p50, p95 and the error count; the last
line is one JSON object: users, p50_ms, p95_ms, requests, errors. Target: p95 under 300 ms, zero
errors.
"""
from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import itertools  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from http.cookiejar import DefaultCookiePolicy  # noqa: E402

import gevent  # noqa: E402
import gevent.event  # noqa: E402
import requests  # noqa: E402
from locust import FastHttpUser, between, events, task  # noqa: E402
from locust.env import Environment  # noqa: E402

from bench.load_data import (  # noqa: E402
    PASSWORD,
    SEARCHES,
    SEED_APPEALS,
    intake_body,
    make_iin,
    staff_logins,
    this_month,
)
from bench.servers import ROOT, flask, production_stack, server_cpu_ms  # noqa: E402

_serial = itertools.count(1)
STATE: dict = {"token": "", "appeal_ids": [], "month": "", "iin": "", "logins": iter(()),
               "sign_ins": [], "sign_in_failures": 0}


def _expect(response, code: int = 200) -> None:
    if response.status_code != code:
        response.failure(f"HTTP {response.status_code}, expected {code}")


class Staff(FastHttpUser):
    """A signed-in employee moving between the worklist, a case, search and the public page."""

    weight = 4
    wait_time = between(0.5, 1.5)

    def on_start(self):
        # production cookies are Secure; the benchmark talks plain HTTP on loopback
        self.client.cookiejar.set_policy(DefaultCookiePolicy(secure_protocols=("https", "http")))
        login = next(STATE["logins"])
        started = time.perf_counter()
        page = self.client.get("/login", name="sign-in: GET /login").text
        token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
        with self.client.post("/login", data={"login": login, "password": PASSWORD,
                                              "csrf_token": token}, name="sign-in: POST /login",
                              allow_redirects=False, catch_response=True) as answer:
            if answer.status_code != 302:
                STATE["sign_in_failures"] += 1
                answer.failure(f"sign-in of {login} refused: HTTP {answer.status_code}")
            else:
                STATE["sign_ins"].append((time.perf_counter() - started) * 1000)

    def page(self, path: str, name: str, **kwargs) -> None:
        with self.client.get(path, name=name, allow_redirects=False, catch_response=True,
                             **kwargs) as answer:
            _expect(answer)

    @task(3)
    def worklist(self):
        self.page("/worklist", "/worklist")

    @task(3)
    def appeal(self):
        self.page(f"/appeals/{random.choice(STATE['appeal_ids'])}", "/appeals/<id>")

    @task(2)
    def search(self):
        self.page("/search", "/search", params={"q": random.choice(SEARCHES)})

    @task(1)
    def public_schedule(self):
        self.page(f"/schedules/CRC-AST/{STATE['month']}", "/schedules/<venue>/<month>")


class Integration(FastHttpUser):
    """Another system registering appeals through API v1, each with its own external_id."""

    weight = 1
    wait_time = between(0.5, 1.5)

    @task
    def intake(self):
        with self.client.post("/api/v1/appeals",
                              json=intake_body(f"LOAD-{next(_serial)}", STATE["iin"]),
                              headers={"Authorization": f"Bearer {STATE['token']}"},
                              name="/api/v1/appeals", catch_response=True) as answer:
            _expect(answer, 201)


def create_users(count: int):
    """prepare(env) for production_stack: the employees' logins, one per simulated user."""
    def prepare(env: dict) -> None:
        subprocess.run([sys.executable, "-m", "bench.load_data", str(count)], cwd=ROOT, env=env,
                       check=True)
    return prepare


def seed(url: str, env: dict, count: int = SEED_APPEALS) -> None:
    STATE["token"] = flask(env, "tokens", "create", "demo-integration").strip().splitlines()[-1]
    headers = {"Authorization": f"Bearer {STATE['token']}"}
    for n in range(count):
        answer = requests.post(f"{url}/api/v1/appeals", json=intake_body(f"SEED-{n}", STATE["iin"]),
                               headers=headers, timeout=60)
        answer.raise_for_status()
        STATE["appeal_ids"].append(answer.json()["id"])
    STATE["month"] = this_month()


def _percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def run(url: str, users: int, seconds: float, settle: float) -> dict:
    environment = Environment(user_classes=[Staff, Integration], host=url, events=events)
    runner = environment.create_local_runner()
    spawned = gevent.event.Event()
    environment.events.spawning_complete.add_listener(lambda user_count: spawned.set())
    started = time.perf_counter()
    runner.start(users, spawn_rate=max(users / 5, 1))
    spawned.wait(timeout=120)
    staff = runner.user_classes_count.get("Staff", 0)
    deadline = time.perf_counter() + 300
    while (len(STATE["sign_ins"]) + STATE["sign_in_failures"] < staff
           and time.perf_counter() < deadline):
        gevent.sleep(0.2)  # every employee has signed in (or been refused)
    gevent.sleep(settle)  # then the steady state
    ramp = time.perf_counter() - started
    ramp_failures = environment.stats.total.num_failures
    environment.stats.reset_all()
    cpu_before = _cpu_seconds()
    gevent.sleep(seconds)
    cpu = {k: v - cpu_before.get(k, 0.0) for k, v in _cpu_seconds().items()}
    runner.quit()
    total = environment.stats.total
    for name, entry in sorted(environment.stats.entries.items()):
        if not entry.num_requests:  # the sign-in entries, reset with the ramp-up
            continue
        print(f"{name[1]:5} {name[0]:32} n={entry.num_requests:6} fail={entry.num_failures:4} "
              f"p50={entry.get_response_time_percentile(0.5):7.0f} ms "
              f"p95={entry.get_response_time_percentile(0.95):7.0f} ms")
    for error in environment.stats.errors.values():
        print(f"error: {error.method} {error.name}: {error.error} x{error.occurrences}")
    sign_ins = STATE["sign_ins"]
    print(f"sign-in (ramp-up, {ramp:.1f} s, not in the figures below): {len(sign_ins)} users, "
          f"p50 {_percentile(sign_ins, 0.5):.0f} ms, p95 {_percentile(sign_ins, 0.95):.0f} ms, "
          f"max {max(sign_ins, default=0):.0f} ms, {STATE['sign_in_failures']} refused, "
          f"{ramp_failures} failed requests during the ramp-up")
    rate = total.num_requests / seconds
    print(f"steady state {seconds:.0f} s: {rate:.1f} requests/s; CPU per request: "
          + ", ".join(f"{k} {v * 1000 / max(total.num_requests, 1):.1f} ms"
                      for k, v in sorted(cpu.items())))
    errors = total.num_failures + STATE["sign_in_failures"]
    return {"users": users, "p50_ms": total.get_response_time_percentile(0.5),
            "p95_ms": total.get_response_time_percentile(0.95),
            "requests": total.num_requests, "errors": errors}


def _cpu_seconds() -> dict[str, float]:
    """CPU seconds so far of the benchmark itself, its gunicorn and its PostgreSQL (/proc;
    workers and backends that have exited included)."""
    app_ms, pg_ms = server_cpu_ms(STATE["env"])
    return {"locust": time.process_time(), "gunicorn": app_ms / 1000, "postgres": pg_ms / 1000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--settle", type=float, default=5)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    STATE["iin"] = make_iin()
    STATE["logins"] = iter([login for login, *_ in staff_logins(args.users)])
    random.seed(10)
    with production_stack(workers=args.workers, threads=args.threads, conf=True,
                          prepare=create_users(args.users)) as (url, env):
        seed(url, env)
        STATE["env"] = env
        load_start = os.getloadavg()[0]
        figures = run(url, args.users, args.seconds, args.settle)
        print(f"gunicorn {args.workers} workers x {args.threads} threads; load average "
              f"{load_start:.1f} -> {os.getloadavg()[0]:.1f} (2 cores: wall figures are only "
              f"as good as the machine is quiet)")
    print(f"p50 {figures['p50_ms']} ms, p95 {figures['p95_ms']} ms, "
          f"{figures['requests']} requests, {figures['errors']} errors")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
