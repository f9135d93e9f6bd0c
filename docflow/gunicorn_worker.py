"""gunicorn's gthread worker, spreading keep-alive connections evenly over the workers.

A gthread worker keeps every connection it accepts for the connection's life (keep-alive), and
whichever worker wakes first accepts a burst of new ones: measured with `make bench-intake`
(24 keep-alive clients, 2 workers), the split was 16 and 8. Both workers stay busy, but the
clients of the fuller one wait twice as long, and their tail is the p95 (145 ms against 92 ms
spread evenly, at 263 against 341 appeals/s).

Here the workers of one gunicorn master share, in memory the master made before forking, how
many connections each holds. A worker that holds more than a live sibling lets a new connection
wait for that sibling to accept it, up to ``WAIT`` seconds in which no worker accepts or closes
a connection, and takes it itself after that (a sibling that is busy starting or stuck never
strands a client). A worker that still ends up two or more connections above a sibling closes
a connection after its next response (``Connection: close``, :attr:`max_keepalived`), and the
client's reconnection goes to the sibling.

A worker that has served its ``max_requests`` retires gracefully: gthread stops at once and
drops its idle keep-alive connections, and a client whose next request was already on its way
got a reset or an empty answer (measured: 29 of 1,800 requests failed over 42 restarts with 12
keep-alive clients). Here the worker stops accepting, leaves its slot to its successor, and goes
on serving the connections it holds, each answered once more with ``Connection: close``; it
stops when it holds none, or after the keep-alive timeout (an idle client's connection is closed
then anyway). Nothing else changes: requests, threads, keep-alive and timeouts are gthread's.
deploy/gunicorn.conf.py names this class.
"""
import multiprocessing
import os
import selectors
import sys
import time

from gunicorn.workers.gthread import ThreadWorker

SLOTS = 64  # workers of one master at once (restarts reuse the slots of dead workers)
#: how long a new connection may wait for a sibling with fewer connections (seconds) while no
#: worker accepts or closes anything: a busy sibling's main thread waits for the GIL (up to
#: Python's 5 ms switch interval) before it can accept
WAIT = 0.02
_PAUSE = 0.0005

# made when gunicorn's master imports this module (before it forks its workers): shared by them
_lock = multiprocessing.Lock()
_pids = multiprocessing.RawArray("i", SLOTS)
_connections = multiprocessing.RawArray("i", SLOTS)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def claim_slot(pid: int) -> int | None:
    """A free slot (never used, or its worker gone) for the worker ``pid``; None if all taken."""
    with _lock:
        for n in range(SLOTS):
            if _pids[n] == 0 or not _alive(_pids[n]):
                _pids[n], _connections[n] = pid, 0
                return n
    return None


def _live_counts():
    """(slot, connections held) of every live worker."""
    for n in range(SLOTS):
        if _pids[n] and _alive(_pids[n]):
            yield n, _connections[n]


def all_connections() -> int:
    """The connections every live worker holds, together."""
    return sum(held for _n, held in _live_counts())


def fewest_elsewhere(slot: int) -> int | None:
    """The fewest connections any other live worker holds (None: no other worker)."""
    return min((held for n, held in _live_counts() if n != slot), default=None)


def holds_too_many(slot: int, held: int) -> bool:
    """Whether a worker holding ``held`` connections has two or more above a live sibling."""
    fewest = fewest_elsewhere(slot)
    return fewest is not None and held > fewest + 1


class BalancedThreadWorker(ThreadWorker):
    slot: int | None = None
    _waiting_since: float | None = None
    _waiting_total: int | None = None
    #: when the worker began to retire (``max_requests`` served), None before
    retiring_since: float | None = None
    retire_after: int = sys.maxsize

    def init_process(self):
        self.slot = claim_slot(os.getpid())
        # gthread would stop the worker as soon as it has served max_requests: retire() instead
        self.retire_after, self.max_requests = self.max_requests, sys.maxsize
        super().init_process()

    def run(self):
        try:
            super().run()
        finally:
            if self.slot is not None:
                _pids[self.slot] = 0

    def accept(self, server, listener):
        if self.slot is not None:
            fewest = fewest_elsewhere(self.slot)
            if fewest is not None and self.nr_conns > fewest:
                now, total = time.monotonic(), all_connections()
                # the wait starts again whenever a worker accepted or closed a connection
                # meanwhile: the connection waited for went to a sibling, this is another one
                # (a wait left over from an earlier burst made every later burst unbalanced)
                if self._waiting_since is None or total != self._waiting_total:
                    self._waiting_since, self._waiting_total = now, total
                if now - self._waiting_since < WAIT:
                    time.sleep(_PAUSE)  # the listener stays readable: asked again next turn
                    return
        self._waiting_since = None
        super().accept(server, listener)
        self._publish()

    @property
    def max_keepalived(self) -> int:
        """gthread closes a connection after its response (``Connection: close``) when it keeps
        this many idle ones: none while this worker holds two or more connections above a
        sibling, so that the client reconnects and :meth:`accept` gives the new connection to
        the sibling. Evening out on accept alone is not enough: a burst that arrives while the
        last burst's closed connections are still counted (bench-intake's run right after its
        warm-up) split 15 and 9 and stayed so."""
        if self.retiring_since is not None or (
                self.slot is not None and holds_too_many(self.slot, self.nr_conns)):
            return 0
        return self._max_keepalived

    @max_keepalived.setter
    def max_keepalived(self, value: int) -> None:  # gthread's __init__ sets it
        self._max_keepalived = value

    def murder_keepalived(self):  # every turn of the worker's loop (its main thread)
        super().murder_keepalived()
        self._publish()
        if self.retiring_since is None and self.nr >= self.retire_after:
            self.retire()
        if self.retiring_since is not None and (
                self.nr_conns <= 0
                or time.monotonic() - self.retiring_since > self.cfg.keepalive + 1):
            self.alive = False  # gthread's loop ends: the master starts a successor

    def retire(self) -> None:
        """Stop accepting (the siblings accept meanwhile), give up the slot, and answer every
        connection held once more, with ``Connection: close`` (:attr:`max_keepalived`)."""
        self.log.info("Autorestarting worker after %s requests: closing its %s connections "
                      "after their next response.", self.nr, self.nr_conns)
        # the last connection closes in a request thread while the main thread waits in the
        # poller (up to 1 s): a pipe wakes it
        self._wake_read, self._wake_write = os.pipe()
        os.set_blocking(self._wake_read, False)
        with self._lock:
            for sock in self.sockets:
                try:
                    self.poller.unregister(sock)
                except (KeyError, ValueError, OSError):
                    pass
            self.poller.register(self._wake_read, selectors.EVENT_READ, self._woken)
        self.retiring_since = time.monotonic()
        if self.slot is not None:
            _pids[self.slot] = 0
            self.slot = None

    def finish_request(self, fs):  # a request's future done, in the thread that ran it
        super().finish_request(fs)
        if self.retiring_since is not None and self.nr_conns <= 0:
            os.write(self._wake_write, b"!")

    def _woken(self, fd) -> None:
        try:
            os.read(fd, 512)
        except BlockingIOError:
            pass

    def _publish(self):
        if self.slot is not None:
            _connections[self.slot] = self.nr_conns
