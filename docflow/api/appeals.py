"""Appeals through API v1 (DESIGN §5, contract): intake, reading, listing, transitions."""
import marshmallow as ma
from flask import Response, current_app, g, url_for
from flask.views import MethodView
from flask_babel import gettext as _
from flask_smorest import Blueprint
from flask_smorest import abort as smorest_abort
from sqlalchemy import or_

from ..engine.audit import audit_download, audit_view
from ..engine.errors import TransitionRefused
from ..engine.files import FileVersion, files_of, read_version
from ..engine.security import visible_filter
from ..engine.workflow import allowed_transitions, history, transition
from ..extensions import db
from ..reception import briefs, replies
from ..reception.intake import CHANNELS, IntakeSchema
from ..reception.models import Appeal
from ..reception.operations import (
                                    CredentialsRefused,
                                    IntakeError,
                                    Registered,
                                    created_rules_match,
                                    redirect,
                                    register_or_find_lean,
)
from ..reception.policy import may_register
from ..reception.queries import deadlines, late_reply_clause, overdue_clause
from ..reception.receptions import (
                                    OUTCOMES,
                                    CaseworkError,
                                    reception_of,
                                    record_held,
                                    record_no_show,
)
from ..reception.replies import VIA, is_late
from ..reference.models import Venue
from .core import PREFIX, api_user, forget_token, invalid, token_required, unauthorized

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
    replied_on = ma.fields.Date(allow_none=True)
    reply_late = ma.fields.Function(is_late, metadata={
        "description": "the reply was sent after reply_due (R29)"})


class AppealDetailSchema(AppealSchema):
    text = ma.fields.String()
    applicant = ma.fields.Method("_applicant")
    history = ma.fields.Method("_history")
    deadlines = ma.fields.Method("_deadlines")
    allowed_transitions = ma.fields.Method("_allowed")
    reception = ma.fields.Method("_reception", allow_none=True, metadata={
        "description": "date, time and official once the reception is set (R28, R29)"})

    def _reception(self, a):
        where = reception_of(a)
        if where is None:
            return None
        official = where["official"]
        return {"date": where["date"].isoformat(), "time": where["time"],
                "official": None if official is None else {
                    "code": official.code, "name_kk": official.full_name("kk"),
                    "name_ru": official.full_name("ru")}}

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
    late = ma.fields.Boolean(metadata={"description": "replies sent after reply_due (R29)"})
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
    entry_id = ma.fields.Integer(load_default=None, allow_none=True, metadata={
        "description": "approve: the published schedule entry (default: the brief's proposal)"})
    via = ma.fields.String(load_default=None, allow_none=True,
                           validate=ma.validate.OneOf(VIA), metadata={
                               "description": "send_reply / send_refusal: email or post"})
    outcome = ma.fields.String(load_default=None, allow_none=True,
                               validate=ma.validate.OneOf(OUTCOMES), metadata={
                                   "description": "mark_held: the reception's outcome"})


class VersionSchema(ma.Schema):
    number = ma.fields.Integer()
    sha256 = ma.fields.String()
    media_type = ma.fields.String()
    size = ma.fields.Integer()
    created_at = ma.fields.Function(lambda v: v.created_at.isoformat() + "Z",
                                    metadata={"format": "date-time"})
    generated = ma.fields.Boolean()
    filename = ma.fields.String(attribute="original_name")
    template_version = ma.fields.Function(lambda v: (v.meta or {}).get("template_version"),
                                          allow_none=True)
    data_hash = ma.fields.Function(lambda v: (v.meta or {}).get("data_hash"), allow_none=True)
    download = ma.fields.Function(lambda v: url_for(
        "api_appeals.AppealDocumentDownload", appeal_id=v.file.item_id, version_id=v.id,
        _external=True))


class DocumentSchema(ma.Schema):
    name = ma.fields.String()
    created_at = ma.fields.Function(lambda f: f.created_at.isoformat() + "Z")
    versions = ma.fields.List(ma.fields.Nested(VersionSchema))


class DocumentList(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(DocumentSchema))


