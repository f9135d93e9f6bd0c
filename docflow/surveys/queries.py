"""The survey task list as one query, for the page and its export (the same rows)."""
from sqlalchemy import select

from ..engine.security import visible_filter
from .models import SurveyTask

SHOW = ("open", "done", "all")


def tasks_query(user, args):
    """``(show, select)``: the tasks ``user`` may view (an operator: their venue's; restricted
    ones only when cleared, R11) in the state asked by ``show`` (default: open), oldest
    service first. ``round`` narrows to one round."""
    show = args.get("show", "open")
    show = show if show in SHOW else "open"
    stmt = select(SurveyTask).where(visible_filter(user, "view", "survey_task"))
    if show != "all":
        stmt = stmt.where(SurveyTask.state == show)
    round_id = args.get("round", type=int) if hasattr(args, "getlist") else args.get("round")
    if round_id:
        stmt = stmt.where(SurveyTask.round_id == round_id)
    return show, stmt.order_by(SurveyTask.served_on, SurveyTask.id)
