"""Pages of the reception domain: intake desks, the worklist and the appeal's page.

Handlers load (404 when invisible), check (403), act through operations, and commit once.
"""
from datetime import date
from typing import NamedTuple

import marshmallow as ma
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup, escape

from ..calendar.store import current_calendar
from ..engine.audit import audit_view
from ..engine.errors import EngineError
from ..engine.filecheck import FileRejected
from ..engine.files import add_file_version
from ..engine.security import can, visible_filter
from ..engine.workflow import allowed_transitions, transition
from ..extensions import db
from ..i18n import format_day, local_today, venue_zone_name
from ..reference.models import Body, Official, Venue
from ..sorting import list_args, order_by, parse_sort
from .assignment import AssignmentError, reassign
from .forms import IntakeForm, ReassignForm
from .intake import IntakeSchema
from .models import Appeal, applicant_name
from .operations import IntakeError, register_appeal
from .operations import redirect as redirect_appeal
from .policy import may_reassign, may_register
from .queries import deadlines, run_worklist, worklist_query, worklist_statement

bp = Blueprint("reception", __name__)

#: rows on a worklist page; a batch action takes at most one page of appeals
PAGE_SIZE = 50

DESKS = {
    "registrar": ("paper", "hand_delivered"),
    "call_center": ("call_center", "oral"),
}
SOON_WORKING_DAYS = 3


def _reference_lists():
    order = lambda m: db.select(m).order_by(m.code)  # noqa: E731
    return {"venues": db.session.execute(order(Venue)).scalars().all(),
            "bodies": db.session.execute(order(Body)).scalars().all(),
            "officials": db.session.execute(order(Official)).scalars().all()}


def _intake(desk: str):
    channels = DESKS[desk]
    if not current_user.has_role(desk, "admin"):
        abort(403)
    form = IntakeForm(channels)
    venue = current_user.venue
    tz = venue_zone_name(venue.timezone if venue else None)
    if request.method == "GET":
        form.venue.data = form.venue.data or (venue.code if venue else "")
        form.fill_now(tz)
    if form.validate_on_submit():
        data = form.intake_data(tz)
        try:
            loaded = IntakeSchema().load(data)
            target = db.session.execute(db.select(Venue).where(Venue.code == loaded["venue"])).scalar()
            if target is not None and not may_register(current_user, target):
                raise IntakeError({"venue": [_("You may not register appeals at this venue.")]})
            appeal = register_appeal(loaded, current_user).appeal
            for upload in form.attachments.data or []:
                if upload and upload.filename:
                    add_file_version(appeal, f"attachment-{upload.filename}", upload.read(),
                                     current_user, filename=upload.filename)
            db.session.commit()
        except ma.ValidationError as exc:
            from ..errors import flatten_errors
            form.show_errors(flatten_errors(exc.messages))
        except IntakeError as exc:
            db.session.rollback()
            form.show_errors(exc.errors)
        except FileRejected as exc:
            db.session.rollback()
            form.attachments.errors = [str(exc)]
        else:
            flash(_("Appeal %(number)s registered on %(date)s; reply due %(due)s.",
                    number=appeal.registration_number, date=format_date(appeal.registered_on),
                    due=format_date(appeal.reply_due)), "success")
            return redirect(url_for(".appeal", appeal_id=appeal.id), 303)
    template = "reception/call_center.html" if desk == "call_center" else "reception/intake.html"
    return render_template(template, form=form, desk=desk, **_reference_lists())


@bp.route("/intake/new", methods=["GET", "POST"])
@login_required
def intake():
    """The registrar's desk: paper and hand-delivered appeals (R4, R25)."""
    return _intake("registrar")


@bp.route("/intake/call", methods=["GET", "POST"])
@login_required
def call_center():
    """The call-center operator's fast, keyboard-only form: oral and call-center appeals (R4)."""
    return _intake("call_center")


def load_appeal(appeal_id: int) -> Appeal:
    """The appeal, or 404 when it does not exist or the user may not view it (R11: a restricted
    appeal does not exist for the uncleared). One item: the permission check ``can`` — the same
    rule as ``visible_filter``, without building the list filter."""
    appeal = db.session.get(Appeal, appeal_id)
    if appeal is None or not can(current_user, "view", appeal):
        abort(404)
    return appeal


def due_in(d: date, today: date | None = None) -> int:
    """Working days from today to ``d`` (negative when overdue) — "due in N working days"."""
    return current_calendar().working_days_between(today or local_today(), d)


