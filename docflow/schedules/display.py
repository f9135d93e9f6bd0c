"""The public, login-free schedule (R8): HTML in Kazakh or Russian, JSON, iCalendar and the
A4 poster. Only the latest published version of a venue's month is ever shown."""
import io

from flask import Response, jsonify, render_template, request, send_file
from flask_babel import force_locale
from flask_babel import gettext as _
from werkzeug.exceptions import NotFound

from ..engine.files import read_version
from ..extensions import db
from ..reference.models import Venue
from .feeds import schedule_ics, schedule_json
from .jobs import poster_version
from .queries import entry_bounds, published_schedule

PUBLIC_LANGUAGES = ("kk", "ru")


def not_found(message: str):
    """404 with a message people can act on (docflow.errors shows ``data["message"]``)."""
    error = NotFound(message)
    error.data = {"message": message}
    raise error


def load_published(venue_code: str, month):
    venue = db.session.execute(db.select(Venue).where(Venue.code == venue_code)).scalar()
    if venue is None:
        not_found(_("There is no venue %(code)s.", code=venue_code))
    schedule = published_schedule(venue.id, month)
    if schedule is None:
        not_found(_("%(venue)s has no published schedule for %(month)s.", venue=venue.name(),
                    month=f"{month:%Y-%m}"))
    return schedule


def page(venue_code, month):
    lang = request.args.get("lang")
    lang = lang if lang in PUBLIC_LANGUAGES else "kk"
    schedule = load_published(venue_code, month)
    rows = [(e, *entry_bounds(e)) for e in schedule.entries]
    with force_locale(lang):
        html = render_template("schedules/public.html", schedule=schedule, venue=schedule.venue,
                               rows=rows, lang=lang, month=month)
    return Response(html, mimetype="text/html")


def as_json(venue_code, month):
    response = jsonify(schedule_json(load_published(venue_code, month)))
    response.headers["Access-Control-Allow-Origin"] = "*"  # the bodies' websites read it
    return response


def as_ics(venue_code, month):
    schedule = load_published(venue_code, month)
    return Response(schedule_ics(schedule), mimetype="text/calendar", headers={
        "Content-Disposition": f'inline; filename="{venue_code}-{month:%Y-%m}.ics"'})


def as_pdf(venue_code, month):
    schedule = load_published(venue_code, month)
    version = poster_version(schedule)
    if version is None:
        not_found(_("The poster of this schedule is being prepared; try again in a minute."))
    return send_file(io.BytesIO(read_version(version)), mimetype="application/pdf",
                     download_name=f"{venue_code}-{month:%Y-%m}.pdf", max_age=60)
