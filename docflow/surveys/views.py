"""Survey pages: the operator's call list and call page, the rounds (R38).

Handlers load (404 when the user may not see the task — a restricted one for an uncleared
operator, R11), check (403), act through operations.py and commit once.
"""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..engine.audit import audit_view
from ..engine.errors import EngineError
from ..engine.security import can, visible_filter
from ..exports import export_response
from ..exports.views import streamed
from ..extensions import db
from ..i18n import local_today
from ..reference.models import Venue
from ..sorting import parse_sort
from .forms import CATEGORY_LABELS, OUTCOME_LABELS, OutcomeForm, RoundForm
from .models import SurveyRound, SurveyTask
from .operations import SurveyError, record_outcome, start_round
from .policy import may_see_rounds, may_start_round
from .queries import SORTS, tasks_query
from .sampling import quarter_bounds
from .script import call_script

ALL_VENUES = "*"
# Who works the call list (R38): the operators who call, the heads and administrators who
# oversee it (the survey_task workflow's `view`); anyone else has no call list at all.
CALL_LIST_ROLES = ("call_center", "head", "admin")


def load_task(task_id: int) -> SurveyTask:
    task = db.session.execute(select(SurveyTask).where(
        SurveyTask.id == task_id, visible_filter(current_user, "view", "survey_task"))).scalar()
    if task is None:
        abort(404)
    return task


@login_required
def tasks():
    """The call list: the tasks the user may see (an operator: their venue's), open first."""
    if not current_user.has_role(*CALL_LIST_ROLES):
        abort(403)
    show, stmt = tasks_query(current_user, request.args)
    page = max(1, request.args.get("page", 1, type=int))
    rows = db.session.execute(stmt.limit(50).offset((page - 1) * 50)).scalars().all()
    counts = dict(db.session.execute(
        select(SurveyTask.state, func.count()).where(
            visible_filter(current_user, "view", "survey_task"))
        .group_by(SurveyTask.state)).all())
    args = {k: v for k, v in request.args.items() if k in ("show", "round")}
    return render_template("surveys/tasks.html", rows=rows, show=show, counts=counts,
                           sort=parse_sort(request.args, SORTS, "served"),
                           page=page, args=args, outcomes=OUTCOME_LABELS,
                           categories=CATEGORY_LABELS,
                           may_see_rounds=may_see_rounds(current_user))


@login_required
def task(task_id: int):
    task = load_task(task_id)
    form = OutcomeForm()
    status = 200
    if request.method == "POST":
        if not can(current_user, "edit", task):
            abort(403)
        if form.validate_on_submit():
            try:
                record_outcome(task, current_user, outcome=form.outcome.data,
                               score=form.score.data, comment=form.comment.data)
                db.session.commit()
            except SurveyError as exc:
                db.session.rollback()
                form.show_errors(exc.errors)
            except EngineError as exc:
                db.session.rollback()
                flash(str(exc), "error")
                return redirect(url_for(".task", task_id=task_id), 303)
            else:
                flash(_("The call is recorded."), "success")
                return redirect(url_for(".tasks"), 303)
        task = load_task(task_id)
        status = 422
    elif audit_view(task, current_user):
        db.session.commit()
    return render_template("surveys/task.html", task=task, appeal=task.appeal, form=form,
                           script=call_script(task), can_record=can(current_user, "edit", task),
                           outcomes=OUTCOME_LABELS, categories=CATEGORY_LABELS), status


TASK_COLUMNS = [
    (_l("Number"), lambda t: t.appeal.registration_number),
    (_l("Applicant"), lambda t: t.appeal.applicant_name),
    (_l("Phone"), lambda t: t.appeal.phone),
    (_l("Language"), lambda t: t.appeal.applicant_language),
    (_l("Group"), lambda t: CATEGORY_LABELS.get(t.category, t.category)),
    (_l("Served on"), lambda t: t.served_on),
    (_l("Outcome of the call"), lambda t: OUTCOME_LABELS.get(t.outcome, t.outcome)
     if t.outcome else None),
    (_l("Satisfaction score"), lambda t: t.score),
    (_l("Comment"), lambda t: t.comment),
    (_l("Called on"), lambda t: t.recorded_on),
]


@login_required
def tasks_export(fmt: str):
    """The call list as CSV or XLSX: the page's query (tasks_query), every page of it."""
    if not current_user.has_role(*CALL_LIST_ROLES):
        abort(403)
    _show, stmt = tasks_query(current_user, request.args)
    return export_response(fmt, streamed(stmt), TASK_COLUMNS,
                           f"survey-calls-{local_today().isoformat()}", title=_("Survey calls"))


def _venues_for(user) -> list[Venue]:
    venues = db.session.execute(select(Venue).order_by(Venue.code)).scalars().all()
    return [v for v in venues if may_start_round(user, v)]


@login_required
def rounds():
    """Survey rounds: the list, and the form that starts one (administrators, heads)."""
    if not may_see_rounds(current_user):
        abort(403)
    venues = _venues_for(current_user)
    form = RoundForm()
    everywhere = may_start_round(current_user, None)
    locale = str(get_locale())
    form.venue.choices = ([(ALL_VENUES, _("All venues"))] if everywhere else []) + [
        (str(v.id), v.name(locale)) for v in venues]
    if request.method == "GET":
        form.period_start.data, form.period_end.data = quarter_bounds(local_today())
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate_on_submit():
            venue = None
            if form.venue.data != ALL_VENUES:
                venue = next((v for v in venues if str(v.id) == form.venue.data), None)
            if venue is None and not (everywhere and form.venue.data == ALL_VENUES):
                form.show_errors({"venue": [_("Venue: choose a venue where you may start "
                                              "surveys.")]})
            else:
                try:
                    made = start_round(period_start=form.period_start.data,
                                       period_end=form.period_end.data,
                                       share_percent=form.share_percent.data,
                                       seed=form.seed.data, venue=venue, actor=current_user)
                    db.session.commit()
                except SurveyError as exc:
                    db.session.rollback()
                    form.show_errors(exc.errors)
                except IntegrityError:
                    db.session.rollback()
                    flash(_("Another round of this quarter was started at the same moment; "
                            "nothing was saved. Start this one again."), "error")
                else:
                    flash(_("Round started: %(n)s applicant(s) to call out of %(total)s "
                            "(seed %(seed)s).", n=made.sampled, total=made.population,
                            seed=made.seed), "success")
                    return redirect(url_for(".rounds"), 303)
    stmt = select(SurveyRound).order_by(SurveyRound.id.desc())
    if not everywhere:
        stmt = stmt.where(SurveyRound.venue_id.in_([v.id for v in venues]))
    return render_template("surveys/rounds.html", rounds=db.session.execute(stmt).scalars().all(),
                           form=form, locale=locale), status
