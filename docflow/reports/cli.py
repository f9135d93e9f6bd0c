"""``flask reports build`` and ``flask reports sweep-late``: the scheduler's two calls by hand."""
import click
from flask.cli import AppGroup

from ..extensions import db

reports_cli = AppGroup("reports", help="Quarterly reports to the Office of the Government (R40).")


@reports_cli.command("build")
@click.option("--year", type=int, default=None, help="Default: the last quarter that ended.")
@click.option("--quarter", type=click.IntRange(1, 4), default=None)
def build_command(year, quarter):
    """Queue the quarterly reports of every venue and body (idempotent)."""
    from .quarterly import scheduled_build

    if (year is None) != (quarter is None):
        raise click.UsageError("Give both --year and --quarter, or neither.")
    jobs = scheduled_build(year=year, quarter=quarter)
    db.session.commit()
    click.echo(f"{len(jobs)} report job(s) queued.")


@reports_cli.command("sweep-late")
def sweep_command():
    """Warn the venues whose quarterly report is late (idempotent)."""
    from ..i18n import local_today
    from .quarterly import sweep_late

    n = sweep_late(local_today())
    db.session.commit()
    click.echo(f"{n} warning(s) sent.")
