"""API v1 (contract, ../shared/DESIGN.md §5)."""


def init_app(app) -> None:
    pass
