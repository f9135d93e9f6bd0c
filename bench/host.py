"""How fast this machine's cores are right now, for reading a bench's figures.

The 2-vCPU machine the benches run on is shared: the same pure-Python work took 147-312 ms from
one minute to the next (session 7), and an intake's CPU time moves with it. A bench prints these
next to its own figures so that runs at different times can be compared.
"""
import multiprocessing
import time


def _spin(barrier, results, n: int) -> None:
    """Pure-Python CPU work, no I/O and nothing shared: the calibration of process scaling."""
    barrier.wait()
    began = time.perf_counter()
    total = 0
    for i in range(n):
        total += i * i % 7
    results.put(time.perf_counter() - began)


def _timed(workers: int, n: int) -> float:
    """Seconds the slowest of ``workers`` processes took for ``n`` turns of :func:`_spin`,
    all started together."""
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(workers), ctx.Queue()
    procs = [ctx.Process(target=_spin, args=(barrier, results, n)) for _ in range(workers)]
    for proc in procs:
        proc.start()
    elapsed = max(results.get(timeout=300) for _ in procs)
    for proc in procs:
        proc.join(timeout=30)
    return elapsed


def machine_scaling(n: int = 6_000_000) -> float:
    """How much faster 2 processes do twice the work of 1 on this machine right now. On an idle
    machine with 2 free cores this is ~2.0; below that, the second worker is sharing a core
    (other load, or vCPUs that are hyperthreads of one core), whatever docflow does."""
    return 2 * _timed(1, n) / _timed(2, n)


def two_core_probe_ms(n: int = 2_000_000, rounds: int = 3) -> float:
    """Milliseconds for ``n`` turns of pure-Python work in each of 2 processes at once (the
    slower, best of ``rounds``): both cores busy, as under a bench's load. Lower is faster."""
    return round(min(_timed(2, n) for _ in range(rounds)) * 1000, 1)
