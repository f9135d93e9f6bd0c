"""API v1 (contract, ../shared/DESIGN.md §5), described by /api/v1/openapi.json."""
from .core import PREFIX, api


def init_app(app) -> None:
    from ..extensions import csrf
    from . import appeals, calendar, reference, schedules

    app.config.setdefault("API_TITLE", "docflow API")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", PREFIX)
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    api.init_app(app, spec_kwargs={"info": {"description": (
        "Intake and case tracking for citizen reception centers and public reception rooms "
        "(Resolution No. 490, 2023). Authenticate with `Authorization: Bearer <token>`; "
        "errors are application/problem+json.")}})
    api.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    api.spec.options["security"] = [{"bearer": []}]
    for module in (appeals, calendar, reference, schedules):
        api.register_blueprint(module.blp)
        csrf.exempt(module.blp)
