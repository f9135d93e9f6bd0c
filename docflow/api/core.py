"""The API v1 object, its authentication and its problem+json errors (DESIGN §5, contract)."""
import http
import time
from functools import cache, wraps

import marshmallow as ma
from flask import current_app, g, request
from flask_babel import gettext as _
from flask_smorest import Api
from flask_smorest import abort as smorest_abort
from flask_smorest.utils import prepare_response
from sqlalchemy import bindparam, select
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from werkzeug.exceptions import HTTPException

from ..auth.models import ApiToken, RoleAssignment, User
from ..dbprepared import PREPARED
from ..errors import flatten_errors  # noqa: F401  (re-exported for the API modules)

PREFIX = "/api/v1"


class ProblemSchema(ma.Schema):
    """RFC 9457 problem details; `errors` names each invalid field by its dotted path."""

    type = ma.fields.String()
    status = ma.fields.Integer(required=True)
    title = ma.fields.String(required=True)
    detail = ma.fields.String()
    errors = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.List(ma.fields.String()))


PROBLEM_JSON = "application/problem+json"


class DocflowApi(Api):
    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self):
        """docflow.errors handles every error, as problem+json under /api/ (one place)."""

    def _register_responses(self):
        """The error responses are described as sent: application/problem+json (RFC 9457)."""
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec,
                             PROBLEM_JSON if status >= 400 else self.DEFAULT_RESPONSE_CONTENT_TYPE)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Default error response", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_JSON)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)


api = DocflowApi()


def invalid(errors: dict[str, list[str]], detail: str | None = None):
    """Abort with 422 naming the invalid fields."""
    smorest_abort(422, errors=errors, message=detail or _("The request has invalid fields."))


#: How long a token's user (its columns and roles, as a snapshot) is reused without loading it
#: again (config API_TOKEN_CACHE_SECONDS): a changed role or name takes effect within this time
#: in every worker. Per process; only valid tokens are kept. Whether the token is still valid
#: (not revoked, its user active) is asked of the database on EVERY request: a revocation or a
#: deactivation takes effect at once — by one small statement (:func:`token_still_valid`), or,
#: for the intake, inside its own first statement (see :func:`token_required`).
TOKEN_CACHE_SECONDS = 1.0
_token_cache: dict[str, tuple[float, tuple, "ApiActor"]] = {}
_TOKEN_CACHE_MAX = 1000


class ApiActor:
    """The caller as the lean intake needs it before (or without) an ORM User: the id and the
    engine's Principal (roles, clearances), from the token cache's snapshot."""

    __slots__ = ("id", "principal")

    def __init__(self, user_id: int, principal):
        self.id = user_id
        self.principal = principal


def _snapshot(user: User) -> tuple:
    """The user's and its roles' column values: what a later request rebuilds the user from."""
    return ({c.key: getattr(user, c.key) for c in User.__table__.columns},
            [{c.key: getattr(r, c.key) for c in RoleAssignment.__table__.columns}
             for r in user.roles])


def _rebuild(snapshot: tuple) -> User:
    """A User (with its roles) in this request's session, from a snapshot: no SQL. The object
    is the session's own, as if just loaded (one already in the session is used instead)."""
    from ..extensions import db

    columns, role_rows = snapshot
    session = db.session()
    known = session.identity_map.get(session.identity_key(User, columns["id"]))
    if known is not None:
        return known
    user = User(**columns)
    make_transient_to_detached(user)
    roles = []
    for row in role_rows:
        role = RoleAssignment(**row)
        make_transient_to_detached(role)
        set_committed_value(role, "user", user)
        roles.append(role)
    set_committed_value(user, "roles", roles)
    session.add(user)
    return user


def valid_token_user():
    """The user id of the token whose digest is bound as ``token_hash``, if it is not revoked
    and its user is active (a select; the lean intake adds it to its first statement)."""
    return (select(ApiToken.user_id).join(User, User.id == ApiToken.user_id)
            .where(ApiToken.token_hash == bindparam("token_hash"), ApiToken.revoked_at.is_(None),
                   User.active.is_(True)))


