"""Processes' CPU time and parents from Linux /proc/PID/stat, for the benches that measure the
server side (gunicorn workers, PostgreSQL backends) running on this machine."""
import os

TICK = os.sysconf("SC_CLK_TCK")


def stat_fields(pid: int | str) -> list[str]:
    """The fields of /proc/PID/stat after the command name (which may hold spaces and
    parentheses): [0] state, [1] parent, [11] utime, [12] stime, [13] cutime, [14] cstime (in
    clock ticks). OSError when the process is gone."""
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()


def parent(pid: int | str) -> int:
    return int(stat_fields(pid)[1])


def cpu_ms(fields: list[str]) -> float:
    """utime + stime of the process, in ms."""
    return (int(fields[11]) + int(fields[12])) * 1000 / TICK


def reaped_cpu_ms(pid: int | str) -> float:
    """cutime + cstime of ``pid``, in ms: the CPU of its children that have exited and been
    waited for."""
    fields = stat_fields(pid)
    return (int(fields[13]) + int(fields[14])) * 1000 / TICK


def total_cpu_ms(pids) -> float:
    """utime + stime of the processes ``pids`` together, in ms; those already gone count 0."""
    total = 0.0
    for pid in pids:
        try:
            total += cpu_ms(stat_fields(pid))
        except OSError:
            pass
    return total


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid``."""
    found = []
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            if parent(entry) == pid:
                found.append(int(entry))
        except (OSError, IndexError, ValueError):
            pass
    return found
