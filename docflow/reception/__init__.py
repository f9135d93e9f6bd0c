"""The reception domain: appeals, materials, schedules, receptions, surveys, reports.

It stands on the engine: the appeal is an engine Item whose workflow is the data file
``workflows/appeal.toml``.
"""
from pathlib import Path

WORKFLOWS = Path(__file__).with_name("workflows")


def init_app(app) -> None:
    from ..engine import engine
    from . import models, numbering  # noqa: F401  (models)
    from .models import Appeal

    if "appeal" not in engine.workflows:
        engine.register_workflow(WORKFLOWS / "appeal.toml")
        engine.register_type("appeal", model=Appeal, workflow="appeal", title="Appeal")
    from .views import bp
    app.register_blueprint(bp)
