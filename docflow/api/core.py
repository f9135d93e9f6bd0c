"""The API v1 object, its authentication and its problem+json errors (DESIGN §5, contract)."""
import http
import time
from functools import wraps

import marshmallow as ma
from flask import current_app, g, request
from flask_babel import gettext as _
from flask_smorest import Api
from flask_smorest import abort as smorest_abort
from flask_smorest.utils import prepare_response
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from ..auth.models import ApiToken, RoleAssignment, User
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


#: How long a checked token is trusted without asking the database (config
#: API_TOKEN_CACHE_SECONDS): a revoked token, a deactivated user or a changed role takes effect
#: within this time in every worker. Per process; only valid tokens are kept.
TOKEN_CACHE_SECONDS = 1.0
_token_cache: dict[str, tuple[float, tuple]] = {}
_TOKEN_CACHE_MAX = 1000


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


def find_token_user(token: str) -> User | None:
    """The active user of a valid bearer token, trusted for TOKEN_CACHE_SECONDS once checked."""
    ttl = current_app.config.get("API_TOKEN_CACHE_SECONDS", TOKEN_CACHE_SECONDS)
    if not ttl:
        return ApiToken.find_user(token)
    now = time.monotonic()
    key = ApiToken.digest(token)
    cached = _token_cache.get(key)
    if cached is not None and cached[0] > now:
        return _rebuild(cached[1])
    user = ApiToken.find_user(token)
    if user is None:
        _token_cache.pop(key, None)
        return None
    if len(_token_cache) >= _TOKEN_CACHE_MAX:
        _token_cache.clear()
    _token_cache[key] = (now + ttl, _snapshot(user))
    return user


def token_required(view):
    """Bearer-token authentication: the API never uses the session cookie, so no CSRF."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        header = request.headers.get("Authorization", "")
        scheme, _sep, token = header.partition(" ")
        user = find_token_user(token.strip()) if scheme.lower() == "bearer" and token else None
        if user is None:
            smorest_abort(401, message=_("A valid bearer token is required."),
                          headers={"WWW-Authenticate": 'Bearer realm="docflow"'})
        g.api_user = user
        return view(*args, **kwargs)
    return wrapper
