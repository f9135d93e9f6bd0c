"""Case work pages (R17, R18, R26-R31): material requests, helpers and invited bodies, the brief
and the head's decision, queue moves, the reply, the reception held, deadline changes, the
head's delegations, and the public letter check.

Handlers load (404), check (403, through the engine or the small policy below), act through the
operations, commit once; refused input is flashed with the field it concerns, never a 500.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import (
                     BooleanField,
                     DateField,
                     IntegerField,
                     SelectField,
                     StringField,
                     TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..auth.models import User
from ..engine.errors import EngineError
from ..engine.filecheck import FileRejected
from ..engine.files import files_of
from ..engine.security import can, roles_on, visible_filter
from ..extensions import db
from ..i18n import local_today
from ..reference.models import Body
from . import briefs, delegation, materials, receptions, replies
from .models import Appeal
from .receptions import CaseworkError
from .views import load_appeal

bp = Blueprint("casework", __name__)


# -- forms -------------------------------------------------------------------------------------

class MaterialRequestForm(FlaskForm):
    addressee_kind = SelectField(_l("Addressee"), choices=[
        ("division", _l("Structural division")), ("body", _l("Another body")),
        ("venue", _l("Another venue"))])
    addressee_code = StringField(_l("Addressee code"), validators=[DataRequired(),
                                                                   Length(max=32)])
    question = TextAreaField(_l("Materials needed"), validators=[DataRequired(),
                                                                 Length(max=4000)])
    working_days = IntegerField(_l("Due in working days"), default=5,
                                validators=[DataRequired(), NumberRange(1, 30)])
    required = BooleanField(_l("Required for the brief"), default=True)


class AnswerForm(FlaskForm):
    text = TextAreaField(_l("Answer"), validators=[DataRequired(), Length(max=8000)])
    files = MultipleFileField(_l("Files"))


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=1000)])
    working_days = IntegerField(_l("Due in working days"), default=3,
                                validators=[Optional(), NumberRange(1, 30)])


class ShareForm(FlaskForm):
    login = StringField(_l("Helper's login"), validators=[DataRequired(), Length(max=64)])


class InviteForm(FlaskForm):
    body = StringField(_l("Body (code)"), validators=[DataRequired(), Length(max=32)])
    reason = StringField(_l("Which question concerns this body"),
                         validators=[DataRequired(), Length(max=500)])


class HelperFileForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=[("document", _l("Accompanying document")),
                                            ("additional_appeal", _l("Draft additional appeal"))])
    files = MultipleFileField(_l("Files"))


class ProposalForm(FlaskForm):
    entry_id = SelectField(_l("Proposed reception"), coerce=str, validate_choice=False)
    refusal_reason = TextAreaField(_l("Or: the reason to refuse"),
                                   validators=[Optional(), Length(max=2000)])
    summary = TextAreaField(_l("Summary for the head"), validators=[Optional(),
                                                                    Length(max=4000)])


class DecisionForm(FlaskForm):
    decision = SelectField(_l("Decision"), choices=[("approve", _l("Approve the reception")),
                                                    ("refuse", _l("Refuse the reception"))])
    entry_id = SelectField(_l("Reception"), coerce=str, validate_choice=False)
    comment = TextAreaField(_l("Comment or reason"), validators=[Optional(), Length(max=2000)])


class MoveForm(FlaskForm):
    entry_id = SelectField(_l("Move to the reception"), coerce=str, validate_choice=False)
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=500)])


class SendForm(FlaskForm):
    via = SelectField(_l("Sent by"), choices=[("email", _l("E-mail")),
                                             ("post", _l("Printed for post"))])


class HeldForm(FlaskForm):
    attended = SelectField(_l("Did the applicant come?"), choices=[("yes", _l("Yes")),
                                                                   ("no", _l("No"))])
    outcome = SelectField(_l("Outcome"), choices=[
        ("resolved", _l("Resolved")), ("explained", _l("Explained")),
        ("under_control", _l("Taken under control")), ("redirected", _l("Redirected"))])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=4000)])
    task = StringField(_l("Follow-up task"), validators=[Optional(), Length(max=1000)])
    task_due = DateField(_l("Task due on"), validators=[Optional()])


class DeadlineForm(FlaskForm):
    kind = SelectField(_l("Change"), choices=[("extend", _l("Extend")),
                                              ("suspend", _l("Suspend"))])
    working_days = IntegerField(_l("By working days"), validators=[DataRequired(),
                                                                   NumberRange(1, 30)])
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=500)])


class DelegationForm(FlaskForm):
    deputy = StringField(_l("Deputy's login"), validators=[DataRequired(), Length(max=64)])
    starts_on = DateField(_l("From"), validators=[DataRequired()])
    ends_on = DateField(_l("To"), validators=[DataRequired()])
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=500)])


# -- policy ------------------------------------------------------------------------------------

def is_responsible(appeal: Appeal) -> bool:
    return "responsible" in roles_on(current_user, appeal)


def _require(allowed: bool) -> None:
    if not allowed:
        abort(403)


def _form_errors(form) -> None:
    for name, errors in form.errors.items():
        label = getattr(form, name).label.text if hasattr(form, name) else name
        flash(_("%(field)s: %(errors)s", field=label, errors=" ".join(map(str, errors))),
              "error")


def _act(action, success: str) -> bool:
    """Run an operation, commit once; flash a refusal (the field it concerns) and roll back."""
    try:
        action()
        db.session.commit()
    except CaseworkError as exc:
        db.session.rollback()
        flash(_("%(field)s: %(message)s", field=exc.field, message=str(exc)), "error")
        return False
    except (EngineError, FileRejected, delegation.DelegationError) as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return False
    flash(success, "success")
    return True


def _back(appeal_id: int):
    return redirect(url_for("reception.appeal", appeal_id=appeal_id), 303)


def _entry_choices(appeal: Appeal) -> list[tuple[str, str]]:
    return [(str(e.id), f"{format_date(e.date)} {e.start.strftime('%H:%M')}"
             + ("" if receptions.has_room(e, appeal) else " — " + _("full")))
            for e in receptions.entries_for(appeal)]


def _uploads(field) -> list[tuple[str, bytes]]:
    return [(f.filename, f.read()) for f in (field.data or []) if f and f.filename]


# -- the appeal page's case-work sections -------------------------------------------------------

def appeal_sections(case) -> _Lazy:
    """What the appeal page shows of case work, for the current user, from the case's rows read
    by :func:`docflow.reception.case.load_case` (no statement of its own, except the current
    reply's versions, read when the page shows the reply)."""
    from .case import current_version

    appeal = case.appeal
    roles = roles_on(current_user, appeal)
    return _Lazy({"reply": lambda: current_version(case, "reply")}, {
        "responsible": "responsible" in roles,
        "helper": "helper" in roles,
        "sharing": can(current_user, "manage_sharing", appeal),
        "reception": receptions.reception_at(case.placement, appeal),
        "requests": case.requests,
        "helpers": case.helpers,
        "invitations": case.invitations,
        "record": case.record,
        "late": replies.is_late(appeal),
        "brief_due": briefs.brief_due_for(case.proposal, appeal),
        "forms": _Lazy({"material": lambda: MaterialRequestForm(prefix="m"),
                         "share": lambda: ShareForm(prefix="s"),
                         "invite": lambda: InviteForm(prefix="i"),
                         "helper": lambda: HelperFileForm(prefix="h"),
                         "send": lambda: SendForm(prefix="r"),
                         "held": lambda: HeldForm(prefix="held"),
                         "deadline": lambda: DeadlineForm(prefix="d"),
                         "move": lambda: _move_form(appeal)}),
    })


class _Lazy:
    """The section's forms, each built when the page first shows it (``cw.forms.share``): a
    user sees two or three of the eight, and building a form (and the move form's choice of
    schedule entries) costs more than rendering it. Also the sections themselves (``values``
    ready, and the current reply, read only when the page shows it)."""

    def __init__(self, factories: dict, values: dict | None = None):
        self._factories = factories
        self.__dict__.update(values or {})

    def __getattr__(self, name: str):
        try:
            factory = self._factories[name]
        except KeyError:
            raise AttributeError(name) from None
        form = self.__dict__[name] = factory()
        return form

    def __getitem__(self, name: str):
        return getattr(self, name)


def _move_form(appeal: Appeal) -> MoveForm:
    form = MoveForm(prefix="q")
    if receptions.placement_of(appeal) is not None:
        form.entry_id.choices = _entry_choices(appeal)
    return form


# -- material requests (R26, R31) -------------------------------------------------------------

def load_request(request_id: int) -> materials.MaterialRequest:
    req = db.session.execute(db.select(materials.MaterialRequest).where(
        materials.MaterialRequest.id == request_id,
        visible_filter(current_user, "view", "material_request"))).scalar()
    if req is None:
        abort(404)
    return req


@login_required
def material_worklist():
    """The addressee's (and the requester's) material requests, open ones first."""
    stmt = db.select(materials.MaterialRequest).where(
        visible_filter(current_user, "view", "material_request"),
        db.or_(materials.addressee_clause(current_user),
               materials.MaterialRequest.requester_id == current_user.id))
    rows = db.session.execute(stmt.order_by(
        materials.MaterialRequest.state.in_(materials.DONE_STATES),
        materials.MaterialRequest.due_on)).scalars().all()
    return render_template("reception/casework/materials.html", rows=rows, today=local_today())


@login_required
def material_page(request_id):
    req = load_request(request_id)
    form = AnswerForm()
    addressee = materials.is_addressee(current_user, req)
    if request.method == "POST":
        _require(addressee)
        if not form.validate_on_submit():
            _form_errors(form)
        elif _act(lambda: materials.answer_request(req, current_user, form.text.data,
                                                   _uploads(form.files)),
                  _("Thank you: the answer is recorded.")):
            return redirect(url_for(".material", request_id=req.id), 303)
    return render_template("reception/casework/material.html", req=req, form=form,
                           addressee=addressee and req.state in materials.OPEN_STATES,
                           requester=is_responsible(req.appeal), files=files_of(req),
                           reason=ReasonForm(), today=local_today())


@login_required
def material_new(appeal_id):
    appeal = load_appeal(appeal_id)
    _require(is_responsible(appeal) and can(current_user, "edit", appeal))
    form = MaterialRequestForm(prefix="m")
    if not form.validate_on_submit():
        _form_errors(form)
    else:
        _act(lambda: materials.request_materials(
            appeal, current_user, addressee_kind=form.addressee_kind.data,
            addressee_code=form.addressee_code.data.strip(), question=form.question.data,
            working_days=form.working_days.data, required=form.required.data),
            _("Materials requested."))
    return _back(appeal_id)


@login_required
def material_waive(request_id):
    req = load_request(request_id)
    _require(is_responsible(req.appeal))
    form = ReasonForm()
    if not form.validate_on_submit():
        _form_errors(form)
    else:
        _act(lambda: materials.waive(req, current_user, form.reason.data),
             _("The material is waived."))
    return redirect(url_for(".material", request_id=request_id), 303)


@login_required
def material_ask_again(request_id):
    req = load_request(request_id)
    _require(is_responsible(req.appeal))
    form = ReasonForm()
    if not form.validate_on_submit() or not form.working_days.data:
        _form_errors(form) if form.errors else flash(_("Give the working days."), "error")
    else:
        _act(lambda: materials.ask_again(req, current_user, form.reason.data,
                                         form.working_days.data), _("Asked again."))
    return redirect(url_for(".material", request_id=request_id), 303)


# -- helpers (R17) and invited bodies (R18) -------------------------------------------------

@login_required
def share(appeal_id):
    appeal = load_appeal(appeal_id)
    _require(can(current_user, "manage_sharing", appeal))
    form = ShareForm(prefix="s")
    if not form.validate_on_submit():
        _form_errors(form)
        return _back(appeal_id)
    helper = db.session.execute(db.select(User).where(
        User.login == form.login.data.strip())).scalar()
    if helper is None:
        flash(_("No user with the login %(login)s.", login=form.login.data), "error")
    else:
        _act(lambda: receptions.share_with_helper(appeal, helper, current_user),
             _("The case is shared with %(name)s.", name=helper.full_name or helper.login))
    return _back(appeal_id)


@login_required
def invite(appeal_id):
    appeal = load_appeal(appeal_id)
    _require(can(current_user, "manage_sharing", appeal))
    form = InviteForm(prefix="i")
    if not form.validate_on_submit():
        _form_errors(form)
        return _back(appeal_id)
    body = db.session.execute(db.select(Body).where(Body.code == form.body.data.strip())).scalar()
    _act(lambda: receptions.invite_body(appeal, body, form.reason.data, current_user),
         _("The body is invited."))
    return _back(appeal_id)


@login_required
def helper_files(appeal_id):
    appeal = load_appeal(appeal_id)
    _require("helper" in roles_on(current_user, appeal) or is_responsible(appeal))
    form = HelperFileForm(prefix="h")
    uploads = _uploads(form.files) if form.validate_on_submit() else []
    if not uploads:
        flash(_("Files: choose at least one file."), "error")
        return _back(appeal_id)

    def attach():
        for name, data in uploads:
            receptions.helper_attach(appeal, current_user, name, data, kind=form.kind.data)
    _act(attach, _("Attached."))
    return _back(appeal_id)


# -- the brief and the decision (R26, R28) ---------------------------------------------------

@login_required
def brief(appeal_id):
    appeal = load_appeal(appeal_id)
    choices = _entry_choices(appeal)
    proposal = briefs.proposal_of(appeal)
    propose_form, decision_form = ProposalForm(prefix="p"), DecisionForm(prefix="dec")
    propose_form.entry_id.choices = [("", "—")] + choices
    decision_form.entry_id.choices = choices
    if proposal and proposal.entry_id:
        decision_form.entry_id.data = str(proposal.entry_id)
    file = next((f for f in files_of(appeal) if f.name == "brief"), None)
    roles = roles_on(current_user, appeal)
    return render_template(
        "reception/casework/brief.html", appeal=appeal, proposal=proposal, file=file,
        brief_due=briefs.brief_due(appeal), propose_form=propose_form,
        decision_form=decision_form,
        may_prepare=is_responsible(appeal) and appeal.state in ("in_review", "collecting"),
        may_decide=bool(roles & {"head", "deputy"}) and appeal.state == "brief_ready")


@login_required
def brief_propose(appeal_id):
    appeal = load_appeal(appeal_id)
    _require(is_responsible(appeal) and can(current_user, "edit", appeal))
    form = ProposalForm(prefix="p")
    form.entry_id.choices = [("", "—")] + _entry_choices(appeal)
    if not form.validate_on_submit():
        _form_errors(form)
    else:
        _act(lambda: briefs.propose(appeal, current_user, entry_id=form.entry_id.data or None,
                                    refusal_reason=form.refusal_reason.data,
                                    summary=form.summary.data), _("Proposal recorded."))
    return redirect(url_for(".brief", appeal_id=appeal_id), 303)


@login_required
def brief_generate(appeal_id):
    appeal = load_appeal(appeal_id)
    _require(is_responsible(appeal) and can(current_user, "edit", appeal))
    language = request.form.get("language", "kk")
    _act(lambda: briefs.generate_brief(appeal, current_user, language),
         _("The brief is generated."))
    return redirect(url_for(".brief", appeal_id=appeal_id), 303)


@login_required
def brief_decide(appeal_id):
    appeal = load_appeal(appeal_id)
    _require(bool(roles_on(current_user, appeal) & {"head", "deputy"}))
    form = DecisionForm(prefix="dec")
    form.entry_id.choices = _entry_choices(appeal)
    if not form.validate_on_submit():
        _form_errors(form)
    elif form.decision.data == "approve":
        _act(lambda: briefs.approve(appeal, current_user, form.entry_id.data or None,
                                    form.comment.data or None), _("The reception is approved."))
    else:
        _act(lambda: briefs.refuse(appeal, current_user, form.comment.data),
             _("The reception is refused."))
    return redirect(url_for(".brief", appeal_id=appeal_id), 303)


@login_required
def queue_move(appeal_id):
    appeal = load_appeal(appeal_id)
    _require(is_responsible(appeal))
    form = _move_form(appeal)
    if not form.validate_on_submit():
        _form_errors(form)
    else:
        _act(lambda: receptions.move(appeal, form.entry_id.data, form.reason.data,
                                     current_user), _("The appeal is moved."))
    return _back(appeal_id)


# -- the reply (R29) and the reception held ----------------------------------------------------

@login_required
def reply_generate(appeal_id):
    appeal = load_appeal(appeal_id)
    _require(is_responsible(appeal))
    _act(lambda: replies.generate_reply(appeal, current_user), _("The reply is generated."))
    return _back(appeal_id)


@login_required
def reply_send(appeal_id):
    appeal = load_appeal(appeal_id)
    _require(is_responsible(appeal))
    form = SendForm(prefix="r")
    if not form.validate_on_submit():
        _form_errors(form)
    else:
        _act(lambda: replies.send_reply(appeal, current_user, form.via.data),
             _("The reply is recorded as sent."))
    return _back(appeal_id)


@login_required
def reception_held(appeal_id):
    appeal = load_appeal(appeal_id)
    _require(is_responsible(appeal))
    form = HeldForm(prefix="held")
    if not form.validate_on_submit():
        _form_errors(form)
    elif form.attended.data == "no":
        _act(lambda: receptions.record_no_show(appeal, current_user, form.notes.data or ""),
             _("Recorded: the applicant did not come."))
    else:
        tasks = [(form.task.data, form.task_due.data)] if form.task.data else []
        _act(lambda: receptions.record_held(appeal, current_user, outcome=form.outcome.data,
                                            notes=form.notes.data or "", tasks=tasks),
             _("The reception is recorded."))
    return _back(appeal_id)


@login_required
def deadline(appeal_id):
    appeal = load_appeal(appeal_id)
    form = DeadlineForm(prefix="d")
    if not form.validate_on_submit():
        _form_errors(form)
    else:
        _act(lambda: receptions.change_reply_due(
            appeal, current_user, kind=form.kind.data, working_days=form.working_days.data,
            reason=form.reason.data), _("The reply deadline is moved."))
    return _back(appeal_id)


# -- delegations (R26) -------------------------------------------------------------------------

@login_required
def delegations():
    body = current_user.body if current_user.has_role("head") else None
    _require(body is not None)
    form = DelegationForm()
    if form.validate_on_submit():
        deputy = db.session.execute(db.select(User).where(
            User.login == form.deputy.data.strip())).scalar()
        if deputy is None:
            flash(_("No user with the login %(login)s.", login=form.deputy.data), "error")
        elif _act(lambda: delegation.delegate(current_user, deputy, body, form.starts_on.data,
                                              form.ends_on.data, form.reason.data),
                  _("The delegation is recorded.")):
            return redirect(url_for(".delegations"), 303)
    elif request.method == "POST":
        _form_errors(form)
    return render_template("reception/casework/delegations.html", form=form,
                           rows=delegation.delegations_of(body.id))


# -- public ------------------------------------------------------------------------------------

def verify(code):
    """Public, no login: is a letter with this checksum genuine? No personal data shown."""
    letter = replies.find_letter(code)
    return render_template("reception/casework/verify.html", letter=letter, code=code), \
        (200 if letter else 404)


# -- URL table ---------------------------------------------------------------------------------

@login_required
def to_notify(schedule_id):
    """Applicants placed on entries a republished schedule moved or removed: each needs a new
    reply with the new date and time (R28, R29)."""
    from ..engine.security import can
    from ..schedules.models import Schedule
    from .receptions import needing_new_reply

    schedule = db.session.get(Schedule, schedule_id)
    if schedule is None or not can(current_user, "view", schedule):
        abort(404)
    return render_template("reception/casework/to_notify.html", schedule=schedule,
                           rows=needing_new_reply(schedule, current_user))


bp.add_url_rule("/manage/schedules/<int:schedule_id>/to-notify", "to_notify", to_notify)
bp.add_url_rule("/materials", "materials", material_worklist)
bp.add_url_rule("/materials/<int:request_id>", "material", material_page,
                methods=["GET", "POST"])
bp.add_url_rule("/materials/<int:request_id>/waive", "material_waive", material_waive,
                methods=["POST"])
bp.add_url_rule("/materials/<int:request_id>/ask-again", "material_ask_again",
                material_ask_again, methods=["POST"])
bp.add_url_rule("/appeals/<int:appeal_id>/materials", "material_new", material_new,
                methods=["POST"])
bp.add_url_rule("/appeals/<int:appeal_id>/helpers", "share", share, methods=["POST"])
bp.add_url_rule("/appeals/<int:appeal_id>/invitations", "invite", invite, methods=["POST"])
bp.add_url_rule("/appeals/<int:appeal_id>/helper-files", "helper_files", helper_files,
                methods=["POST"])
bp.add_url_rule("/appeals/<int:appeal_id>/brief", "brief", brief)
bp.add_url_rule("/appeals/<int:appeal_id>/brief/proposal", "brief_propose", brief_propose,
                methods=["POST"])
bp.add_url_rule("/appeals/<int:appeal_id>/brief/generate", "brief_generate", brief_generate,
                methods=["POST"])
bp.add_url_rule("/appeals/<int:appeal_id>/brief/decision", "brief_decide", brief_decide,
                methods=["POST"])
bp.add_url_rule("/appeals/<int:appeal_id>/queue", "queue_move", queue_move, methods=["POST"])
bp.add_url_rule("/appeals/<int:appeal_id>/reply", "reply_generate", reply_generate,
                methods=["POST"])
bp.add_url_rule("/appeals/<int:appeal_id>/reply/send", "reply_send", reply_send,
                methods=["POST"])
bp.add_url_rule("/appeals/<int:appeal_id>/reception", "reception_held", reception_held,
                methods=["POST"])
bp.add_url_rule("/appeals/<int:appeal_id>/deadline", "deadline", deadline, methods=["POST"])
bp.add_url_rule("/delegations", "delegations", delegations, methods=["GET", "POST"])
bp.add_url_rule("/verify/<code>", "verify", verify)
