"""Reference data: bodies, divisions, venues, officials."""
from .models import Body, Division, Official, Venue

__all__ = ["Body", "Division", "Official", "Venue", "init_app"]


def init_app(app) -> None:
    """Reference pages and the import command arrive with the intake issue."""
