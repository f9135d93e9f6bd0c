"""Thin handlers: the statistics dashboard and the quarterly reports (R40).

Who: heads, deputies, administrators and the Office of the Government. A role held everywhere
sees every venue and body; a head or deputy (held at a body) sees that body, at any venue; a role
held at a venue sees that venue. Bad input is a 400 page naming the field, never a 500.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..calendar import CalendarError
from ..calendar.store import current_calendar
from ..engine.errors import EngineError
from ..engine.files import EngineFile, FileVersion, read_version
from ..engine.security import can, visible_filter
from ..extensions import db
from ..i18n import local_today
from ..reference.models import Body, Venue
from ..sorting import order_by, parse_sort
from . import figures, quarterly
from .charts import charts, sections
from .models import QuarterlyReport

STAT_ROLES = ("head", "deputy", "admin", "government_office")
BUILD_ROLES = ("head", "deputy", "admin")
MAX_DAYS = 3 * 366


@dataclass
class Allowed:
    everything: bool = False
    venue_ids: set[int] = field(default_factory=set)
    body_ids: set[int] = field(default_factory=set)

    def permits(self, venue_id: int | None, body_id: int | None) -> bool:
        return self.everything or (body_id in self.body_ids) or (venue_id in self.venue_ids)


def allowed_for(user, roles=STAT_ROLES) -> Allowed:
    allowed = Allowed()
    for a in user.roles:
        if a.role not in roles:
            continue
        if a.venue_id is None and a.body_id is None:
            allowed.everything = True
        elif a.body_id is not None:
            allowed.body_ids.add(a.body_id)
        else:
            allowed.venue_ids.add(a.venue_id)
    return allowed


class BadInput(ValueError):
    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def _by_code(model, code: str, name: str, errors: dict):
    if not code:
        return None
    row = db.session.execute(db.select(model).where(model.code == code)).scalar()
    if row is None:
        errors[name] = _("No %(what)s with the code %(code)s.",
                         what=_("venue") if model is Venue else _("body"), code=code)
    return row


def _date(value: str, name: str, errors: dict) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors[name] = _("Write the date as YYYY-MM-DD (for example 2025-03-31).")
        return None


def read_period(args, today: date) -> tuple[date, date]:
    """The period from ?start=&end= (default: this quarter up to today); raises BadInput."""
    errors: dict[str, str] = {}
    q_start = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    start = _date(args.get("start") or q_start.isoformat(), "start", errors)
    end = _date(args.get("end") or today.isoformat(), "end", errors)
    if start and end:
        if start > end:
            errors["end"] = _("The end of the period must not be before its start.")
        elif (end - start).days > MAX_DAYS:
            errors["end"] = _("The period may be at most three years long.")
        else:
            known = current_calendar().known_years
            for name, day in (("start", start), ("end", end)):
                if day.year not in known:
                    errors[name] = _("The calendar has no data for %(year)s.", year=day.year)
    if errors:
        raise BadInput(errors)
    return start, end


def read_scope(args, user, today: date) -> tuple[figures.Scope, Venue | None, Body | None]:
    errors: dict[str, str] = {}
    venue = _by_code(Venue, (args.get("venue") or "").strip(), "venue", errors)
    body = _by_code(Body, (args.get("body") or "").strip(), "body", errors)
    try:
        start, end = read_period(args, today)
    except BadInput as exc:
        errors.update(exc.errors)
    if errors:
        raise BadInput(errors)
    allowed = allowed_for(user)
    if (venue or body) and not allowed.permits(venue and venue.id, body and body.id):
        abort(403)
    venue_ids = (venue.id,) if venue else None
    body_ids = (body.id,) if body else None
    if not allowed.everything and not venue and not body:
        if allowed.body_ids:
            body_ids = tuple(sorted(allowed.body_ids))
        else:
            venue_ids = tuple(sorted(allowed.venue_ids))
    return figures.Scope(start, end, venue_ids, body_ids, today=today), venue, body


def _choices(allowed: Allowed):
    venues = db.select(Venue).order_by(Venue.code)
    bodies = db.select(Body).order_by(Body.code)
    if not allowed.everything:
        venues = venues.where(Venue.id.in_(allowed.venue_ids)) if not allowed.body_ids \
            else venues
        bodies = bodies.where(Body.id.in_(allowed.body_ids)) if allowed.body_ids else bodies
    return (db.session.execute(venues).scalars().all(),
            db.session.execute(bodies).scalars().all())


@login_required
def dashboard():
    if not current_user.has_role(*STAT_ROLES):
        abort(403)
    today = local_today()
    allowed = allowed_for(current_user)
    venues, bodies = _choices(allowed)
    form = {"venue": request.args.get("venue", ""), "body": request.args.get("body", ""),
            "start": request.args.get("start", ""), "end": request.args.get("end", "")}
    try:
        scope, venue, body = read_scope(request.args, current_user, today)
    except BadInput as exc:
        return render_template("reports/dashboard.html", errors=exc.errors, form=form,
                               venues=venues, bodies=bodies, figs=None), 400
    try:
        figs = figures.compute(scope)
    except CalendarError as exc:  # a deadline beyond the calendar's years
        return render_template("reports/dashboard.html", errors={"end": str(exc)}, form=form,
                               venues=venues, bodies=bodies, figs=None), 400
    secs = sections(figs)
    pairs = sorted(set(figs["appeals"]["per_pair"]) | set(figs["replies"]["per_pair"]))
    late = quarterly.late_reports(today, scope.venue_ids, scope.body_ids)
    return render_template(
        "reports/dashboard.html", errors={}, form={**form, "start": scope.start.isoformat(),
                                                   "end": scope.end.isoformat()},
        venues=venues, bodies=bodies, figs=figs, sections=secs, charts=charts(secs),
        pairs=pairs, venue_names=figures.names("venue", {p[0] for p in pairs} |
                                               {x["venue_id"] for x in late}),
        body_names=figures.names("body", {p[1] for p in pairs} | {x["body_id"] for x in late}),
        late=late, quarters=_quarter_links(today))


def _quarter_links(today: date) -> list[tuple[str, date, date]]:
    out = []
    year, q = quarterly.quarter_of(today)
    for _i in range(4):
        start, end = quarterly.quarter_bounds(year, q)
        out.append((f"{year} Q{q}", start, min(end, today)))
        year, q = quarterly.previous_quarter(year, q)
    return out


# -- quarterly reports -------------------------------------------------------------------------

def _load(report_id: int) -> QuarterlyReport:
    report = db.session.get(QuarterlyReport, report_id)
    if report is None:
        abort(404)
    if not can(current_user, "view", report):
        abort(403)
    return report


def _code(model, column):
    return db.select(model.code).where(model.id == column).scalar_subquery()


#: The report list's sort keys (a whitelist, docflow/sorting.py); the id breaks ties.
REPORT_SORTS = {"quarter": (QuarterlyReport.year, QuarterlyReport.quarter),
                "venue": _code(Venue, QuarterlyReport.venue_id),
                "body": _code(Body, QuarterlyReport.body_id),
                "status": QuarterlyReport.state, "submitted": QuarterlyReport.submitted_at,
                "acknowledged": QuarterlyReport.acknowledged_at}


@login_required
def reports():
    if not current_user.has_role(*STAT_ROLES):
        abort(403)
    sort = parse_sort(request.args, REPORT_SORTS, "-quarter")
    visible = visible_filter(current_user, "view", "quarterly_report")
    rows = db.session.execute(
        db.select(QuarterlyReport).where(visible)
        .order_by(*order_by(sort, REPORT_SORTS, QuarterlyReport.id)).limit(500)).scalars().all()
    total = db.session.scalar(db.select(db.func.count()).select_from(QuarterlyReport)
                              .where(visible))
    allowed = allowed_for(current_user, BUILD_ROLES)
    venues, bodies = _choices(allowed) if current_user.has_role(*BUILD_ROLES) else ([], [])
    today = local_today()
    late = quarterly.late_reports(today, *_scope_ids(allowed_for(current_user)))
    return render_template("reports/reports.html", rows=rows, venues=venues, bodies=bodies,
                           sort=sort, args={}, total=total,
                           may_build=current_user.has_role(*BUILD_ROLES), errors={},
                           form={}, late=late, due_date=quarterly.due_date,
                           venue_names=figures.names("venue", {x["venue_id"] for x in late}),
                           body_names=figures.names("body", {x["body_id"] for x in late}),
                           default_quarter=quarterly.last_ended_quarter(today))


def _scope_ids(allowed: Allowed):
    if allowed.everything:
        return None, None
    if allowed.body_ids:
        return None, allowed.body_ids
    return allowed.venue_ids, None


@login_required
def build():
    """On demand: (re)build a quarter's report for a venue and body."""
    if not current_user.has_role(*BUILD_ROLES):
        abort(403)
    errors: dict[str, str] = {}
    venue = _by_code(Venue, request.form.get("venue", "").strip(), "venue", errors)
    body = _by_code(Body, request.form.get("body", "").strip(), "body", errors)
    if venue is None and "venue" not in errors:
        errors["venue"] = _("Choose a venue.")
    if body is None and "body" not in errors:
        errors["body"] = _("Choose a body.")
    try:
        year, quarter = int(request.form.get("year", "")), int(request.form.get("quarter", ""))
        start, end = quarterly.quarter_bounds(year, quarter)
        if end >= local_today():
            errors["quarter"] = _("A quarter is reported on once it has ended.")
        elif year not in current_calendar().known_years:
            errors["year"] = _("The calendar has no data for %(year)s.", year=year)
    except ValueError as exc:
        errors["quarter"] = str(exc) if isinstance(exc, quarterly.ReportError) else \
            _("Give the year and the quarter (1 to 4) as numbers.")
    if not errors and not allowed_for(current_user, BUILD_ROLES).permits(venue.id, body.id):
        abort(403)
    if errors:
        for message in errors.values():
            flash(message, "error")
        return render_template("reports/build_error.html", errors=errors), 400
    report = quarterly.report_for(venue.id, body.id, year, quarter)
    quarterly.request_build(report, current_user)
    db.session.commit()
    flash(_("The report is being prepared; it is submitted when ready."), "info")
    return redirect(url_for("reports.report", report_id=report.id), 303)


