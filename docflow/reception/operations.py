"""Intake and the appeal's domain operations. They flush, never commit; callers commit."""
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from types import SimpleNamespace

from flask_babel import gettext as _
from sqlalchemy import bindparam, false, literal, null, select
from sqlalchemy.exc import IntegrityError

from ..calendar import CalendarError
from ..calendar.store import current_calendar, overrides_stamp
from ..dbprepared import COMMIT_WITHOUT_WAITING, PREPARED, driver_connection, statements_on
from ..engine.content import create_item, set_places, utcnow
from ..engine.events import emit
from ..engine.workflow import transition
from ..extensions import db, dialect_name
from ..reference.models import Body, Official, Venue
from .assignment import assign, choose_responsible, choose_responsible_row, log_assignment
from .intake import ELECTRONIC_CHANNELS, is_restricted
from .models import Appeal, AssignmentLog
from .numbering import format_number, next_number
from .queries import REPLY_WORKING_DAYS

CLOCK_SKEW = timedelta(minutes=5)  # a sender's clock slightly ahead is not "the future"


class IntakeError(ValueError):
    """Invalid intake; ``errors`` maps dotted field names to messages (as the API reports)."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


@dataclass
class IntakeResult:
    appeal: Appeal | None
    created: bool
    #: a repeat found on the driver path: loaded once its connection is given back
    existing_id: int | None = None


def places_of(venue_id: int, body_id: int) -> set[str]:
    return {f"venue:{venue_id}", f"body:{body_id}"}


def _by_code(model, code: str | None):
    if not code:
        return None
    return db.session.execute(db.select(model).where(model.code == code)).scalar()


def find_existing(channel: str, external_id: str | None) -> Appeal | None:
    if channel not in ELECTRONIC_CHANNELS or not external_id:
        return None
    return db.session.execute(db.select(Appeal).where(
        Appeal.channel == channel, Appeal.external_id == external_id)).scalar()


@dataclass
class References:
    venue: Venue | None
    body: Body | None
    official: Official | None
    existing_id: int | None


def references(data: dict) -> References:
    """The intake's venue, body and official by code, and the id of an appeal already made for
    its channel + external_id — in one statement (each missing one is None)."""
    params, has_official, check_existing = _reference_params(data)
    row = db.session.execute(_references_stmt(has_official, check_existing), params).one()
    return References(*row)


def _reference_params(data: dict) -> tuple[dict, bool, bool]:
    """The parameters of the references statement, whether it names an official and whether it
    looks for an appeal already made for the channel + external_id (electronic channels)."""
    channel, external_id, official = data["channel"], data.get("external_id"), data.get("official")
    check_existing = bool(channel in ELECTRONIC_CHANNELS and external_id)
    params = {"venue": data["venue"], "body": data["body"]}
    if official:
        params["official"] = official
    if check_existing:
        params.update(channel=channel, external_id=external_id)
    return params, bool(official), check_existing


@cache
def _references_stmt(with_official: bool, check_existing: bool):
    """The statement of :func:`references`, built once per shape (bound parameters vary)."""
    return _references_select([Venue, Body, Official], with_official, check_existing)


def _references_select(columns: list, with_official: bool, check_existing: bool):
    """``columns`` of the venue, body and official found by code (each outer-joined to a
    one-row anchor, so a missing one is NULL) and the id of an appeal already made for the
    channel + external_id."""
    appeal = Appeal.__table__
    existing = (select(appeal.c.id).where(appeal.c.channel == bindparam("channel"),
                                          appeal.c.external_id == bindparam("external_id"))
                .scalar_subquery() if check_existing else null())
    anchor = select(literal(1).label("one")).subquery("anchor")
    v, b, o = Venue.__table__, Body.__table__, Official.__table__
    return (select(*columns, existing.label("existing_id")).select_from(anchor)
            .outerjoin(v, v.c.code == bindparam("venue"))
            .outerjoin(b, b.c.code == bindparam("body"))
            .outerjoin(o, o.c.code == bindparam("official") if with_official else false()))


def deadlines_for(received_at: datetime, venue: Venue):
    """(registered_on, reply_due) per DESIGN §4 — the contract's two deadline rules."""
    calendar = current_calendar()
    registered_on = calendar.registered_on(received_at, venue.timezone, venue.opens, venue.closes)
    return registered_on, calendar.shift(registered_on, REPLY_WORKING_DAYS)


