"""The survey task list as one query, for the page and its export (the same rows)."""
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..engine.security import visible_filter
from ..reception.models import Appeal
from ..sorting import order_by, parse_sort
from .models import SurveyTask

SHOW = ("open", "done", "all")


def _appeal(column):
    return select(column).where(Appeal.id == SurveyTask.appeal_id).scalar_subquery()


#: The call list's sort keys (a whitelist, docflow/sorting.py); the task's id breaks ties.
SORTS = {"served": SurveyTask.served_on, "number": _appeal(Appeal.registration_number),
         "applicant": _appeal(Appeal.last_name), "language": _appeal(Appeal.applicant_language),
         "group": SurveyTask.category, "outcome": SurveyTask.outcome, "score": SurveyTask.score}


def tasks_query(user, args):
    """``(show, select)``: the tasks ``user`` may view (an operator: their venue's; restricted
    ones only when cleared, R11) in the state ``args["show"]`` asks (default: open), oldest
    service first unless ``args["sort"]`` asks otherwise; ``args["round"]`` narrows to one round. Each task's appeal is loaded with
    it (one more statement per batch, not one per row)."""
    show = args.get("show", "open")
    show = show if show in SHOW else "open"
    stmt = select(SurveyTask).where(visible_filter(user, "view", "survey_task"))
    if show != "all":
        stmt = stmt.where(SurveyTask.state == show)
    round_id = str(args.get("round") or "")
    if round_id.isdigit():
        stmt = stmt.where(SurveyTask.round_id == int(round_id))
    sort = parse_sort(args, SORTS, "served")
    return show, (stmt.options(selectinload(SurveyTask.appeal))
                  .order_by(*order_by(sort, SORTS, SurveyTask.id)))
