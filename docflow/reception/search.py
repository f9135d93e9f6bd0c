"""Searching appeals: the appeal's catalog registration, the search page and the dashboard.

``init_search(app)`` registers which appeal fields feed the full text and which columns are
facets, adds the ``/search`` and ``/dashboard`` pages and the ``catalog`` command. Permissions
are the engine's: every list, total, facet count and counter carries ``visible_filter`` (R11).

Query string of ``/search``: ``q`` (words, each prefix-matched, all required), ``f_<facet>``
(repeatable; values of one facet are OR'ed), ``f_overdue=1``, ``f_mine=1``, ``sort``, ``page``.
"""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import not_
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from ..engine import catalog
from ..engine.catalog import CatalogError, SearchResult
from ..engine.catalog_cli import catalog_cli
from ..engine.content import Item
from ..engine.core import current_engine
from ..extensions import db
from ..reference.models import Body, Venue
from ..sorting import Sort, SortError, parse_sort
from .intake import CHANNEL_LABELS
from .models import Appeal
from .queries import overdue_clause

TYPE = "appeal"
PER_PAGE = 20


TEXT_FIELDS = ("subject", "text", "registration_number", "last_name", "first_name", "patronymic",
               "organization")


def appeal_text(appeal: Appeal) -> list[str | None]:
    """What the full text of an appeal is made of (its title, the subject, is added by the
    catalog, and so is the text of its files)."""
    return [appeal.subject, appeal.text, appeal.registration_number, appeal.last_name,
            appeal.first_name, appeal.patronymic, appeal.organization]


def _flag(values: list[str]) -> bool:
    return any(v.lower() in ("1", "true", "yes", "on") for v in values)


FACETS = {"state": Item.state, "channel": Appeal.channel, "venue": Appeal.venue_id,
          "body": Appeal.body_id, "year": Appeal.registration_year}
FACET_TITLES = {"state": _l("State"), "channel": _l("Channel"), "venue": _l("Venue"),
                "body": _l("Competent body"), "year": _l("Year of registration")}
FILTERS = {
    # R29: no reply yet and the reply is due; "0" asks for the others
    "overdue": lambda values, user: overdue_clause() if _flag(values) else not_(overdue_clause()),
    "mine": lambda values, user: (Appeal.responsible_id == user.id) if _flag(values)
    else (Appeal.responsible_id != user.id),
}
FILTER_TITLES = {"overdue": _l("Reply overdue"), "mine": _l("Assigned to me")}
#: Sort keys of the appeal (besides the catalog's modified, created and title); a whitelist.
SORTS = {"registered": Appeal.registered_on, "due": Appeal.reply_due,
         "number": Appeal.registration_number, "applicant": Appeal.last_name,
         "state": Item.state}
SORT_TITLES = {"-modified": _l("Recently changed"), "-registered": _l("Newest registrations"),
               "registered": _l("Oldest registrations"), "due": _l("Reply due first"),
               "number": _l("Registration number")}
DEFAULT_SORT = "-modified"

#: The result table: (header, the cell's text, its sort key); the first cell links to the appeal.
COLUMNS = [
    (_l("Number"), lambda a: a.registration_number, "number"),
    (_l("Applicant"), lambda a: a.applicant_name, "applicant"),
    (_l("Subject"), lambda a: a.subject, "title"),
    (_l("State"), lambda a: _(current_engine().workflow_for(a).states[a.state].title)
     if a.state in current_engine().workflow_for(a).states else a.state, "state"),
    (_l("Registered on"), lambda a: format_date(a.registered_on), "registered"),
    (_l("Reply due"), lambda a: format_date(a.reply_due), "due"),
]

bp = Blueprint("search", __name__)


def init_search(app) -> None:
    """Register the appeal with the catalog, the pages and the command. Idempotent."""
    catalog.register(TYPE, text=appeal_text, fields=TEXT_FIELDS, facets=FACETS, filters=FILTERS,
                     sorts=SORTS)
    if bp.name not in app.blueprints:
        app.register_blueprint(bp)
    if "catalog" not in app.cli.commands:
        app.cli.add_command(catalog_cli)


class SaveSearchForm(FlaskForm):
    name = StringField(_l("Save this search as"),
                       validators=[DataRequired(), Length(max=catalog.MAX_NAME_CHARS)])


# -- the query in the URL ------------------------------------------------------------------------