def check_intake(data: dict, venue, body, official) -> tuple:
    """The intake's rules on its references and its receipt time; (registered_on, reply_due).

    Raises :class:`IntakeError` naming every field at fault. ``venue``, ``body`` and ``official``
    are the rows found by code (None: not found), ORM objects or :class:`RefRow` snapshots."""
    errors: dict[str, list[str]] = {}
    if venue is None:
        errors["venue"] = [_("No venue with the code %(code)s.", code=data["venue"])]
    if body is None:
        errors["body"] = [_("No body with the code %(code)s.", code=data["body"])]
    if data.get("official") and official is None:
        errors["official"] = [_("No official with the code %(code)s.", code=data["official"])]
    elif official is not None and body is not None and official.body_id != body.id:
        errors["official"] = [_("This official does not belong to the body %(code)s.",
                                code=body.code)]
    if venue is not None and venue.kind == "reception_room" and body is not None \
            and venue.body_id not in (None, body.id):
        errors["body"] = [_("A public reception room receives only for its own body.")]
    received_at = data["received_at"]
    if received_at > datetime.now(UTC) + CLOCK_SKEW:
        errors["received_at"] = [_("The receipt time is in the future.")]
    if venue is not None and "received_at" not in errors:
        try:
            registered_on, reply_due = deadlines_for(received_at, venue)
        except CalendarError as exc:
            errors["received_at"] = [str(exc)]
    if errors:
        raise IntakeError(errors)
    return registered_on, reply_due


def register_appeal(data: dict, actor,
                    authorize: Callable[[Venue], None] | None = None) -> IntakeResult:
    """Register an appeal from loaded IntakeSchema data (R4, R11, R25, R29).

    ``authorize(venue)``, when given, is called once the venue is known and may raise to refuse
    (the API's 403). A repeat of an electronic channel's external_id returns the existing appeal
    (created=False). Everything is read and checked first; then the registration number is
    taken and the appeal written. The counter row stays locked from taking the number to the
    commit (R25: no gaps — an intake that fails or rolls back burns no number), so concurrent
    intakes at the venue wait only for the inserts and the commit.
    """
    refs = references(data)
    venue, body, official = refs.venue, refs.body, refs.official
    if authorize is not None and venue is not None:
        authorize(venue)
    if refs.existing_id is not None:
        return IntakeResult(db.session.get(Appeal, refs.existing_id), created=False)
    registered_on, reply_due = check_intake(data, venue, body, official)

    applicant = data["applicant"]
    responsible = choose_responsible(body)
    # From here to the commit the venue's counter row is locked: only writes follow.
    year = registered_on.year
    seq = next_number(venue.code, year)
    appeal = create_item(
        Appeal, title=data["subject"], owner=actor, places=places_of(venue.id, body.id),
        restricted=is_restricted(applicant["citizenship"]), language=applicant["language"],
        emit=False,
        channel=data["channel"], external_id=data.get("external_id"), venue=venue, body=body,
        official=official, received_at=data["received_at"].astimezone(UTC).replace(tzinfo=None),
        registered_on=registered_on, reply_due=reply_due,
        registered_by_id=getattr(actor, "id", None), responsible=responsible,
        registration_year=year, registration_seq=seq,
        registration_number=format_number(venue.code, year, seq), replied_on=None,
        applicant_kind=applicant["kind"], iin=applicant.get("iin"), bin=applicant.get("bin"),
        organization=applicant.get("organization"), last_name=applicant["last_name"],
        first_name=applicant["first_name"], patronymic=applicant.get("patronymic"),
        citizenship=applicant["citizenship"], applicant_language=applicant["language"],
        phone=applicant.get("phone"), email=applicant.get("email"),
        address=applicant.get("address"), subject=data["subject"], text=data["text"],
    )
    log_assignment(appeal, actor, "assigned on registration by the rule (R25)")
    # the rules and listeners of "created" (the catalog indexes the appeal, number included)
    emit("created", appeal, actor, key=f"created:{appeal.uid}")
    db.session.flush()
    return IntakeResult(appeal, created=True)


