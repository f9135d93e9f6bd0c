"""Reference data for other systems: venues and bodies with their kk and ru names."""
import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..reference.models import Body, Venue
from .core import PREFIX, token_required

blp = Blueprint("api_reference", __name__, url_prefix=PREFIX, description="Reference data")


class DivisionSchema(ma.Schema):
    code = ma.fields.String()
    name_kk = ma.fields.String()
    name_ru = ma.fields.String()


class BodySchema(ma.Schema):
    code = ma.fields.String()
    kind = ma.fields.String(metadata={"enum": list(Body.KINDS)})
    name_kk = ma.fields.String()
    name_ru = ma.fields.String()
    divisions = ma.fields.List(ma.fields.Nested(DivisionSchema))


class VenueSchema(ma.Schema):
    code = ma.fields.String()
    kind = ma.fields.String(metadata={"enum": list(Venue.KINDS)})
    body = ma.fields.Function(lambda v: v.body.code if v.body else None, allow_none=True)
    name_kk = ma.fields.String()
    name_ru = ma.fields.String()
    address_kk = ma.fields.String()
    address_ru = ma.fields.String()
    timezone = ma.fields.String()
    opens = ma.fields.Time(format="%H:%M")
    closes = ma.fields.Time(format="%H:%M")
    lunch_start = ma.fields.Time(format="%H:%M")
    lunch_end = ma.fields.Time(format="%H:%M")


@blp.route("/venues")
class Venues(MethodView):
    decorators = [token_required]

    @blp.response(200, VenueSchema(many=True))
    def get(self):
        """Citizen reception centers and public reception rooms (R2)."""
        query = db.select(Venue).options(selectinload(Venue.body)).order_by(Venue.code)
        return db.session.execute(query).scalars().all()


@blp.route("/bodies")
class Bodies(MethodView):
    decorators = [token_required]

    @blp.response(200, BodySchema(many=True))
    def get(self):
        """Central state bodies and akim offices, with their structural divisions (R2-1, R31)."""
        query = db.select(Body).options(selectinload(Body.divisions)).order_by(Body.code)
        return db.session.execute(query).scalars().all()
