"""Survey operations (R38): start a round, record a call's outcome. They flush, never commit.

Each raises :class:`SurveyError` with ``errors`` mapping a field name to messages that name the
field, so a form shows them on the field and nothing is half-saved (the caller rolls back).
"""
from __future__ import annotations

import secrets
from datetime import UTC, date, datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..engine.audit import record
from ..engine.content import create_item, flush_item
from ..engine.workflow import transition
from ..extensions import db
from ..i18n import local_datetime, local_today
from ..reception.models import Appeal
from ..reference.models import Venue
from .models import OUTCOMES, SCORES, SurveyRound, SurveyTask
from .sampling import candidates, draw, eligible, quarter_bounds, quarter_of

MAX_SEED = 2**31 - 1
FIELD_NAMES = {"period_start": _l("Period from"), "period_end": _l("Period to"),
               "share_percent": _l("Share to call (per cent)"), "seed": _l("Seed"),
               "venue": _l("Venue"), "outcome": _l("Outcome of the call"),
               "score": _l("Satisfaction score"), "comment": _l("Comment")}


class SurveyError(ValueError):
    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


def _say(field: str, message: str) -> str:
    """A message that names its field ("Satisfaction score: …")."""
    return f"{FIELD_NAMES[field]}: {message}"


# -- rounds --------------------------------------------------------------------------------------

def check_round(period_start: date | None, period_end: date | None, share_percent,
                seed=None, today: date | None = None) -> dict[str, list[str]]:
    """What is wrong with a round's parameters (empty when nothing)."""
    errors: dict[str, list[str]] = {}
    today = today or local_today()  # the venue's: served_on and recorded_on are
    if period_start is None:
        errors["period_start"] = [_say("period_start", _("give the first day of the period."))]
    if period_end is None:
        errors["period_end"] = [_say("period_end", _("give the last day of the period."))]
    if period_start and period_end:
        if period_end < period_start:
            errors["period_end"] = [_say("period_end", _("the period ends before it starts."))]
        elif quarter_of(period_start) != quarter_of(period_end):
            q_start, q_end = quarter_bounds(period_start)
            errors["period_end"] = [_say("period_end", _(
                "a round covers one quarter at most: end it by %(end)s.",
                end=q_end.isoformat()))]
        elif period_start > today:
            errors["period_start"] = [_say("period_start", _("the period has not started."))]
    if not isinstance(share_percent, int) or isinstance(share_percent, bool) \
            or not 1 <= share_percent <= 100:
        errors["share_percent"] = [_say("share_percent", _("a whole number from 1 to 100."))]
    if seed is not None and (not isinstance(seed, int) or not 0 <= seed <= MAX_SEED):
        errors["seed"] = [_say("seed", _("a whole number from 0 to %(max)s, or empty for a "
                                         "new one.", max=MAX_SEED))]
    return errors


def start_round(*, period_start: date, period_end: date, share_percent: int, actor,
                venue: Venue | None = None, seed: int | None = None,
                today: date | None = None) -> SurveyRound:
    """Draw a round's sample and make its phone-survey tasks (R38). Flushes.

    ``venue`` None samples every venue. ``seed`` None draws a new one; it is stored on the
    round either way, so the draw can be repeated. A concurrent round of the same quarter that
    took one of the same applicants first makes the flush fail on the unique
    (quarter, applicant_key): the caller rolls back and may start again.
    """
    errors = check_round(period_start, period_end, share_percent, seed, today)
    if errors:
        raise SurveyError(errors)
    seed = secrets.randbelow(MAX_SEED + 1) if seed is None else seed
    quarter = quarter_of(period_start)
    population = candidates(period_start, period_end,
                            None if venue is None else [venue.id])
    taken = db.session.execute(select(SurveyTask.applicant_key)
                               .where(SurveyTask.quarter == quarter)).scalars()
    pool = eligible(population, taken)
    picked = draw(pool, share_percent, seed)
    survey_round = SurveyRound(period_start=period_start, period_end=period_end, quarter=quarter,
                               share_percent=share_percent, seed=seed,
                               venue_id=getattr(venue, "id", None), population=len(pool),
                               sampled=len(picked), created_by_id=getattr(actor, "id", None))
    db.session.add(survey_round)
    db.session.flush()
    appeals = {a.id: a for a in db.session.execute(select(Appeal).where(
        Appeal.id.in_([c.appeal_id for c in picked]))).scalars()} if picked else {}
    for c in picked:
        appeal = appeals[c.appeal_id]
        create_item(SurveyTask, title=f"R38 {appeal.registration_number}", owner=None,
                    places=appeal.places, restricted=appeal.restricted,
                    language=appeal.applicant_language, emit=False,
                    round_id=survey_round.id, appeal_id=appeal.id, venue_id=c.venue_id,
                    body_id=c.body_id, category=c.group, served_on=c.served_on,
                    quarter=quarter, applicant_key=c.applicant_key)
    record("survey_round", actor=actor, detail={
        "round": survey_round.id, "period": [period_start.isoformat(), period_end.isoformat()],
        "share_percent": share_percent, "seed": seed, "venue": survey_round.venue_id,
        "population": len(pool), "sampled": len(picked)})
    return survey_round


# -- outcomes ------------------------------------------------------------------------------------

def check_outcome(outcome: str | None, score) -> tuple[dict[str, list[str]], int | None]:
    """The rule of a call's record: an outcome from OUTCOMES; a score 1-5 required when the
    applicant was reached and not allowed otherwise. Returns (errors, the score as int)."""
    errors: dict[str, list[str]] = {}
    if outcome not in OUTCOMES:
        errors["outcome"] = [_say("outcome", _("choose how the call ended."))]
    value = None
    if score not in (None, ""):
        try:
            value = int(str(score).strip())
        except ValueError:
            value = None
        if value not in SCORES:
            errors["score"] = [_say("score", _("a whole number from 1 to 5."))]
            value = None
    if "score" not in errors and outcome == "reached" and value is None:
        errors["score"] = [_say("score", _("required when the applicant was reached: from 1 "
                                           "(not satisfied) to 5 (fully satisfied)."))]
    elif "score" not in errors and outcome in OUTCOMES and outcome != "reached" \
            and value is not None:
        errors["score"] = [_say("score", _("leave it empty: only an applicant who was reached "
                                           "gives a score."))]
    return errors, value


def record_outcome(task: SurveyTask, actor, *, outcome: str | None, score=None,
                   comment: str | None = None) -> SurveyTask:
    """Record the call: fires ``record`` (the engine checks the operator's role and the state),
    stores outcome, score and comment, and audits it. Flushes."""
    errors, value = check_outcome(outcome, score)
    comment = (comment or "").strip() or None
    if comment is not None and len(comment) > 5000:
        errors["comment"] = [_say("comment", _("at most %(n)s characters.", n=5000))]
    if errors:
        raise SurveyError(errors)
    transition(task, "record", actor, comment, outcome=outcome, score=value)
    now = datetime.now(UTC).replace(tzinfo=None)
    task.outcome, task.score, task.comment = outcome, value, comment
    task.recorded_at = now
    task.recorded_on = local_datetime(now, task.venue.timezone if task.venue else None).date()
    task.recorded_by_id = getattr(actor, "id", None)
    flush_item(task)
    record("survey_outcome", actor=actor, item=task,
           detail={"outcome": outcome, "score": value, "appeal": task.appeal_id})
    return task
