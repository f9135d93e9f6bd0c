"""Commands that are not an area's own: serving the app and the demo data."""
import os

import click
from flask import current_app
from flask.cli import AppGroup

demo_cli = AppGroup("demo", help="Demonstration data.")


@demo_cli.command("load")
def demo_load():
    """Load the demo bodies, venues, officials and one user per role (idempotent)."""
    from .demo import load_demo
    from .i18n import local_today
    from .schedules.demo import load_demo_schedules

    created = load_demo()
    load_demo_schedules(local_today())  # published schedules for this month and the next (R8)
    click.echo("Demo users (login / password / role):")
    for login, password, role in created:
        click.echo(f"  {login:<22} {password:<16} {role}")


@demo_cli.command("generate")
@click.option("--appeals", "n_appeals", type=click.IntRange(min=0), required=True,
              help="How many appeals to add.")
@click.option("--seed", type=int, default=1, show_default=True)
def demo_generate(n_appeals, seed):
    """Add N realistic appeals (and the venues, bodies and staff they need), in bulk."""
    from .scale.generate import PASSWORD, generate

    result = generate(n_appeals, seed=seed,
                      progress=lambda n: click.echo(f"  {n} appeals", err=True))
    click.echo(f"{result['appeals']} appeals in {result['seconds']} s; generated users "
               f"(g-resp-..., g-reg-..., g-head-...) have the password {PASSWORD}")
    for table, rows in sorted(result["rows"].items()):
        click.echo(f"  {table:<22} {rows}")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=lambda: int(os.environ.get("PORT", 5000)), show_default="5000 or $PORT")
@click.option("--threads", default=8, show_default=True)
def serve(host, port, threads):
    """Serve docflow with gunicorn and start its job worker (embedded) or dispatcher (rq)."""
    from gunicorn.app.base import BaseApplication

    from .jobs import start_background

    app = current_app._get_current_object()

    class Server(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", 1)  # embedded: one process owns the SQLite writer and the worker
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("threads", threads)
            self.cfg.set("accesslog", "-")
            self.cfg.set("post_worker_init", lambda worker: start_background(app))

        def load(self):
            return app

    click.echo(f"docflow on http://{host}:{port}/ ({current_app.config['DOCFLOW_ENV']} mode)")
    Server().run()


def init_app(app) -> None:
    app.cli.add_command(demo_cli)
    app.cli.add_command(serve)
