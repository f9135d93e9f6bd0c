"""Exports of the appeal lists: the worklist and the search results, as CSV or XLSX.

Each handler calls its page's own query function — ``reception.views.worklist_listing`` and
``catalog.select_items`` (what ``/search`` pages) — with the same URL arguments, so an export
holds exactly the page's rows (all pages of them), in the page's order, under the same
permission filter (R11: a restricted appeal an uncleared user cannot see is not exported).
"""
from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from ..engine import catalog
from ..engine.catalog import CatalogError
from ..engine.core import current_engine
from ..extensions import db
from ..i18n import local_today
from ..reference.models import Body, Venue
from . import export_response

bp = Blueprint("exports", __name__)
YIELD_PER = 500


def streamed(stmt):
    """The rows of ``stmt`` read in batches while the file is written (never all at once).

    The query runs when the first row is asked for — for a CSV, while the response is being
    sent, after the request's own hooks (which may commit) have run, so the batches are read
    from a session nothing else touches any more."""
    def rows():
        yield from db.session.execute(stmt.execution_options(yield_per=YIELD_PER)).scalars()
    return rows()


def appeal_columns() -> list:
    """The columns of an appeal list: the page's, plus the venue and the competent body."""
    locale = str(get_locale())
    venues = {v.id: v.name(locale) for v in db.session.execute(db.select(Venue)).scalars()}
    bodies = {b.id: b.name(locale) for b in db.session.execute(db.select(Body)).scalars()}
    states = current_engine().workflow_for("appeal").states
    return [
        (_l("Number"), lambda a: a.registration_number),
        (_l("Applicant"), lambda a: a.applicant_name),
        (_l("Subject"), lambda a: a.subject),
        (_l("State"), lambda a: _(states[a.state].title) if a.state in states else a.state),
        (_l("Venue"), lambda a: venues.get(a.venue_id)),
        (_l("Competent body"), lambda a: bodies.get(a.body_id)),
        (_l("Registered on"), lambda a: a.registered_on),
        (_l("Reply due"), lambda a: a.reply_due),
    ]


def _name(kind: str) -> str:
    return f"{kind}-{local_today().isoformat()}"


@login_required
def worklist(fmt: str):
    from ..reception.views import worklist_listing

    *_parts, ordered = worklist_listing(current_user, request.args)
    return export_response(fmt, streamed(ordered), appeal_columns(), _name("worklist"),
                           title=_("My worklist"))


@login_required
def search(fmt: str):
    from ..reception.search import TYPE, query_args, query_from_args

    query = query_from_args(request.args)
    try:
        prepared = catalog.prepare(type=TYPE, **query)
    except CatalogError as exc:
        flash(str(exc), "error")
        return redirect(url_for("search.search", **query_args(**query)), 303)
    return export_response(fmt, streamed(catalog.select_items(current_user, prepared)),
                           appeal_columns(), _name("appeals"), title=_("Search appeals"))


FMT = "<any(csv, xlsx):fmt>"
bp.add_url_rule(f"/worklist/export.{FMT}", "worklist", worklist)
bp.add_url_rule(f"/search/export.{FMT}", "search", search)
