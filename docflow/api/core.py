"""The API v1 object, its authentication and its problem+json errors (DESIGN §5, contract)."""
import http
from functools import wraps

import marshmallow as ma
from flask import g, request
from flask_babel import gettext as _
from flask_smorest import Api
from flask_smorest import abort as smorest_abort
from flask_smorest.utils import prepare_response

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