@bp.route("/appeals/<int:appeal_id>")
@login_required
def appeal(appeal_id):
    """The case view: the appeal and its sections read by :func:`.case.load_case` (a few
    statements, whatever the case holds); 404 when the user may not view it (R11), and every
    view of a restricted appeal audited."""
    from .case import load_case
    from .casework_views import appeal_sections

    case = load_case(appeal_id, current_user)
    if case is None:
        abort(404)
    appeal = case.appeal
    if audit_view(appeal, current_user):
        db.session.commit()
    # the guards answer from the case's rows (materials, files, placement) read above
    transitions = allowed_transitions(appeal, current_user, data={"case": case})
    can_reassign = may_reassign(current_user, appeal)
    return render_template(
        "reception/appeal.html", appeal=appeal, history=case.history,
        deadlines=deadlines(appeal), due_in=due_in(appeal.reply_due),
        transitions=transitions, files=case.files,
        # the bodies are the choices of a redirect only
        bodies=(db.session.execute(db.select(Body).order_by(Body.code)).scalars().all()
                if any(t.id == "redirect" for t in transitions) else []),
        reassign=ReassignForm() if can_reassign else None,
        cw=appeal_sections(case), can_reassign=can_reassign)


@bp.route("/appeals/<int:appeal_id>/transition", methods=["POST"])
@login_required
def appeal_transition(appeal_id):
    appeal = load_appeal(appeal_id)
    name = request.form.get("transition", "")
    comment = request.form.get("comment") or None
    try:
        if name == "redirect":
            redirect_appeal(appeal, current_user, comment or "", request.form.get("body", ""))
        else:
            transition(appeal, name, current_user, comment)
        db.session.commit()
        flash(_("Done."), "success")
    except (EngineError, IntakeError) as exc:
        db.session.rollback()
        flash(str(exc), "error")
    return redirect(url_for(".appeal", appeal_id=appeal_id), 303)


@bp.route("/appeals/<int:appeal_id>/reassign", methods=["POST"])
@login_required
def appeal_reassign(appeal_id):
    appeal = load_appeal(appeal_id)
    form = ReassignForm()
    if not may_reassign(current_user, appeal):
        abort(403)
    if not form.validate_on_submit():
        flash(_("Give the new employee's login and a reason."), "error")
        return redirect(url_for(".appeal", appeal_id=appeal_id), 303)
    try:
        user = reassign(appeal, form.login.data, current_user, form.reason.data)
        db.session.commit()
        flash(_("The appeal is now with %(name)s.", name=user.full_name), "success")
    except AssignmentError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    return redirect(url_for(".appeal", appeal_id=appeal_id), 303)


@bp.route("/worklist/batch", methods=["POST"])
@login_required
def worklist_batch():
    """Batch actions on the checked appeals: all are done, or none (each refusal is named)."""
    from flask_wtf.csrf import validate_csrf
    from wtforms import ValidationError

    from ..engine.errors import PermissionDenied
    from .materials import request_materials
    from .receptions import CaseworkError

    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError:
        abort(400)
    ids = sorted({int(i) for i in request.form.getlist("appeal_ids") if i.isdigit()})
    action = request.form.get("action")
    if not ids or action not in ("reassign", "request_materials"):
        flash(_("Tick at least one appeal and choose an action."), "error")
        return redirect(url_for(".worklist"), 303)
    if len(ids) > PAGE_SIZE:  # one page at a time: the batch is done in this one request
        flash(_("Tick at most %(n)d appeals at once (one page of the worklist).", n=PAGE_SIZE),
              "error")
        return redirect(url_for(".worklist"), 303)
    problems = []
    for appeal_id in ids:
        appeal = db.session.execute(db.select(Appeal).where(
            Appeal.id == appeal_id, visible_filter(current_user, "view", "appeal"))).scalar()
        if appeal is None:
            abort(404)
        try:
            if action == "reassign":
                if not may_reassign(current_user, appeal):
                    raise PermissionDenied(_("You may not reassign this appeal."))
                reassign(appeal, request.form.get("login", ""), current_user,
                         request.form.get("reason", ""))
            else:
                days = request.form.get("working_days", "")
                request_materials(appeal, current_user,
                                  addressee_kind=request.form.get("addressee_kind", ""),
                                  addressee_code=request.form.get("addressee_code", ""),
                                  question=request.form.get("question", ""),
                                  working_days=int(days) if days.isdigit() else 0)
        except (AssignmentError, CaseworkError, PermissionDenied, EngineError) as exc:
            problems.append(f"{appeal.registration_number}: {exc}")
    if problems:
        db.session.rollback()
        for problem in problems:
            flash(problem, "error")
        flash(_("Nothing was changed."), "error")
    else:
        db.session.commit()
        flash(_("Done for %(n)s appeal(s).", n=len(ids)), "success")
    return redirect(url_for(".worklist"), 303)


#: pages past this one are empty anyway (a larger OFFSET would overflow PostgreSQL's bigint)
MAX_PAGE = 1_000_000

#: The worklist's sort keys (a whitelist, docflow/sorting.py); the id breaks ties.
SORTS = {"due": Appeal.reply_due, "registered": Appeal.registered_on,
         "number": Appeal.registration_number,
         "applicant": (Appeal.last_name, Appeal.first_name, Appeal.patronymic),
         "subject": Appeal.subject, "state": Appeal.state}


