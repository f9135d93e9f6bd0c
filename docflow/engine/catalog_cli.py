"""``flask --app docflow catalog reindex``: rebuild the full-text index from the items."""
import click
from flask.cli import AppGroup

from .catalog import CatalogError, reindex_all

catalog_cli = AppGroup("catalog", help="The catalog's full-text index.")


@catalog_cli.command("reindex")
@click.option("--type", "type_", default=None, help="Only items of this content type.")
def reindex_command(type_):
    """Rebuild the index of every item of the registered types (commits in batches)."""
    try:
        done = reindex_all(type_, progress=lambda n: click.echo(f"{n} items indexed", err=True))
    except CatalogError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Catalog rebuilt: {done} items indexed.")
