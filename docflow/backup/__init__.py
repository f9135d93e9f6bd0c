"""`flask backup DEST` and `flask restore SRC [--force]`: the database and the file store."""
import click
from flask import current_app
from flask.cli import with_appcontext

from .archive import BackupError, backup, restore, verify_archive

__all__ = ["BackupError", "backup", "init_app", "restore", "verify_archive"]


@click.command("backup")
@click.argument("dest", type=click.Path())
@with_appcontext
def backup_command(dest):
    """Write the database and every stored file to DEST (a new folder, or DEST.tar[.gz])."""
    try:
        manifest = backup(current_app, dest)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    rows = sum(manifest["counts"].values())
    click.echo(f"Backed up the {manifest['dialect']} database ({len(manifest['counts'])} tables, "
               f"{rows} rows, schema revision {manifest['schema_revision'] or 'none'}) and "
               f"{len(manifest['blobs'])} files to {dest}.")


@click.command("restore")
@click.argument("src", type=click.Path(exists=True))
@click.option("--force", is_flag=True,
              help="Replace a database or file store that already holds data.")
@with_appcontext
def restore_command(src, force):
    """Restore the archive SRC into the configured database and file store (empty ones)."""
    try:
        done = restore(current_app, src, force=force)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Restored {done['tables']} tables ({done['rows']} rows, schema revision "
               f"{done['revision'] or 'none'}) and {done['blobs']} files; every row count and "
               "file checksum matches the archive.")


def init_app(app) -> None:
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