def _may_register(venue: Venue) -> None:
    """R4: 403 for a caller who may not register appeals at ``venue``."""
    actor = g.get("api_actor") or g.api_user
    if not may_register(getattr(actor, "principal", actor), venue):
        smorest_abort(403, message=_("You may not register appeals at this venue."))


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
    # the intake checks a cached token inside its own first statement (no statement of its own)
    decorators = [token_required(checked_by_view=("POST",))]

    @blp.arguments(IntakeSchema())  # one instance: no deep copy of its fields per request
    @blp.response(201, AppealSchema)
    @blp.alt_response(200, schema=AppealSchema, description="A repeat of an external_id")
    def post(self, data):
        """Register an appeal (R4, R25). Idempotent on channel + external_id."""
        digest = g.api_token_digest
        # the engine's rules on "created" need the ORM user; the lean path only its id
        rules = created_rules_match()
        actor = api_user() if rules else g.api_actor
        try:
            result = register_or_find_lean(data, actor, db.session.commit, _may_register,
                                           token=(digest, actor.id) if digest else None,
                                           rules=rules)
        except IntakeError as exc:
            db.session.rollback()
            invalid(exc.errors)
        except CredentialsRefused:
            db.session.rollback()
            forget_token(digest)
            unauthorized()
        if isinstance(result.appeal, Registered):  # created: its values are at hand
            response = current_app.json.response(registered_json(result.appeal))
            response.status_code = 201
            return response
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
        if args.get("late") is not None:
            stmt = stmt.where(late_reply_clause() if args["late"] else ~late_reply_clause())
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


def registered_json(r: Registered) -> dict:
    """What :class:`AppealSchema` makes of a new appeal's values, built directly: the intake's
    answer without marshmallow's per-field machinery (a test holds the two equal)."""
    return {"id": r.id, "uid": r.uid, "registration_number": r.registration_number,
            "status": r.state, "channel": r.channel, "external_id": r.external_id,
            "venue": r.venue.code, "body": r.body.code,
            "official": r.official.code if r.official else None,
            "received_at": r.received_at.isoformat() + "Z",
            "registered_on": r.registered_on.isoformat(), "reply_due": r.reply_due.isoformat(),
            "restricted": r.restricted, "subject": r.subject,
            "responsible": r.responsible.login if r.responsible else None,
            "replied_on": r.replied_on.isoformat() if r.replied_on else None,
            "reply_late": is_late(r)}


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
            fire(appeal, args)
            db.session.commit()
        except CaseworkError as exc:
            db.session.rollback()
            invalid({exc.field: [str(exc)]})
        except TransitionRefused as exc:
            db.session.rollback()
            if exc.status == 422:
                invalid({getattr(exc, "field", "comment"): [str(exc)]})
            smorest_abort(exc.status, message=str(exc))
        except IntakeError as exc:
            db.session.rollback()
            invalid(exc.errors)
        return appeal


def fire(appeal: Appeal, args: dict) -> None:
    """Transitions with more to do than the state change go through their operations."""
    name, comment, user = args["name"], args.get("comment"), g.api_user
    if name == "redirect":
        redirect(appeal, user, comment or "", args.get("body") or "")
    elif name == "approve":
        briefs.approve(appeal, user, args.get("entry_id"), comment)
    elif name == "refuse":
        briefs.refuse(appeal, user, comment or "")
    elif name in ("send_reply", "send_refusal") and args.get("via"):
        replies.send_reply(appeal, user, args["via"])
    elif name == "mark_held" and args.get("outcome"):
        record_held(appeal, user, outcome=args["outcome"], notes=comment or "")
    elif name == "mark_no_show":
        record_no_show(appeal, user, comment or "")
    else:
        transition(appeal, name, user, comment,
                   **{k: args[k] for k in ("via", "outcome") if args.get(k)})


@blp.route("/<int:appeal_id>/documents")
class AppealDocuments(MethodView):
    decorators = [token_required]

    @blp.response(200, DocumentList)
    def get(self, appeal_id):
        """The case file's documents and their versions, each with a download URL (DESIGN §5)."""
        return {"items": files_of(visible_appeal(appeal_id))}


@blp.route("/<int:appeal_id>/documents/<int:version_id>")
class AppealDocumentDownload(MethodView):
    decorators = [token_required]

    @blp.response(200, description="The version's bytes, with its media type")
    def get(self, appeal_id, version_id):
        """Download one version of a document of the case file (audited)."""
        appeal = visible_appeal(appeal_id)
        version = db.session.get(FileVersion, version_id)
        if version is None or version.file.item_id != appeal.id:
            smorest_abort(404, message=_("No such document version."))
        audit_download(version, g.api_user)
        db.session.commit()
        return Response(read_version(version), mimetype=version.media_type, headers={
            "Content-Disposition": f'attachment; filename="{version.safe_name}"',
            "X-Checksum-SHA256": version.sha256})
