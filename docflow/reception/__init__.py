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
    from .calendar_views import bp as calendar_bp
    from .views import bp
    app.register_blueprint(bp)
    app.register_blueprint(calendar_bp)
    app.jinja_env.globals["workflow_state_title"] = state_title


def state_title(item) -> str:
    """The English title of an item's state, as the workflow data names it (translated in
    templates with _()); an unknown state shows its id."""
    from ..engine.core import current_engine

    state = current_engine().workflow_for(item).states.get(item.state)
    return state.title if state else item.state
