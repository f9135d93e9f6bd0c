"""Appeals through API v1 (DESIGN §5, contract): intake, reading, listing, transitions."""
import marshmallow as ma
from flask import g
from flask.views import MethodView
from flask_babel import gettext as _
from flask_smorest import Blueprint
from flask_smorest import abort as smorest_abort
from sqlalchemy import or_

from ..engine.audit import audit_view
from ..engine.errors import TransitionRefused
from ..engine.security import visible_filter
from ..engine.workflow import allowed_transitions, history, transition
from ..extensions import db
from ..reception.intake import CHANNELS, IntakeSchema
from ..reception.models import Appeal
from ..reception.operations import IntakeError, redirect, register_or_find
from ..reception.policy import may_register
from ..reception.queries import deadlines, overdue_clause
from ..reference.models import Venue
from .core import PREFIX, invalid, token_required

blp = Blueprint("api_appeals", __name__, url_prefix=f"{PREFIX}/appeals",
                description="Appeals for personal reception")

class DeadlineSchema(ma.Schema):
    name = ma.fields.String()
    due = ma.fields.Date()
    start = ma.fields.Date()
    working_days = ma.fields.Integer()
    skipped = ma.fields.List(ma.fields.Dict())
    overdue = ma.fields.Boolean()


class AppealSchema(ma.Schema):
    id = ma.fields.Integer()
    uid = ma.fields.String()
    registration_number = ma.fields.String()
    status = ma.fields.String(attribute="state")
    channel = ma.fields.String(metadata={"enum": list(CHANNELS)})
    external_id = ma.fields.String(allow_none=True)
    venue = ma.fields.Function(lambda a: a.venue.code)
    body = ma.fields.Function(lambda a: a.body.code)
    official = ma.fields.Function(lambda a: a.official.code if a.official else None,
                                  allow_none=True)
    received_at = ma.fields.Function(lambda a: a.received_at.isoformat() + "Z",
                                     metadata={"format": "date-time"})
    registered_on = ma.fields.Date()
    reply_due = ma.fields.Date()
    restricted = ma.fields.Boolean()
    subject = ma.fields.String()
    responsible = ma.fields.Function(lambda a: a.responsible.login if a.responsible else None,
                                     allow_none=True)


class AppealDetailSchema(AppealSchema):
    text = ma.fields.String()
    applicant = ma.fields.Method("_applicant")
    history = ma.fields.Method("_history")
    deadlines = ma.fields.Method("_deadlines")
    allowed_transitions = ma.fields.Method("_allowed")
    reception = ma.fields.Constant(None, allow_none=True, metadata={
        "description": "date, time and official once the reception is set"})

    def _applicant(self, a):
        return {"kind": a.applicant_kind, "iin": a.iin, "bin": a.bin,
                "organization": a.organization, "last_name": a.last_name,
                "first_name": a.first_name, "patronymic": a.patronymic,
                "citizenship": a.citizenship, "language": a.applicant_language,
                "phone": a.phone, "email": a.email, "address": a.address}

    def _history(self, a):
        return [{"at": h.at.isoformat() + "Z", "actor": h.actor.login if h.actor else None,
                 "transition": h.transition, "from": h.from_state, "to": h.to_state,
                 "comment": h.comment} for h in history(a)]

    def _deadlines(self, a):
        return deadlines(a)

    def _allowed(self, a):
        return [t.id for t in allowed_transitions(a, g.api_user)]


class ListArgs(ma.Schema):
    status = ma.fields.String()
    venue = ma.fields.String()
    overdue = ma.fields.Boolean()
    q = ma.fields.String(validate=ma.validate.Length(max=200))
    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1, max=100000))
    per_page = ma.fields.Integer(load_default=50, validate=ma.validate.Range(min=1, max=200))


class AppealPage(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(AppealSchema))
    total = ma.fields.Integer()
    page = ma.fields.Integer()
    per_page = ma.fields.Integer()


