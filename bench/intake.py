"""make bench-intake: appeals per second and p95 latency of POST /api/v1/appeals on PostgreSQL
behind gunicorn (issue 5). Goal on 2 cores: >= 300 appeals/s, p95 <= 100 ms.

The load comes from one asyncio process on the same machine, so the figures include the cost of
generating it. The last line printed is the JSON object with the figures (contract).
"""
import asyncio
import json
import os
import statistics
import time

import httpx

from bench.servers import flask, production_stack
from tests.api.test_appeals_api import body

REQUESTS = int(os.environ.get("BENCH_REQUESTS", 3000))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", 24))
WARMUP = 100


async def run_load(url: str, token: str, start: int, count: int) -> tuple[list[float], int, float]:
    latencies: list[float] = []
    errors = 0
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(start, start + count):
        queue.put_nowait(i)
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30,
                                 headers={"Authorization": f"Bearer {token}"}) as client:
        async def worker():
            nonlocal errors
            while not queue.empty():
                i = queue.get_nowait()
                t0 = time.perf_counter()
                response = await client.post("/api/v1/appeals", json=body(external_id=f"B-{i}"))
                latencies.append((time.perf_counter() - t0) * 1000)
                errors += response.status_code != 201
        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        return latencies, errors, time.perf_counter() - t0


def main() -> None:
    with production_stack() as (url, env):
        token = flask(env, "tokens", "create", "demo-integration").strip().splitlines()[-1]
        asyncio.run(run_load(url, token, 0, WARMUP))
        latencies, errors, seconds = asyncio.run(run_load(url, token, WARMUP, REQUESTS))
    latencies.sort()
    p95 = latencies[int(len(latencies) * 0.95) - 1]
    figures = {"requests": REQUESTS, "concurrency": CONCURRENCY, "errors": errors,
               "seconds": round(seconds, 2),
               "appeals_per_s": round((REQUESTS - errors) / seconds, 1),
               "p50_ms": round(statistics.median(latencies), 1), "p95_ms": round(p95, 1)}
    print(f"{REQUESTS} intakes through gunicorn on PostgreSQL in {seconds:.1f}s: "
          f"{figures['appeals_per_s']} appeals/s, p50 {figures['p50_ms']} ms, "
          f"p95 {figures['p95_ms']} ms, {errors} errors")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
