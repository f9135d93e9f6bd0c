"""Published reception schedules for the bodies' websites (R8; DESIGN §5, contract)."""
from datetime import date

import marshmallow as ma
from flask.views import MethodView
from flask_babel import gettext as _
from flask_smorest import Blueprint
from flask_smorest import abort as smorest_abort

from ..extensions import db
from ..reference.models import Venue
from ..schedules.feeds import schedule_json
from ..schedules.queries import published_schedule
from .core import PREFIX, invalid, token_required

blp = Blueprint("api_schedules", __name__, url_prefix=PREFIX, description="Reception schedules")


class ScheduleArgs(ma.Schema):
    venue = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=32))
    month = ma.fields.String(required=True, validate=ma.validate.Regexp(
        r"^\d{4}-(0[1-9]|1[0-2])$", error="Give the month as YYYY-MM."))


PublishedSchedule = ma.Schema.from_dict({
    "venue": ma.fields.Dict(), "month": ma.fields.String(), "version": ma.fields.Integer(),
    "status": ma.fields.String(), "entries": ma.fields.List(ma.fields.Dict())},
    name="PublishedSchedule")


@blp.route("/schedules")
class Schedules(MethodView):
    decorators = [token_required]

    @blp.arguments(ScheduleArgs, location="query")
    @blp.response(200, PublishedSchedule)
    def get(self, args):
        """The published schedule of a venue for a month, names in Kazakh and Russian (R8)."""
        venue = db.session.execute(db.select(Venue).where(Venue.code == args["venue"])).scalar()
        if venue is None:
            invalid({"venue": [_("No venue with the code %(code)s.", code=args["venue"])]})
        year, month = (int(x) for x in args["month"].split("-"))
        schedule = published_schedule(venue.id, date(year, month, 1))
        if schedule is None:
            smorest_abort(404, message=_("No published schedule for this venue and month."))
        return schedule_json(schedule)
