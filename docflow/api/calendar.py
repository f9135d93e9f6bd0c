"""The working-day calendar for other systems (DESIGN §4-5, contract)."""
import marshmallow as ma
from flask.views import MethodView
from flask_babel import gettext as _
from flask_smorest import Blueprint

from ..calendar import CalendarError
from ..calendar.store import current_calendar
from .core import PREFIX, invalid, token_required

blp = Blueprint("api_calendar", __name__, url_prefix=f"{PREFIX}/calendar",
                description="Kazakhstan working-day calendar")


class ShiftArgs(ma.Schema):
    from_ = ma.fields.Date(required=True, data_key="from")
    working_days = ma.fields.Integer(required=True, validate=ma.validate.Range(-3650, 3650))


class ShiftSchema(ma.Schema):
    date = ma.fields.Date()
    skipped = ma.fields.List(ma.fields.Dict(), metadata={
        "description": "The non-working days passed over, with their reason"})


class DaySchema(ma.Schema):
    date = ma.fields.Date()
    reason = ma.fields.String(allow_none=True)


class YearSchema(ma.Schema):
    year = ma.fields.Integer()
    non_working_days = ma.fields.List(ma.fields.Nested(DaySchema))
    working_weekends = ma.fields.List(ma.fields.Nested(DaySchema))


@blp.route("/shift")
class Shift(MethodView):
    decorators = [token_required]

    @blp.arguments(ShiftArgs, location="query")
    @blp.response(200, ShiftSchema)
    def get(self, args):
        """The date N working days after (or, N < 0, before) a date."""
        try:
            explained = current_calendar().explain_shift(args["from_"], args["working_days"])
        except CalendarError as exc:
            invalid({"from": [str(exc)]})
        return {"date": explained.result,
                "skipped": [{"date": d.isoformat(), "reason": r} for d, r in explained.skipped]}


@blp.route("/<int:year>")
class Year(MethodView):
    decorators = [token_required]

    @blp.response(200, YearSchema)
    def get(self, year):
        """A year's non-working days (weekends included) and working weekends."""
        cal = current_calendar()
        if year not in cal.known_years:
            invalid({"year": [_("No working-day calendar data for %(year)s.", year=year)]})
        rows = lambda pairs: [{"date": d, "reason": r} for d, r in pairs]  # noqa: E731
        return {"year": year, "non_working_days": rows(cal.non_working_days(year)),
                "working_weekends": rows(cal.working_weekends(year))}