def register_or_find(data: dict, actor, commit,
                     authorize: Callable[[Venue], None] | None = None) -> IntakeResult:
    """Register, treating a concurrent duplicate (the unique channel+external_id) as a repeat.

    ``commit`` is called to commit; on a unique-key race the loser rolls back (its number with
    it) and returns the winner's appeal. The session's objects are not expired by this commit:
    what was just written is what the caller shows, with no second trip to the database (and
    the connection goes back to the pool with no transaction open).
    """
    try:
        result = register_appeal(data, actor, authorize)
        commit_keeping_objects(commit)
        return result
    except IntegrityError:
        db.session.rollback()
        existing = find_existing(data["channel"], data.get("external_id"))
        if existing is None:
            raise
        return IntakeResult(existing, created=False)


def commit_keeping_objects(commit) -> None:
    """Run ``commit`` without expiring the session's objects (SQLAlchemy's expire_on_commit).

    Only for a transaction whose every write went through the ORM in this session, so the
    objects hold exactly what was committed."""
    session = db.session()
    expire = session.expire_on_commit
    session.expire_on_commit = False
    try:
        commit()
    finally:
        session.expire_on_commit = expire


def redirect(appeal: Appeal, actor, comment: str, body_code: str) -> None:
    """R2-1: send an appeal outside the body's competence to the competent body.

    The history keeps the redirect (from, to, reason); the appeal moves to the new body's
    places and responsible employee, keeping its number and deadlines.
    """
    body = _by_code(Body, body_code)
    if body is None:
        raise IntakeError({"body": [_("No body with the code %(code)s.", code=body_code)]})
    if body.id == appeal.body_id:
        raise IntakeError({"body": [_("The appeal is already with this body.")]})
    transition(appeal, "redirect", actor, comment, body=body.code, from_body=appeal.body.code)
    appeal.body = body
    set_places(appeal, places_of(appeal.venue_id, body.id))
    db.session.flush()
    assign(appeal, choose_responsible(body), actor, f"redirected to {body.code}: {comment}")


# -- the lean intake (the API's POST /appeals): Core statements, no unit of work --------------

@dataclass(frozen=True)
class RefRow:
    """A venue, body, official or user as the lean intake reads it (plain values, no ORM)."""

    id: int
    code: str = ""
    kind: str = ""
    body_id: int | None = None
    timezone: str = ""
    opens: object = None
    closes: object = None
    login: str = ""


@dataclass
class Registered:
    """What the lean intake wrote, with the attributes the API's AppealSchema shows."""

    id: int
    uid: str
    state: str
    channel: str
    external_id: str | None
    venue: RefRow
    body: RefRow
    official: RefRow | None
    responsible: RefRow | None
    received_at: datetime
    registered_on: object
    reply_due: object
    restricted: bool
    subject: str
    registration_number: str
    replied_on: object = None


class CredentialsRefused(Exception):
    """The caller's API token, checked inside the intake's first statement, is revoked or its
    user inactive: nothing was written."""


