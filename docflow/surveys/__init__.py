"""Satisfaction surveys (R38): sampled phone-survey calls and their figures.

An administrator, or a head at a venue, starts a *round* for a period (a quarter by default) and
a share: :mod:`.sampling` draws a reproducible sample, stratified by venue, of the applicants who
received a consultation or were refused / declined (the rules are written there), and each
sampled applicant becomes a ``survey_task`` (an engine Item, ``workflows/survey_task.toml``) for
the call-center operators of the venue. The operator calls with a script in the applicant's
language (:mod:`.script`) and records the outcome and a 1-5 score (:mod:`.operations`, audited).
Restricted appeals' tasks (R11) are seen by cleared operators only.

Interface for reports::

    from docflow.surveys.stats import satisfaction
    satisfaction(session, venue_ids=None, body_ids=None, start=date, end=date) -> dict
"""
from pathlib import Path

from flask_babel import lazy_gettext as _l

WORKFLOWS = Path(__file__).with_name("workflows")


def init_app(app) -> None:
    from ..engine import engine
    from .blueprint import bp
    from .models import SurveyTask

    if "survey_task" not in engine.workflows:
        engine.register_workflow(WORKFLOWS / "survey_task.toml")
        engine.register_type("survey_task", model=SurveyTask, workflow="survey_task",
                             title="Satisfaction survey call")
    if bp.name not in app.blueprints:
        app.register_blueprint(bp)
    from flask import url_for
    engine.item_urls.setdefault("survey_task", lambda t: url_for("surveys.task", task_id=t.id))
    _add_start_links()


def _add_start_links() -> None:
    """The start page's links for the roles that work with surveys (idempotent)."""
    from ..main.start import START_LINKS

    for role, link in (("call_center", ("surveys.tasks", _l("Satisfaction survey calls"))),
                       ("head", ("surveys.rounds", _l("Satisfaction surveys"))),
                       ("admin", ("surveys.rounds", _l("Satisfaction surveys")))):
        links = START_LINKS.setdefault(role, [])
        if all(existing[0] != link[0] for existing in links):
            links.append(link)
