"""Staff pages: prepare a venue's month, submit it, approve or return it (the Office of the
Government), publish it, and change it by a new version (R7-1, R8).

Handlers load (404 when the user may not see the schedule), check (403), act through
operations.py, and commit once; a refusal is flashed or shown on the field it concerns.
"""
from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from ..engine.errors import EngineError
from ..engine.security import can, principal_for, visible_filter
from ..engine.workflow import allowed_transitions, history
from ..extensions import db
from ..reference.models import Official, Venue
from . import operations as ops
from .checks import EntryData, EntryError
from .forms import ApproveForm, CommentForm, EntryForm, NewScheduleForm, ReturnForm
from .models import Schedule, ScheduleEntry
from .policy import may_prepare
from .queries import changes_since_previous, r71_gaps

APPROVER = "government_office"


def load_schedule(schedule_id: int, permission: str = "view") -> Schedule:
    schedule = db.session.execute(select(Schedule).where(
        Schedule.id == schedule_id, visible_filter(current_user, "view", "schedule"))).scalar()
    if schedule is None:
        abort(404)
    if permission != "view" and not can(current_user, permission, schedule):
        abort(403)
    return schedule


def load_entry(schedule: Schedule, entry_id: int) -> ScheduleEntry:
    entry = db.session.get(ScheduleEntry, entry_id)
    if entry is None or entry.schedule_id != schedule.id:
        abort(404)
    return entry


def is_approver(user) -> bool:
    return any(role == APPROVER for role, _place in principal_for(user).roles)


def officials_for(venue: Venue) -> list[Official]:
    stmt = select(Official).where(Official.active.is_(True)).order_by(Official.code)
    if venue.kind == "reception_room" and venue.body_id is not None:
        stmt = stmt.where(Official.body_id == venue.body_id)
    return list(db.session.execute(stmt).scalars())


def find_official(text: str) -> Official | None:
    """The datalist puts the code in the field; a code followed by the name works too."""
    code = (text or "").strip().split(" ")[0]
    return db.session.execute(select(Official).where(Official.code == code)).scalar()


def _render_schedule(schedule: Schedule, form: EntryForm | None = None, status: int = 200):
    can_edit = can(current_user, "edit", schedule)
    return render_template(
        "schedules/schedule.html", schedule=schedule, venue=schedule.venue,
        form=form or EntryForm(), can_edit=can_edit, officials=officials_for(schedule.venue),
        transitions={t.id for t in allowed_transitions(schedule, current_user)},
        is_approver=is_approver(current_user), approve_form=ApproveForm(),
        return_form=ReturnForm(), comment_form=CommentForm(),
        changes=changes_since_previous(schedule), history=history(schedule),
        gaps=r71_gaps(schedule.month, including=schedule)
        if schedule.venue.kind == "reception_center" else [],
        may_prepare=may_prepare(current_user, schedule.venue)), status


@login_required
def index():
    venues = [v for v in db.session.execute(select(Venue).where(Venue.active.is_(True))
                                            .order_by(Venue.code)).scalars()
              if may_prepare(current_user, v)]
    form = NewScheduleForm()
    form.venue.choices = [(v.code, f"{v.code} — {v.name()}") for v in venues]
    if request.method == "POST":
        if not venues:
            abort(403)
        if form.validate_on_submit():
            venue = next(v for v in venues if v.code == form.venue.data)
            year, month = map(int, form.month.data.split("-"))
            try:
                schedule = ops.create_schedule(venue, date(year, month, 1), current_user)
                db.session.commit()
            except ops.ScheduleError as exc:
                db.session.rollback()
                form.month.errors = [exc.message]
            else:
                return redirect(url_for(".schedule", schedule_id=schedule.id), 303)
    schedules = db.session.execute(select(Schedule).where(
        visible_filter(current_user, "view", "schedule"))
        .order_by(Schedule.month.desc(), Schedule.venue_id, Schedule.number.desc())).scalars()
    return render_template("schedules/index.html", form=form, venues=venues,
                           schedules=list(schedules), is_approver=is_approver(current_user))


@login_required
def approvals():
    """The Office of the Government's inbox: submitted schedules to approve or return."""
    if not is_approver(current_user):
        abort(403)
    submitted = db.session.execute(select(Schedule).where(
        Schedule.state == "submitted", visible_filter(current_user, "view", "schedule"))
        .order_by(Schedule.month, Schedule.venue_id)).scalars().all()
    return render_template(
        "schedules/approvals.html", schedules=submitted, approve_form=ApproveForm(),
        return_form=ReturnForm(),
        gaps={s.id: r71_gaps(s.month, including=s) for s in submitted
              if s.venue.kind == "reception_center"},
        changes={s.id: changes_since_previous(s) for s in submitted})