def lean_references(data: dict, role: str | None = None, token: tuple[str, int] | None = None,
                    conn=None) -> tuple[RefRow | None, RefRow | None, RefRow | None, int | None,
                                        int]:
    """:func:`references` with Core columns: (venue, body, official, existing appeal id, how
    many of the body's holders of ``role`` have no load counter row yet (0 without a role)).
    The same statement reads the calendar overrides' stamp: the request's calendar is then
    the cached one unless an administrator changed a day. ``token``: (the API token's digest,
    its user's id) — the statement also checks that the token is not revoked and its user
    active, and :class:`CredentialsRefused` is raised if not. ``conn``: a
    :class:`~docflow.dbprepared.DriverConnection` to run it on (else the session's)."""
    params, has_official, check_existing = _reference_params(data)
    if token is not None:
        params["token_hash"] = token[0]
    stmt = _lean_references_stmt(has_official, check_existing, role, token is not None)
    row = statements_on(conn).run(stmt, params)
    (v_id, v_code, v_kind, v_body, v_tz, v_opens, v_closes, b_id, b_code, o_id, o_code, o_body,
     existing, calendar_stamp, *more) = row
    if token is not None and more.pop() != token[1]:
        raise CredentialsRefused()
    current_calendar(calendar_stamp, conn)  # this request's: no statement when unchanged
    venue = None if v_id is None else RefRow(v_id, v_code, v_kind, v_body, v_tz, v_opens,
                                             v_closes)
    body = None if b_id is None else RefRow(b_id, b_code)
    official_row = None if o_id is None else RefRow(o_id, o_code, body_id=o_body)
    return venue, body, official_row, existing, (more[0] or 0) if more else 0


@cache
def _lean_references_stmt(with_official: bool, check_existing: bool, role: str | None = None,
                          check_token: bool = False):
    from ..api.core import valid_token_user
    from .load import unloaded_holders

    v, b, o = Venue.__table__, Body.__table__, Official.__table__
    columns = [v.c.id, v.c.code, v.c.kind, v.c.body_id, v.c.timezone, v.c.opens, v.c.closes,
               b.c.id, b.c.code, o.c.id, o.c.code, o.c.body_id]
    stmt = _references_select(columns, with_official, check_existing).add_columns(
        overrides_stamp().label("calendar"))
    if role is not None:
        stmt = stmt.add_columns(unloaded_holders(role, b.c.id).label("unloaded"))
    if check_token:
        stmt = stmt.add_columns(valid_token_user().scalar_subquery().label("token_user"))
    return stmt.execution_options(**PREPARED)  # every intake: kept prepared (docflow.dbprepared)


_APPEAL_PROBE = SimpleNamespace(type="appeal")  # what Rule.matches reads of a new appeal
#: Stands for the number's digits in the catalog words until the statement knows them.
NUMBER_PLACEHOLDER = "zzdocflownumberzz"


def created_rules_match() -> bool:
    """Whether any engine rule runs on a new appeal (they need the ORM appeal and its
    transaction)."""
    from ..engine.core import current_engine
    return any(rule.matches("created", _APPEAL_PROBE, {}) for rule in current_engine().rules)


