"""Reference data: bodies, divisions, venues, officials — their admin pages and CSV import."""
from .models import Body, Division, Official, Venue

__all__ = ["Body", "Division", "Official", "Venue", "init_app"]


def init_app(app) -> None:
    """The admin pages under /admin/reference and `flask import-reference`."""
    from .blueprint import bp
    from .cli import import_reference

    app.register_blueprint(bp)
    app.cli.add_command(import_reference)
