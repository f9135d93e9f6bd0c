"""The survey task list as one query, for the page and its export (the same rows)."""
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..engine.security import visible_filter
from .models import SurveyTask

SHOW = ("open", "done", "all")


def tasks_query(user, args):
    """``(show, select)``: the tasks ``user`` may view (an operator: their venue's; restricted
    ones only when cleared, R11) in the state ``args["show"]`` asks (default: open), oldest
    service first; ``args["round"]`` narrows to one round. Each task's appeal is loaded with
    it (one more statement per batch, not one per row)."""
    show = args.get("show", "open")
    show = show if show in SHOW else "open"
    stmt = select(SurveyTask).where(visible_filter(user, "view", "survey_task"))
    if show != "all":
        stmt = stmt.where(SurveyTask.state == show)
    round_id = str(args.get("round") or "")
    if round_id.isdigit():
        stmt = stmt.where(SurveyTask.round_id == int(round_id))
    return show, (stmt.options(selectinload(SurveyTask.appeal))
                  .order_by(SurveyTask.served_on, SurveyTask.id))