def worklist_listing(user, args):
    """The worklist's rows from its URL arguments, for the page and its export (one place).

    Returns ``(base, filters, show, sort, ordered)``: ``base`` the user's open appeals in the
    chosen scope (the counters count it), ``filters`` the counters' clauses, ``sort`` the chosen
    :class:`~docflow.sorting.Sort`, ``ordered`` the rows shown (``base``, the chosen counter's
    filter, the order), without paging.
    """
    mine, filters = worklist_query(user, args.get("scope", "mine"), local_today(),
                                   SOON_WORKING_DAYS)
    view = args.get("show", "all")
    ordered = mine.where(filters[view]) if view in filters else mine
    sort = parse_sort(args, SORTS, "due")
    ordered = ordered.order_by(*order_by(sort, SORTS, Appeal.id))
    return mine, filters, view, sort, ordered


@bp.route("/worklist")
@login_required
def worklist():
    """The responsible employee's appeals: counters, filters, sorting, due in working days.

    One statement gives the counters and the page (:func:`.queries.worklist_page`, the same
    filters, order and visibility as :func:`worklist_listing`, which the export reads); the rows
    are plain tuples made ready to print by :func:`worklist_rows`."""
    view = request.args.get("show", "all")
    sort = parse_sort(request.args, SORTS, "due")
    page = min(max(1, request.args.get("page", 1, type=int)), MAX_PAGE)
    today = local_today()  # the venues' date: the counters and "due in N" count from it
    statement, keys, names = worklist_statement(
        current_user, request.args.get("scope", "mine"), view, sort, SORTS, today,
        SOON_WORKING_DAYS, PAGE_SIZE, (page - 1) * PAGE_SIZE)
    result = run_worklist(statement)
    width = len(names)
    counters = dict(zip(names, [int(c or 0) for c in result[0][:width]], strict=True))
    rows = worklist_rows([dict(zip(keys, r[width:], strict=True)) for r in result
                          if r[width] is not None], today)
    return render_template("reception/worklist.html", rows=rows, counters=counters, show=view,
                           sort=sort, page=page, page_size=PAGE_SIZE,
                           args=list_args(request.args, drop=("page", "sort", "dir")))


_MARKER = 918273645  # a stand-in appeal id: worklist_rows builds the appeal address once


class WorklistRow(NamedTuple):
    """One worklist row, ready to print (texts translated, dates formatted)."""

    id: int
    href: str
    number: str
    select_label: str
    applicant: str
    subject: str
    state: str
    registered: str
    due: str
    due_text: str
    overdue: bool


def worklist_rows(rows: list[dict], today: date | None = None) -> list[WorklistRow]:
    """The worklist's rows (``PAGE_COLUMNS`` by name) as :class:`WorklistRow`: "due in N working
    days" from the calendar (:func:`due_in`), the state's title, dates in the reader's locale.
    What many rows share (a state, a date, a number of days) is worked out once per page."""
    from ..engine.core import current_engine

    today = today or local_today()
    states = current_engine().workflow_for("appeal").states
    titles: dict[str, str] = {}
    days: dict[date, int] = {}
    phrases: dict[int, str] = {}
    texts: dict[date, str] = {}
    # translations are markup, the values put into them are escaped: as the templates' _() does;
    # the checkbox's label is cut once around its number (Markup % per row costs more than the
    # rest of the row)
    select = Markup(_("Select %(number)s"))
    overdue_by = Markup(_("overdue by %(n)s working days"))  # a page has some thirty n's
    due_in_n = Markup(_("due in %(n)s working days"))
    cut = (select % {"number": _MARKER}).split(str(_MARKER))
    locale = str(get_locale())
    # the appeal's address, built once: url_for with a marker id, the marker replaced by each id
    # (an int converter prints the id as its digits)
    head, tail = url_for("reception.appeal", appeal_id=_MARKER).split(str(_MARKER))

    def day(d: date) -> str:
        text = texts.get(d)
        if text is None:
            text = texts[d] = format_day(d, locale=locale)
        return text

    out = []
    for r in rows:
        state = r["state"]
        if state not in titles:
            titles[state] = Markup(_(states[state].title if state in states else state)) % {}
        due = r["reply_due"]
        n = days.get(due)
        if n is None:
            n = days[due] = due_in(due, today)
        if n not in phrases:
            phrases[n] = overdue_by % {"n": -n} if n < 0 else due_in_n % {"n": n}
        number = r["registration_number"]
        out.append(WorklistRow(
            id=r["id"], href=f"{head}{r['id']}{tail}", number=number,
            select_label=(Markup(f"{cut[0]}{escape(number)}{cut[1]}") if len(cut) == 2
                          else select % {"number": number}),
            applicant=applicant_name(r["last_name"], r["first_name"], r["patronymic"]),
            subject=r["subject"], state=titles[state],
            registered=day(r["registered_on"]), due=day(due), due_text=phrases[n],
            overdue=n < 0))
    return out
