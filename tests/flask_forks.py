"""Several ``flask --app docflow ...`` commands, each in a process of its own, at the cost of one
Python start-up: ``run_commands`` starts ``python -m tests.flask_forks`` once, with the
environment the commands get; it imports the app's code (docflow, config and the areas
create_app() imports: it makes an app and throws it away) and then forks a child per command, one
after the other. A child runs the command as ``flask`` does (flask.cli.main: the app is created,
the command parsed and run) with its own stdout and stderr, and exits with the command's status.

What the commands see is what ``flask`` gives them (the environment, the project root as the
working directory, a fresh app per command); what is saved is the ~3-5 s each ``flask`` start-up
spends importing (WeasyPrint, SQLAlchemy, flask-smorest, the app's modules), once per command."""
import json
import os
import subprocess
import sys
import tempfile
import traceback
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Result:
    args: list
    returncode: int
    stdout: str
    stderr: str


def run_commands(*commands: list[str], env: dict, timeout: float = 300) -> list[Result]:
    """Runs each command (the arguments after ``flask --app docflow``) in its own process, in
    order, from the project root with ``env``; returns their exit status, stdout and stderr."""
    done = subprocess.run([sys.executable, "-m", "tests.flask_forks"], cwd=ROOT, env=env,
                          input=json.dumps([list(c) for c in commands]), capture_output=True,
                          text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr[-3000:]
    return [Result(**r) for r in json.loads(done.stdout.strip().splitlines()[-1])]


def _child(args: list[str], out: int, err: int) -> None:
    os.dup2(out, 1)
    os.dup2(err, 2)
    sys.argv = ["flask", "--app", "docflow", *args]
    code = 1
    try:
        from flask.cli import main
        main()
        code = 0
    except SystemExit as exc:  # as the interpreter ends on SystemExit
        if exc.code is None:
            code = 0
        elif isinstance(exc.code, int):
            code = exc.code
        else:
            print(exc.code, file=sys.stderr)
    except BaseException:  # noqa: B036 - as the interpreter ends on any other exception
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _warm_up() -> None:
    """What ``flask --app docflow`` imports before it runs a command: the modules create_app()
    imports (the app made here is thrown away; each child makes its own, as ``flask`` does)."""
    import flask.cli  # noqa: F401
    try:
        from docflow import create_app
        create_app()
    except BaseException:  # noqa: B036 - a child meets the same error and reports it
        pass


def main() -> None:
    commands = json.load(sys.stdin)
    sys.path.insert(0, str(ROOT))
    _warm_up()
    results = []
    for args in commands:
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                _child(args, out.fileno(), err.fileno())
            _pid, status = os.waitpid(pid, 0)
            out.seek(0)
            err.seek(0)
            results.append({"args": args, "returncode": os.waitstatus_to_exitcode(status),
                            "stdout": out.read().decode(errors="replace"),
                            "stderr": err.read().decode(errors="replace")})
    print(json.dumps(results))


if __name__ == "__main__":
    main()
