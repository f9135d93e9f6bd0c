"""Error pages for people and problem+json (RFC 9457) for the API: never a stack trace."""
import logging
import uuid

from flask import jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, InternalServerError

from .extensions import db

log = logging.getLogger(__name__)


def flatten_errors(messages, prefix: str = "") -> dict[str, list[str]]:
    """{'applicant': {'iin': ['bad']}} -> {'applicant.iin': ['bad']} (webargs nests by location)."""
    flat: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            if key in ("json", "query", "form", "path", "headers") and not prefix:
                name = ""
            elif key == "_schema":
                name = prefix or "body"
            else:
                name = f"{prefix}.{key}" if prefix else str(key)
            for k, v in flatten_errors(value, name).items():
                flat.setdefault(k, []).extend(v)
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        flat[prefix or "body"] = list(messages)
    elif isinstance(messages, list):
        for index, item in enumerate(messages):
            for k, v in flatten_errors(item, f"{prefix}.{index}" if prefix else str(index)).items():
                flat.setdefault(k, []).extend(v)
    else:
        flat[prefix or "body"] = [str(messages)]
    return flat


def wants_problem_json() -> bool:
    return request.path.startswith("/api/") or (
        request.accept_mimetypes.best == "application/json")


def problem(status: int, title: str, detail: str = "", errors: dict | None = None,
            headers: dict | None = None, reference: str | None = None):
    body = {"type": "about:blank", "status": status, "title": title, "detail": detail}
    if errors:
        body["errors"] = errors
    if reference:
        body["reference"] = reference
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    response.headers.update(headers or {})
    return response


def _render(status: int, title: str, detail: str, errors: dict | None = None,
            headers: dict | None = None, reference: str | None = None):
    if wants_problem_json():
        return problem(status, title, detail, errors, headers, reference)
    return render_template("errors/error.html", status=status, title=title, detail=detail,
                           errors=errors, reference=reference), status, headers or {}


def is_database_unavailable(exc: BaseException) -> bool:
    """A lost or refused database connection (a restart, a failover, a full pool)."""
    if isinstance(exc, PoolTimeout):
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, OperationalError):
        from .jobs.outbox import is_transient
        return is_transient(exc)
    return False


def init_app(app) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(exc):
        return _render(400, _("The form has expired"),
                       _("Please reload the page and submit the form again."))

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        titles = {
            400: _("Bad request"), 401: _("Sign-in required"), 403: _("Access denied"),
            404: _("Not found"), 405: _("Method not allowed"), 409: _("Conflict"),
            413: _("The file is too large"), 422: _("Invalid input"),
            429: _("Too many requests"),
        }
        title = titles.get(exc.code, exc.name)
        # flask-smorest / webargs put the message, field errors and headers in exc.data
        data = getattr(exc, "data", None) or {}
        # A description docflow wrote (not werkzeug's stock English text) is for the reader.
        own = exc.description and exc.description != type(exc).description
        detail = str(data.get("message") or (exc.description if exc.code in (409, 422) or own
                                             else ""))
        raw = data.get("errors") or data.get("messages")
        errors = flatten_errors(raw) if raw else None
        return _render(exc.code or 500, title, detail, errors, data.get("headers"))

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        if isinstance(exc, HTTPException):
            return _http(exc)
        if is_database_unavailable(exc):
            # R39.4: the database restarting or unreachable is not a bug; nothing was saved and
            # the same request (the same external_id for an intake) may be sent again.
            try:
                db.session.rollback()
            except Exception:  # noqa: BLE001 - the connection is gone; the pool replaces it
                db.session.remove()
            log.warning("database unavailable on %s %s: %s", request.method, request.path,
                        str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
            title = _("The service is temporarily unavailable")
            detail = _("The database cannot be reached. Nothing was saved; please try again "
                       "in a moment.")
            try:
                return _render(503, title, detail, headers={"Retry-After": "5"})
            except Exception:  # noqa: BLE001 - the page itself needed the database
                return problem(503, title, detail, headers={"Retry-After": "5"})
        db.session.rollback()
        # The reader gets a reference to quote; the trace goes to the log under it, never out.
        reference = uuid.uuid4().hex[:12]
        log.exception("unhandled error %s on %s %s", reference, request.method, request.path)
        return _render(InternalServerError.code, _("Something went wrong"),
                       _("The error has been logged. Nothing was saved; please try again."),
                       reference=reference)
