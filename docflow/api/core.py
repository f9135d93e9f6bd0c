"""The API v1 object, its authentication and its problem+json errors (DESIGN §5, contract)."""
from functools import wraps

import marshmallow as ma
from flask import g, request
from flask_babel import gettext as _
from flask_smorest import Api
from flask_smorest import abort as smorest_abort

from ..auth.models import ApiToken
from ..errors import flatten_errors  # noqa: F401  (re-exported for the API modules)

PREFIX = "/api/v1"


class ProblemSchema(ma.Schema):
    """RFC 9457 problem details; `errors` names each invalid field by its dotted path."""

    type = ma.fields.String()
    status = ma.fields.Integer(required=True)
    title = ma.fields.String(required=True)
    detail = ma.fields.String()
    errors = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.List(ma.fields.String()))


class DocflowApi(Api):
    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self):
        """docflow.errors handles every error, as problem+json under /api/ (one place)."""


api = DocflowApi()


def invalid(errors: dict[str, list[str]], detail: str | None = None):
    """Abort with 422 naming the invalid fields."""
    smorest_abort(422, errors=errors, message=detail or _("The request has invalid fields."))


def token_required(view):
    """Bearer-token authentication: the API never uses the session cookie, so no CSRF."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        header = request.headers.get("Authorization", "")
        scheme, _sep, token = header.partition(" ")
        user = ApiToken.find_user(token.strip()) if scheme.lower() == "bearer" and token else None
        if user is None:
            smorest_abort(401, message=_("A valid bearer token is required."),
                          headers={"WWW-Authenticate": 'Bearer realm="docflow"'})
        g.api_user = user
        return view(*args, **kwargs)
    return wrapper