def register_lean(data: dict, actor, authorize: Callable[[Venue], None] | None = None,
                  token: tuple[str, int] | None = None, conn=None,
                  rules: bool | None = None) -> IntakeResult:
    """:func:`register_appeal` by the lean path (the API intake): the same rules
    (:func:`check_intake`, the assignment rule, the gap-free number), written with Core
    statements — on PostgreSQL: references (1), calendar (1) and ONE statement that takes the
    number, chooses the responsible employee (locking the body's load counter rows), adds to
    their load and writes the item, the appeal, its places, the assignment log and the catalog
    row; on SQLite the choice, the number and each row are statements of their own. On the
    driver connection that statement commits without waiting for the WAL flush (its locks are
    released at once) and a third one waits for the flush before the appeal is answered
    (:data:`~docflow.dbprepared.COMMIT_WITHOUT_WAITING`).

    The result's ``appeal`` is a :class:`Registered` (plain values) when created, the ORM
    Appeal on a repeat. The engine's rules for ``created`` run when any matches (on the ORM
    appeal, loaded for them); the catalog row is written by the insert itself. ``token``: see
    :func:`lean_references` (checked before anything else is decided). ``conn`` (PostgreSQL): a
    :class:`~docflow.dbprepared.DriverConnection` in autocommit that runs the statements.
    ``rules``: :func:`created_rules_match`, when the caller knows it already.
    """
    from ..engine.content import SqlParts, insert_item
    from ..engine.core import current_engine
    from ..engine.rules import fire
    from . import load
    from .assignment import rule_for
    from .numbering import PG_NUMBER_CTE, PG_NUMBER_DIGITS, PG_NUMBER_SEQ, pg_number_params

    rule = rule_for(data["body"])
    least_loaded = rule["strategy"] != "fixed"
    on_pg = dialect_name() == "postgresql"
    venue, body, official, existing_id, unloaded = lean_references(
        data, rule["role"] if least_loaded and on_pg else None, token, conn)
    if authorize is not None and venue is not None:
        authorize(venue)
    if existing_id is not None:
        if conn is not None:  # the session must not take a second connection meanwhile
            return IntakeResult(None, created=False, existing_id=existing_id)
        return IntakeResult(db.session.get(Appeal, existing_id), created=False)
    registered_on, reply_due = check_intake(data, venue, body, official)
    applicant = data["applicant"]
    year = registered_on.year
    received_at = data["received_at"].astimezone(UTC).replace(tzinfo=None)
    restricted = is_restricted(applicant["citizenship"])
    actor_id = getattr(actor, "id", None)
    state = current_engine().workflow_for("appeal").initial
    counts = state in load.open_states_for(body.code)
    if on_pg:
        if least_loaded and unloaded:
            statements_on(conn).run(load.ensure_rows_stmt(rule["role"]), {"body_id": body.id})
        responsible, seq, number = None, 0, f"{venue.code}-{year}-{NUMBER_PLACEHOLDER}"
    else:
        chosen = choose_responsible_row(body)
        responsible = None if chosen is None else RefRow(chosen[0], login=chosen[1])
        seq = next_number(venue.code, year)
        number = format_number(venue.code, year, seq)
    fields = dict(
        channel=data["channel"], external_id=data.get("external_id"), venue_id=venue.id,
        body_id=body.id, official_id=official.id if official else None, received_at=received_at,
        registered_on=registered_on, reply_due=reply_due, registered_by_id=actor_id,
        responsible_id=responsible.id if responsible else None, registration_year=year,
        registration_seq=seq, registration_number=number, replied_on=None,
        applicant_kind=applicant["kind"], iin=applicant.get("iin"), bin=applicant.get("bin"),
        organization=applicant.get("organization"), last_name=applicant["last_name"],
        first_name=applicant["first_name"], patronymic=applicant.get("patronymic"),
        citizenship=applicant["citizenship"], applicant_language=applicant["language"],
        phone=applicant.get("phone"), email=applicant.get("email"),
        address=applicant.get("address"), subject=data["subject"], text=data["text"])
    log = (AssignmentLog.__table__, {
        "user_id": fields["responsible_id"], "by_id": actor_id, "at": utcnow(),
        "reason": "assigned on registration by the rule (R25)"}, "appeal_id")
    sql = params = None
    if on_pg:
        chosen_id = "(SELECT id FROM chosen)"
        sql = SqlParts(
            ctes=(PG_NUMBER_CTE, *load.pg_choose_and_bump_ctes(rule, counts)),
            values=(("registration_seq", PG_NUMBER_SEQ),
                    ("registration_number", f"(CAST(:n_prefix AS VARCHAR) || {PG_NUMBER_DIGITS})"),
                    ("responsible_id", chosen_id),
                    # each value bound once (psycopg's query cache, see insert_item): the
                    # appeal's copies of the item's, the number's and the choice's values
                    ("registration_year", "CAST(:n_year AS INTEGER)"),
                    ("body_id", "CAST(:a_body AS INTEGER)"),
                    ("registered_by_id", "owner_id"), ("subject", "title"),
                    ("applicant_language", "language"), ("replied_on", "NULL")),
            extra_values=((0, "user_id", chosen_id), (0, "by_id", "owner_id"),
                          (0, "at", "created_at")),
            words=(NUMBER_PLACEHOLDER, PG_NUMBER_DIGITS),
            returning=(PG_NUMBER_SEQ, chosen_id, "(SELECT login FROM chosen)",
                       # its own transaction (autocommit): the number's lock is not held while
                       # the WAL is flushed, wait_durable() below waits for that instead
                       *((COMMIT_WITHOUT_WAITING,) if conn is not None else ())))
        params = {**pg_number_params(venue.code, year), "n_prefix": f"{venue.code}-{year}-",
                  "a_body": body.id, "a_role": rule.get("role"), "a_login": rule.get("login")}
    item_id, row = insert_item(Appeal, title=data["subject"], owner=actor,
                               places=places_of(venue.id, body.id), restricted=restricted,
                               language=applicant["language"], fields=fields, extra=[log],
                               sql=sql, params=params, conn=conn)
    if conn is not None:
        conn.wait_durable()  # before anything is answered: the appeal and its number on disk
    if on_pg:
        seq, chosen_id, login = row["returned"][:3]
        number = format_number(venue.code, year, seq)
        responsible = None if chosen_id is None else RefRow(chosen_id, login=login)
    elif counts and responsible is not None:
        load.bump(db.session.connection(), body.id, responsible.id, state)
    if created_rules_match() if rules is None else rules:
        appeal = db.session.get(Appeal, item_id)
        fire("created", appeal, actor, key=f"created:{appeal.uid}")
    return IntakeResult(Registered(
        id=item_id, uid=row["uid"], state=row["state"], channel=data["channel"],
        external_id=data.get("external_id"), venue=venue, body=body, official=official,
        responsible=responsible, received_at=received_at, registered_on=registered_on,
        reply_due=reply_due, restricted=restricted, subject=data["subject"],
        registration_number=number), created=True)