@login_required
def report(report_id: int):
    report = _load(report_id)
    files = db.session.execute(db.select(EngineFile).where(EngineFile.item_id == report.id)
                               .order_by(EngineFile.name)).scalars().all()
    due = quarterly.due_date(report.year, report.quarter)
    late = report.submitted_at is None and local_today() > due
    return render_template("reports/report.html", report=report, files=files,
                           history=quarterly.submissions(report), due=due, late=late,
                           job=quarterly.latest_request(report, current_user),
                           may_acknowledge=report.state == "submitted"
                           and current_user.has_role("government_office"))


@login_required
def acknowledge(report_id: int):
    report = _load(report_id)
    if not current_user.has_role("government_office"):
        abort(403)
    try:
        quarterly.acknowledge(report, current_user)
    except EngineError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("reports.report", report_id=report_id), 303)
    db.session.commit()
    flash(_("Receipt acknowledged."), "info")
    return redirect(url_for("reports.report", report_id=report_id), 303)


@login_required
def download(report_id: int, name: str):
    report = _load(report_id)
    stmt = (db.select(FileVersion).join(EngineFile)
            .where(EngineFile.item_id == report.id, EngineFile.name == name))
    number = request.args.get("version", "")
    if number:
        if not number.isdigit():
            abort(404)
        stmt = stmt.where(FileVersion.number == int(number))
    version = db.session.execute(stmt.order_by(FileVersion.number.desc()).limit(1)).scalar()
    if version is None:
        abort(404)
    return Response(read_version(version), mimetype=version.media_type, headers={
        "Content-Disposition": f'attachment; filename="{version.safe_name}"'})
