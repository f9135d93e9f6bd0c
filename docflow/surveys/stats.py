"""Satisfaction figures (R38) for reports: per venue and in total, over a period.

Called by the quarterly report and the dashboard (docflow.reports); no permission filter here
(the figures are aggregates; the caller chooses the venues and bodies its reader may see).
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import case, func, select

from .models import SCORES, SurveyTask


def satisfaction(session, venue_ids=None, body_ids=None, *, start: date, end: date) -> dict:
    """Satisfaction from the survey calls recorded from ``start`` to ``end`` inclusive.

    A call counts on the day its outcome was recorded (``recorded_on``, the venue's local
    date). ``venue_ids`` / ``body_ids`` (iterables of ids, None for all) narrow to the tasks
    of appeals at those venues / for those competent bodies. One SQL statement.

    Returns::

        {"start": date, "end": date,
         "total": FIGURES,
         "venues": {venue_id: FIGURES, ...}}       # only venues with at least one call

    where FIGURES is::

        {"called": int,             # calls recorded (any outcome)
         "reached": int,            # outcome "reached"
         "not_reached": int,
         "refused_to_answer": int,
         "response_rate": float | None,   # reached / called, 0..1; None when called == 0
         "average_score": float | None,   # mean score of the reached, 1..5; None when none
         "scores": {1: int, 2: int, 3: int, 4: int, 5: int}}   # how many gave each score
    """
    outcome = SurveyTask.outcome
    columns = [
        func.count(SurveyTask.id),
        *(func.sum(case((outcome == name, 1), else_=0))
          for name in ("reached", "not_reached", "refused_to_answer")),
        func.sum(case((outcome == "reached", SurveyTask.score), else_=0)),
        *(func.sum(case(((outcome == "reached") & (SurveyTask.score == s), 1), else_=0))
          for s in SCORES),
    ]
    stmt = (select(SurveyTask.venue_id, *columns)
            .where(SurveyTask.outcome.is_not(None), SurveyTask.recorded_on >= start,
                   SurveyTask.recorded_on <= end)
            .group_by(SurveyTask.venue_id).order_by(SurveyTask.venue_id))
    if venue_ids is not None:
        stmt = stmt.where(SurveyTask.venue_id.in_(sorted(set(venue_ids))))
    if body_ids is not None:
        stmt = stmt.where(SurveyTask.body_id.in_(sorted(set(body_ids))))
    venues: dict[int, dict] = {}
    sums = [0] * (len(columns))
    for venue_id, *values in session.execute(stmt):
        values = [int(v or 0) for v in values]
        venues[venue_id] = _figures(values)
        sums = [a + b for a, b in zip(sums, values, strict=True)]
    return {"start": start, "end": end, "total": _figures(sums), "venues": venues}


def _figures(values: list[int]) -> dict:
    called, reached, not_reached, refused, score_sum, *by_score = values
    return {"called": called, "reached": reached, "not_reached": not_reached,
            "refused_to_answer": refused,
            "response_rate": reached / called if called else None,
            "average_score": score_sum / reached if reached else None,
            "scores": dict(zip(SCORES, by_score, strict=True))}