def query_from_args(args) -> dict:
    """``q``, ``filters`` and ``sort`` from a query string; unknown ``f_`` names are kept so
    the catalog can name them in its message."""
    filters = {}
    for key in args:
        if key.startswith("f_"):
            values = [v for v in args.getlist(key) if v.strip()]
            if values:
                filters[key[2:]] = values
    return {"q": args.get("q", ""), "filters": filters,
            "sort": args.get("sort") or "-modified"}


def query_args(q: str | None, filters: dict, sort: str) -> dict:
    """The inverse of :func:`query_from_args`, for links (url_for repeats list values)."""
    out = {f"f_{name}": [str(v) for v in values] for name, values in filters.items()}
    if q:
        out["q"] = q
    if sort and sort != "-modified":
        out["sort"] = sort
    return out


def facet_labels(result: SearchResult, locale: str) -> dict[str, dict]:
    """Human names for facet values: venues and bodies in the reader's language (two
    queries at most, whatever the number of values), channels and states translated."""
    labels: dict[str, dict] = {name: {} for name in result.facets}
    for name, model in (("venue", Venue), ("body", Body)):
        ids = [v for v, _n in result.facets.get(name, [])]
        if ids:
            rows = db.session.execute(db.select(model).where(model.id.in_(ids))).scalars()
            labels[name] = {r.id: r.name(locale) for r in rows}
    labels["channel"] = {k: str(v) for k, v in CHANNEL_LABELS.items()}
    workflow = current_engine().workflow_for(TYPE)
    labels["state"] = {s: _(st.title) for s, st in workflow.states.items()}
    return labels


# -- pages ---------------------------------------------------------------------------------------

@bp.route("/search")
@login_required
def search():
    """Appeals the user may see: words, facets with counts, pages, "save this search"."""
    query = query_from_args(request.args)
    page = request.args.get("page") or "1"
    error = None
    sort = Sort(DEFAULT_SORT.removeprefix("-"), True)
    try:
        sort = parse_sort(request.args, catalog.registration(TYPE).sorts, DEFAULT_SORT,
                          strict=True)
        result = catalog.search(current_user, type=TYPE, facets=list(FACETS),
                                page=page, per_page=PER_PAGE, **query)
    except (CatalogError, SortError) as exc:
        error = str(exc)
        result = SearchResult([], 0, {}, 1, PER_PAGE)
    args = query_args(**query)
    other_args = {k: v for k, v in args.items() if k != "sort"}
    return render_template(
        "engine/search.html", title=_("Search appeals"), result=result, error=error,
        q=query["q"], sort=query["sort"], chosen=query["filters"], args=args,
        sorted_by=sort, other_args=other_args,
        facet_titles=FACET_TITLES, labels=facet_labels(result, str(get_locale())),
        filter_titles=FILTER_TITLES, sort_titles=SORT_TITLES,
        form=SaveSearchForm(), columns=COLUMNS,
        item_url=lambda a: url_for("reception.appeal", appeal_id=a.id),
        export_endpoint="exports.search",
    ), (400 if error else 200)


@bp.route("/search/save", methods=["POST"])
@login_required
def save():
    query = query_from_args(request.form)
    back = url_for(".search", **query_args(**query))
    form = SaveSearchForm()
    if not form.validate_on_submit():
        flash(_("Give the search a name of at most %(n)s characters.",
                n=catalog.MAX_NAME_CHARS), "error")
        return redirect(back, 303)
    try:
        saved = catalog.save_search(current_user, form.name.data, type=TYPE, **query)
        db.session.commit()
    except CatalogError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(back, 303)
    flash(_("Search saved as %(name)s.", name=saved.name), "success")
    return redirect(url_for(".dashboard"), 303)


@bp.route("/dashboard")
@login_required
def dashboard():
    """The user's saved searches, each with how many appeals it finds now (one COUNT each)."""
    rows = [(saved, n, url_for(".search", **query_args(saved.q, saved.filters, saved.sort)))
            for saved, n in catalog.saved_counters(current_user, type=TYPE)]
    return render_template("engine/dashboard.html", title=_("My saved searches"), rows=rows)


@bp.route("/dashboard/<int:search_id>/delete", methods=["POST"])
@login_required
def delete(search_id):
    form = FlaskForm()
    if form.validate_on_submit() and catalog.delete_saved_search(current_user, search_id):
        db.session.commit()
        flash(_("The saved search was deleted."), "success")
    else:
        flash(_("No such saved search of yours."), "error")
    return redirect(url_for(".dashboard"), 303)
