"""Load (issue 10): 50 concurrent users for 60 s on the main pages — worklist, appeal page, search,
the public schedule — and the intake API, against gunicorn in production mode on PostgreSQL and
Redis (bench.servers.production_stack). Locust as a library (Environment + LocalRunner).

    python -m bench.load [--users 50] [--seconds 60] [--workers 4] [--threads 4]

Prints one line per request kind, then p50, p95 and the error count; the last line is one JSON
object: users, p50_ms, p95_ms, requests, errors. Target: p95 under 300 ms, zero errors."""
from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import itertools  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import time  # noqa: E402
from datetime import date  # noqa: E402

import gevent  # noqa: E402
import requests  # noqa: E402
from locust import HttpUser, between, events, task  # noqa: E402
from locust.env import Environment  # noqa: E402

from bench.servers import flask, production_stack  # noqa: E402

PASSWORD = "demo-pass-2026"
STAFF = ["demo-responsible", "demo-registrar", "demo-head", "demo-call-center"]
SEARCHES = ["Жұмыс", "қабылдау", "Сәрсенбаев", "CRC-AST"]
_serial = itertools.count(1)
STATE: dict = {"token": "", "appeal_ids": [], "month": ""}


def _iin(prefix: str) -> str:
    from docflow.reception.identity import check_digit
    return prefix + str(check_digit(prefix))


IIN = None


def intake_body(external_id: str) -> dict:
    return {"channel": "egov_portal", "external_id": external_id,
            "received_at": "2026-11-25T10:15:00+05:00", "venue": "CRC-AST", "body": "MLSPP",
            "applicant": {"kind": "individual", "iin": IIN, "last_name": "Сәрсенбаев",
                          "first_name": "Ғалым", "citizenship": "KZ", "language": "kk",
                          "phone": "+77011234567"},
            "subject": "Жұмысқа орналасу", "text": "Министрдің қабылдауына жазылғым келеді."}


class Staff(HttpUser):
    """A signed-in employee moving between the worklist, a case, search and the public page."""

    weight = 4
    wait_time = between(0.5, 1.5)

    def on_start(self):
        # production cookies are Secure: over plain HTTP on loopback, send them back by hand
        jar: dict[str, str] = {}

        def carry(response, *args, **kwargs):
            for value in response.raw.headers.getlist("Set-Cookie"):
                key, _sep, rest = value.partition("=")
                jar[key.strip()] = rest.split(";", 1)[0]
            self.client.headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in jar.items())
        self.client.hooks["response"].append(carry)
        login = random.choice(STAFF)
        page = self.client.get("/login", name="/login").text
        token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
        self.client.post("/login", data={"login": login, "password": PASSWORD,
                                         "csrf_token": token}, name="/login")

    @task(3)
    def worklist(self):
        self.client.get("/worklist", name="/worklist")

    @task(3)
    def appeal(self):
        appeal_id = random.choice(STATE["appeal_ids"])
        self.client.get(f"/appeals/{appeal_id}", name="/appeals/<id>")

    @task(2)
    def search(self):
        self.client.get("/search", params={"q": random.choice(SEARCHES)}, name="/search")

    @task(1)
    def public_schedule(self):
        self.client.get(f"/schedules/CRC-AST/{STATE['month']}", name="/schedules/<venue>/<month>")


class Integration(HttpUser):
    """Another system registering appeals through API v1, each with its own external_id."""

    weight = 1
    wait_time = between(0.5, 1.5)

    @task
    def intake(self):
        self.client.post("/api/v1/appeals", json=intake_body(f"LOAD-{next(_serial)}"),
                         headers={"Authorization": f"Bearer {STATE['token']}"},
                         name="/api/v1/appeals")


def seed(url: str, env: dict, count: int = 60) -> None:
    STATE["token"] = flask(env, "tokens", "create", "demo-integration").strip().splitlines()[-1]
    headers = {"Authorization": f"Bearer {STATE['token']}"}
    for n in range(count):
        answer = requests.post(f"{url}/api/v1/appeals", json=intake_body(f"SEED-{n}"),
                               headers=headers, timeout=60)
        answer.raise_for_status()
        STATE["appeal_ids"].append(answer.json()["id"])
    STATE["month"] = date.today().strftime("%Y-%m")


def run(url: str, users: int, seconds: float) -> dict:
    environment = Environment(user_classes=[Staff, Integration], host=url, events=events)
    runner = environment.create_local_runner()
    runner.start(users, spawn_rate=max(users / 5, 1))
    gevent.sleep(seconds)
    runner.quit()
    total = environment.stats.total
    for name, entry in sorted(environment.stats.entries.items()):
        print(f"{name[1]:5} {name[0]:32} n={entry.num_requests:6} fail={entry.num_failures:4} "
              f"p50={entry.get_response_time_percentile(0.5):7.0f} ms "
              f"p95={entry.get_response_time_percentile(0.95):7.0f} ms")
    for error in environment.stats.errors.values():
        print(f"error: {error.method} {error.name}: {error.error} x{error.occurrences}")
    return {"users": users, "p50_ms": total.get_response_time_percentile(0.5),
            "p95_ms": total.get_response_time_percentile(0.95),
            "requests": total.num_requests, "errors": total.num_failures}


def main() -> None:
    global IIN
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    IIN = _iin("85052130012")
    random.seed(10)
    with production_stack(workers=args.workers, threads=args.threads) as (url, env):
        seed(url, env)
        load_start, cpu_start = os.getloadavg()[0], time.process_time()
        figures = run(url, args.users, args.seconds)
        print(f"load average {load_start:.1f} -> {os.getloadavg()[0]:.1f}; "
              f"client CPU {time.process_time() - cpu_start:.1f} s")
    print(f"p50 {figures['p50_ms']} ms, p95 {figures['p95_ms']} ms, "
          f"{figures['requests']} requests, {figures['errors']} errors")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