class TransitionArgs(ma.Schema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=64))
    comment = ma.fields.String(load_default=None, allow_none=True,
                               validate=ma.validate.Length(max=5000))
    body = ma.fields.String(load_default=None, allow_none=True,
                            validate=ma.validate.Length(max=32))


def visible_appeal(appeal_id: int) -> Appeal:
    """404 for a missing appeal and for one the caller may not see (R11: never a hint)."""
    appeal = db.session.execute(db.select(Appeal).where(
        Appeal.id == appeal_id, visible_filter(g.api_user, "view", "appeal"))).scalar()
    if appeal is None:
        smorest_abort(404, message=_("No such appeal."))
    if appeal.restricted:
        audit_view(appeal, g.api_user)
        db.session.commit()
    return appeal


@blp.route("")
class Appeals(MethodView):
    decorators = [token_required]

    @blp.arguments(IntakeSchema)
    @blp.response(201, AppealSchema)
    @blp.alt_response(200, schema=AppealSchema, description="A repeat of an external_id")
    def post(self, data):
        """Register an appeal (R4, R25). Idempotent on channel + external_id."""
        venue = db.session.execute(db.select(Venue).where(Venue.code == data["venue"])).scalar()
        if venue is not None and not may_register(g.api_user, venue):
            smorest_abort(403, message=_("You may not register appeals at this venue."))
        try:
            result = register_or_find(data, g.api_user, db.session.commit)
        except IntakeError as exc:
            db.session.rollback()
            invalid(exc.errors)
        return result.appeal, 201 if result.created else 200

    @blp.arguments(ListArgs, location="query")
    @blp.response(200, AppealPage)
    def get(self, args):
        """Appeals the caller may see, newest first (restricted ones only to the cleared)."""
        stmt = db.select(Appeal).where(visible_filter(g.api_user, "view", "appeal"))
        if args.get("status"):
            stmt = stmt.where(Appeal.state == args["status"])
        if args.get("venue"):
            stmt = stmt.join(Venue, Venue.id == Appeal.venue_id).where(Venue.code == args["venue"])
        if args.get("overdue") is not None:
            late = overdue_clause()
            stmt = stmt.where(late if args["overdue"] else ~late)
        if args.get("q"):
            like = f"%{args['q']}%"
            stmt = stmt.where(or_(Appeal.subject.ilike(like), Appeal.registration_number.ilike(like),
                                  Appeal.last_name.ilike(like)))
        total = db.session.execute(stmt.with_only_columns(db.func.count(Appeal.id))
                                   .order_by(None)).scalar()
        page, per_page = args["page"], args["per_page"]
        items = db.session.execute(stmt.order_by(Appeal.id.desc())
                                   .limit(per_page).offset((page - 1) * per_page)).scalars().all()
        return {"items": items, "total": total, "page": page, "per_page": per_page}


@blp.route("/<int:appeal_id>")
class AppealItem(MethodView):
    decorators = [token_required]

    @blp.response(200, AppealDetailSchema)
    def get(self, appeal_id):
        """The appeal with its history, deadlines and the transitions the caller may fire."""
        return visible_appeal(appeal_id)


@blp.route("/<int:appeal_id>/transitions")
class AppealTransitions(MethodView):
    decorators = [token_required]

    @blp.arguments(TransitionArgs)
    @blp.response(200, AppealDetailSchema)
    def post(self, args, appeal_id):
        """Fire a workflow transition: 403 (role), 409 (state or condition), 422 (input)."""
        appeal = visible_appeal(appeal_id)
        try:
            if args["name"] == "redirect":
                redirect(appeal, g.api_user, args.get("comment") or "", args.get("body") or "")
            else:
                transition(appeal, args["name"], g.api_user, args.get("comment"))
            db.session.commit()
        except TransitionRefused as exc:
            db.session.rollback()
            if exc.status == 422:
                invalid({getattr(exc, "field", "comment"): [str(exc)]})
            smorest_abort(exc.status, message=str(exc))
        except IntakeError as exc:
            db.session.rollback()
            invalid(exc.errors)
        return appeal