def settle_session() -> None:
    """Commit what the session holds before the driver path runs (a token's last use recorded,
    a connection opened to check the token), keeping the session's objects (the caller)
    loaded; nothing when it holds nothing."""
    if _session_holds_anything():
        commit_keeping_objects(db.session.commit)


def _session_holds_anything() -> bool:
    """Whether the session has changes or a database connection in a transaction (False
    before anything in this request made the session)."""
    if not db.session.registry.has():
        return False
    session = db.session()
    transaction = session.get_transaction()
    return bool(session.new or session.dirty or session.deleted or (
        transaction is not None and getattr(transaction, "_connections", True)))


def register_or_find_lean(data: dict, actor, commit,
                          authorize: Callable[[Venue], None] | None = None,
                          token: tuple[str, int] | None = None,
                          rules: bool | None = None) -> IntakeResult:
    """:func:`register_or_find` on the lean path: a concurrent duplicate (the unique
    channel+external_id) rolls back, its number with it, and answers with the winner's appeal.
    ``token``: see :func:`lean_references`; ``rules``: :func:`created_rules_match`, if known.

    On PostgreSQL, unless an engine rule runs on new appeals, the statements run on a pooled
    connection of their own in autocommit mode (:func:`docflow.dbprepared.driver_connection`):
    each its own transaction, so the venue's number stays locked only while the one writing
    statement runs and commits — no round trip to the client between the number and the
    commit, nor the wait for the disk — and no BEGIN or COMMIT round trip is spent."""
    rules = created_rules_match() if rules is None else rules
    try:
        if dialect_name() == "postgresql" and not rules:
            settle_session()
            with driver_connection() as conn:
                result = register_lean(data, actor, authorize, token, conn, rules)
            if result.existing_id is not None:
                result = IntakeResult(db.session.get(Appeal, result.existing_id), created=False)
            if _session_holds_anything():  # the calendar's or a repeat's reading, say
                commit()
            return result
        result = register_lean(data, actor, authorize, token, rules=rules)
        commit()
        return result
    except IntegrityError:
        db.session.rollback()
        existing = find_existing(data["channel"], data.get("external_id"))
        if existing is None:
            raise
        return IntakeResult(existing, created=False)