@cache
def _valid_token_stmt():
    """:func:`valid_token_user` as a statement of its own, kept prepared (docflow.dbprepared)."""
    return valid_token_user().execution_options(**PREPARED)


def token_still_valid(digest: str, user_id: int) -> bool:
    """Whether the token (by its digest) is not revoked and its user, ``user_id``, is active:
    one indexed lookup, on every request that uses a cached token."""
    from ..extensions import db

    found = db.session.connection().execute(_valid_token_stmt(),
                                            {"token_hash": digest}).scalar()
    if found != user_id:
        _token_cache.pop(digest, None)
        return False
    return True


def _cached(digest: str):
    entry = _token_cache.get(digest)
    if entry is not None and entry[0] > time.monotonic():
        return entry
    return None


def find_token_user(token: str) -> User | None:
    """The active user of a valid bearer token (checked in the database now); its columns and
    roles are loaded at most every API_TOKEN_CACHE_SECONDS."""
    ttl = current_app.config.get("API_TOKEN_CACHE_SECONDS", TOKEN_CACHE_SECONDS)
    if not ttl:
        return ApiToken.find_user(token)
    key = ApiToken.digest(token)
    cached = _cached(key)
    if cached is not None:
        return _rebuild(cached[1]) if token_still_valid(key, cached[2].id) else None
    return _load(token, key, ttl)


def _load(token: str, key: str, ttl: float) -> User | None:
    """The full check (:meth:`ApiToken.find_user`, which records the token's use), cached."""
    from ..engine.security import principal_for

    user = ApiToken.find_user(token)
    if user is None:
        _token_cache.pop(key, None)
        return None
    if len(_token_cache) >= _TOKEN_CACHE_MAX:
        _token_cache.clear()
    _token_cache[key] = (time.monotonic() + ttl, _snapshot(user),
                         ApiActor(user.id, principal_for(user)))
    return user


def api_user() -> User:
    """The caller as an ORM User (built from the token cache's snapshot when the view was
    given an :class:`ApiActor`)."""
    user = g.get("api_user")
    if user is None:
        user = g.api_user = _rebuild(g.api_token_snapshot)
    return user


def token_required(view=None, *, checked_by_view: tuple[str, ...] = ()):
    """Bearer-token authentication: the API never uses the session cookie, so no CSRF.

    ``checked_by_view`` (HTTP methods): with a cached token the view gets ``g.api_actor`` (an
    :class:`ApiActor`, no ORM object) and ``g.api_token_digest``, and must itself ask the
    database whether the token is still valid in its first statement (the intake's references
    statement does) and answer 401 if not. An error answered before that (the body's 400 or
    422) asks first: a revoked token gets 401 whatever it sends."""
    if view is None:
        return lambda v: token_required(v, checked_by_view=checked_by_view)

    @wraps(view)
    def wrapper(*args, **kwargs):
        header = request.headers.get("Authorization", "")
        scheme, _sep, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            unauthorized()
        ttl = current_app.config.get("API_TOKEN_CACHE_SECONDS", TOKEN_CACHE_SECONDS)
        deferred = request.method in checked_by_view and ttl
        cached = _cached(digest := ApiToken.digest(token)) if deferred else None
        if cached is None:
            user = find_token_user(token)
            if user is None:
                unauthorized()
            g.api_user = g.api_actor = user
            g.api_token_digest = None  # checked just now
            return view(*args, **kwargs)
        g.api_actor, g.api_token_digest, g.api_token_snapshot = cached[2], digest, cached[1]
        try:
            return view(*args, **kwargs)
        except HTTPException as exc:
            if exc.code in (400, 422) and not token_still_valid(digest, cached[2].id):
                unauthorized()
            raise
    return wrapper


def forget_token(digest: str) -> None:
    _token_cache.pop(digest, None)


def unauthorized():
    smorest_abort(401, message=_("A valid bearer token is required."),
                  headers={"WWW-Authenticate": 'Bearer realm="docflow"'})
