"""bench-intake's server CPU figure counts the workers that have already exited (a gunicorn worker
retired after max_requests mid-run made it negative in session 10's first run)."""
import subprocess
import sys

from bench.procstat import reaped_cpu_ms


def test_an_exited_and_waited_for_child_moves_its_cpu_into_the_parents_reaped_total():
    burn = "import time\nend = time.process_time() + 0.3\nwhile time.process_time() < end: pass"
    # a middle process that starts the burner and waits for it: the burner's CPU becomes the
    # middle process's reaped total, read from /proc while the middle one still lives
    script = (
        "import subprocess, sys, time\n"
        f"subprocess.run([sys.executable, '-c', {burn!r}], check=True)\n"
        "print('reaped', flush=True)\n"
        "time.sleep(30)\n")
    middle = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert middle.stdout.readline().strip() == "reaped"
        assert reaped_cpu_ms(middle.pid) >= 250
    finally:
        middle.kill()
        middle.wait()