@login_required
def schedule(schedule_id):
    return _render_schedule(load_schedule(schedule_id))


def _entry_data(form: EntryForm) -> EntryData | None:
    official = find_official(form.official.data)
    if official is None:
        form.official.errors = [_("There is no official %(code)s; choose one from the list.",
                                  code=form.official.data)]
        return None
    return EntryData(official, form.date.data, form.start.data, form.end.data,
                     form.slot_minutes.data, form.capacity.data)


@login_required
def add_entry(schedule_id):
    schedule = load_schedule(schedule_id, "edit")
    form = EntryForm()
    data = _entry_data(form) if form.validate_on_submit() else None
    if data is None:
        return _render_schedule(schedule, form, 422)
    try:
        ops.add_entry(schedule, current_user, data)
        db.session.commit()
    except EntryError as exc:
        db.session.rollback()
        form.show_errors(exc.errors)
        return _render_schedule(schedule, form, 422)
    except EngineError as exc:  # changed meanwhile (submitted, edited by someone else)
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for(".schedule", schedule_id=schedule_id), 303)
    flash(_("Reception added."), "success")
    return redirect(url_for(".schedule", schedule_id=schedule_id), 303)


@login_required
def edit_entry(schedule_id, entry_id):
    schedule = load_schedule(schedule_id, "edit")
    entry = load_entry(schedule, entry_id)
    form = EntryForm(obj=entry) if request.method == "GET" else EntryForm()
    if request.method == "GET":
        form.official.data = entry.official.code
    elif form.validate_on_submit() and (data := _entry_data(form)) is not None:
        try:
            ops.update_entry(entry, current_user, data)
            db.session.commit()
        except EntryError as exc:
            db.session.rollback()
            form.show_errors(exc.errors)
        except EngineError as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return redirect(url_for(".schedule", schedule_id=schedule_id), 303)
        else:
            flash(_("Reception changed."), "success")
            return redirect(url_for(".schedule", schedule_id=schedule_id), 303)
    status = 422 if request.method == "POST" else 200
    return render_template("schedules/entry.html", schedule=schedule, entry=entry, form=form,
                           officials=officials_for(schedule.venue)), status


@login_required
def delete_entry(schedule_id, entry_id):
    schedule = load_schedule(schedule_id, "edit")
    entry = load_entry(schedule, entry_id)
    if not CommentForm().validate_on_submit():
        abort(400)
    try:
        ops.remove_entry(entry, current_user)
        db.session.commit()
    except EngineError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        flash(_("Reception removed."), "success")
    return redirect(url_for(".schedule", schedule_id=schedule_id), 303)


def _act(schedule_id: int, form, action, done: str, back: str = ".schedule"):
    """Run one workflow action from a posted form; a refusal is flashed, nothing is kept."""
    schedule = load_schedule(schedule_id)
    if not form.validate_on_submit():
        for messages in form.errors.values():
            for message in messages:
                flash(message, "error")
        return redirect(url_for(back, schedule_id=schedule_id), 303)
    try:
        result = action(schedule)
        db.session.commit()
    except (EngineError, ops.ScheduleError) as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for(back, schedule_id=schedule_id), 303)
    flash(done, "success")
    target = result.id if isinstance(result, Schedule) else schedule_id
    return redirect(url_for(".schedule", schedule_id=target), 303)


@login_required
def submit(schedule_id):
    form = CommentForm()
    return _act(schedule_id, form, lambda s: ops.submit(s, current_user, form.comment.data),
                _("Submitted to the Office of the Government for approval."))


@login_required
def approve(schedule_id):
    form = ApproveForm()
    return _act(schedule_id, form, lambda s: ops.approve(
        s, current_user, comment=form.comment.data, acknowledge=form.acknowledge.data,
        reason=form.reason.data), _("Approved."))


@login_required
def return_(schedule_id):
    form = ReturnForm()
    return _act(schedule_id, form,
                lambda s: ops.return_for_corrections(s, current_user, form.reason.data),
                _("Returned for corrections."))


@login_required
def publish(schedule_id):
    return _act(schedule_id, CommentForm(), lambda s: ops.publish(s, current_user),
                _("Published. The poster is being prepared."))


@login_required
def new_version(schedule_id):
    return _act(schedule_id, CommentForm(), lambda s: ops.new_version(s, current_user),
                _("A new version was made from the published one; change it and submit it "
                  "again."))
