"""The reception domain: appeals, materials, schedules, receptions, surveys, reports.

It stands on the engine: the appeal is an engine Item whose workflow is the data file
``workflows/appeal.toml``.
"""
from pathlib import Path

WORKFLOWS = Path(__file__).with_name("workflows")


def init_app(app) -> None:
    # models, and the named conditions, which must be registered before the workflows load
    from ..engine import engine
    from . import briefs, conditions, delegation, load, models, numbering, receptions, replies  # noqa: F401
    from .materials import MaterialRequest
    from .models import Appeal

    if "appeal" not in engine.workflows:
        engine.register_workflow(WORKFLOWS / "appeal.toml")
        engine.register_type("appeal", model=Appeal, workflow="appeal", title="Appeal")
    if "material_request" not in engine.workflows:
        engine.register_workflow(WORKFLOWS / "material_request.toml")
        engine.register_type("material_request", model=MaterialRequest,
                             workflow="material_request", title="Request for materials")
    from .calendar_views import bp as calendar_bp
    from .casework_views import bp as casework_bp
    from .views import bp
    app.register_blueprint(bp)
    app.register_blueprint(calendar_bp)
    app.register_blueprint(casework_bp)
    app.jinja_env.globals["workflow_state_title"] = state_title
    from .search import init_search
    init_search(app)
    if "assignment" not in app.cli.commands:
        app.cli.add_command(load._cli())
    from flask import url_for
    engine.item_urls.setdefault("appeal", lambda a: url_for("reception.appeal", appeal_id=a.id))


def state_title(item) -> str:
    """The English title of an item's state, as the workflow data names it (translated in
    templates with _()); an unknown state shows its id."""
    from ..engine.core import current_engine

    state = current_engine().workflow_for(item).states.get(item.state)
    return state.title if state else item.state
