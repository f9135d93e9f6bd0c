"""`flask users create` and `flask tokens create` (contract: operators' scripts use them)."""
import click
from flask.cli import AppGroup

from ..extensions import db
from .operations import UserError, create_token, create_user
from .roles import ROLES

users_cli = AppGroup("users", help="Manage user accounts.")
tokens_cli = AppGroup("tokens", help="Manage API tokens.")


@users_cli.command("create")
@click.argument("login")
@click.option("--role", required=True, type=click.Choice(list(ROLES)), help="Role identifier.")
@click.option("--venue", "venue_code", help="Code of the venue the role is held at.")
@click.option("--body", "body_code", help="Code of the body the role is held at.")
@click.option("--password", help="Password for signing in (omit for API-only users).")
@click.option("--cleared-restricted", is_flag=True,
              help="Clear the user for restricted appeals (R11) at the venue.")
@click.option("--name", "full_name", default="", help="Full name shown in the application.")
def users_create(login, role, venue_code, body_code, password, cleared_restricted, full_name):
    """Create user LOGIN holding ROLE. An existing login is left unchanged (exit status 1)."""
    try:
        user = create_user(login, role, venue_code=venue_code, body_code=body_code,
                           password=password, cleared_restricted=cleared_restricted,
                           full_name=full_name)
    except UserError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"Created user {user.login} with role {role}.")


@tokens_cli.command("create")
@click.argument("login")
def tokens_create(login):
    """Create an API token for LOGIN; the token is printed as the last line, once."""
    try:
        token = create_token(login)
    except UserError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"Token for {login} (store it now, it is not shown again):")
    click.echo(token)
