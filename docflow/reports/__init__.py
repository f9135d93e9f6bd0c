"""Statistics and the quarterly report to the Office of the Government (R40; R7-1, R25, R26,
R29, R31, R38).

``figures`` computes (SQL aggregates, per venue and body, for a period), ``charts`` labels and
draws them as SVG, ``quarterly`` builds, stores and submits the quarterly report and warns when one
is late; the blueprint (``/reports/``) shows the dashboard and the reports.

For the periodic scheduler: ``docflow.reports.quarterly.scheduled_build(year=None, quarter=None)``
after each quarter ends (idempotent), and ``docflow.reports.quarterly.sweep_late()`` daily.
"""
from pathlib import Path

from .models import QuarterlyReport

WORKFLOWS = Path(__file__).with_name("workflows")

__all__ = ["QuarterlyReport", "init_app"]


def init_app(app) -> None:
    from flask import url_for

    from ..engine import engine
    from .blueprint import bp
    from .charts import show
    from .cli import reports_cli

    if "quarterly_report" not in engine.workflows:
        engine.register_workflow(WORKFLOWS / "quarterly_report.toml")
        engine.register_type("quarterly_report", model=QuarterlyReport,
                             workflow="quarterly_report", title="Quarterly report")
    engine.item_urls.setdefault("quarterly_report",
                                lambda r: url_for("reports.report", report_id=r.id))
    app.config.setdefault("REPORTS_LATE_WORKING_DAYS", 10)  # R40: working days after the quarter
    app.config.setdefault("REPORTS_LANGUAGES", ("kk", "ru"))  # one PDF per language
    app.register_blueprint(bp)
    app.cli.add_command(reports_cli)
    app.jinja_env.globals.update(report_value=show, report_state_title=state_title,
                                 transition_title=transition_title)


def state_title(report) -> str:
    """The English title of a report's state from the workflow data (templates translate it)."""
    from ..engine.core import current_engine

    state = current_engine().workflow("quarterly_report").states.get(report.state)
    return state.title if state else report.state


def transition_title(name: str) -> str:
    from ..engine.core import current_engine

    t = current_engine().workflow("quarterly_report").transitions.get(name)
    return t.title if t else name
