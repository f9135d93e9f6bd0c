"""docflow.gunicorn_worker's rules, on the shared connection counts themselves."""
import os

import pytest

from docflow import gunicorn_worker as gw


@pytest.fixture
def two_workers():
    """This process in slot 0 and its parent (alive) in slot 1; the slots emptied afterwards."""
    gw._pids[0], gw._pids[1] = os.getpid(), os.getppid()
    yield
    for n in (0, 1):
        gw._pids[n] = gw._connections[n] = 0


@pytest.mark.parametrize("mine, theirs, too_many", [
    (12, 12, False), (13, 12, False), (14, 12, True), (15, 9, True), (9, 15, False)])
def test_a_worker_two_above_a_sibling_holds_too_many(two_workers, mine, theirs, too_many):
    gw._connections[0], gw._connections[1] = mine, theirs
    assert gw.holds_too_many(0, mine) is too_many
    assert gw.all_connections() == mine + theirs


def test_a_dead_sibling_does_not_count(two_workers):
    gw._pids[1] = 2 ** 22 + 12345  # no such process (above pid_max's default)
    gw._connections[0], gw._connections[1] = 20, 0
    assert not gw.holds_too_many(0, 20)
    assert gw.fewest_elsewhere(0) is None


def test_too_many_closes_the_connection_after_its_response(two_workers):
    """gthread force-closes a response's connection when its idle keep-alive connections reach
    max_keepalived: 0 for the fuller worker, gthread's own value otherwise."""
    worker = gw.BalancedThreadWorker.__new__(gw.BalancedThreadWorker)
    worker.slot, worker.max_keepalived = 0, 998
    gw._connections[1] = 9
    worker.nr_conns = 15
    assert worker.max_keepalived == 0
    worker.nr_conns = 10
    assert worker.max_keepalived == 998


def test_a_retiring_worker_closes_every_connection_after_its_response(two_workers):
    """After max_requests the worker answers each connection it holds once more, with
    ``Connection: close`` (max_keepalived 0), however few it holds."""
    worker = gw.BalancedThreadWorker.__new__(gw.BalancedThreadWorker)
    worker.slot, worker.max_keepalived, worker.nr_conns = 0, 998, 1
    gw._connections[1] = 12
    assert worker.max_keepalived == 998
    worker.retiring_since = 1.0
    assert worker.max_keepalived == 0
