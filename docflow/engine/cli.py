"""``flask --app docflow workflow ...``: list, check and draw the registered workflows."""
import sys

import click
from flask.cli import AppGroup

from .core import current_engine
from .definition import DefinitionError
from .diagram import to_dot, to_svg

workflow_cli = AppGroup("workflow", help="Workflows declared as data.")


@workflow_cli.command("list")
def list_command():
    """The registered workflows, their version hashes and the types bound to them."""
    engine = current_engine()
    for wf in engine.workflows.values():
        types = ", ".join(t.name for t in engine.types.values() if t.workflow == wf.id)
        click.echo(f"{wf.id}\t{wf.version}\t{len(wf.states)} states\t{types or '-'}")


@workflow_cli.command("check")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def check_command(path):
    """Validate a workflow file against the registered conditions."""
    from .definition import load_workflow
    try:
        wf = load_workflow(path, conditions=current_engine().conditions)
    except DefinitionError as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    click.echo(f"{wf.id}: valid ({len(wf.states)} states, {len(wf.transitions)} transitions)")


@workflow_cli.command("diagram")
@click.argument("name")
@click.option("--format", "fmt", type=click.Choice(["dot", "svg"]), default="dot",
              show_default=True)
def diagram_command(name, fmt):
    """Print workflow NAME as Graphviz DOT, or as SVG when Graphviz's `dot` is installed."""
    engine = current_engine()
    if name not in engine.workflows:
        raise click.ClickException(f"No workflow {name!r}; registered: "
                                   f"{', '.join(sorted(engine.workflows)) or 'none'}.")
    dot_text = to_dot(engine.workflows[name])
    if fmt == "svg":
        svg = to_svg(dot_text)
        if svg is None:
            click.echo("Graphviz `dot` is not installed; printing DOT instead.", err=True)
        else:
            click.echo(svg)
            return
    click.echo(dot_text, nl=False)
