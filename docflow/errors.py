"""Error pages for people and problem+json (RFC 9457) for the API: never a stack trace."""
import logging

from flask import jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from .extensions import db

log = logging.getLogger(__name__)


def wants_problem_json() -> bool:
    return request.path.startswith("/api/") or (
        request.accept_mimetypes.best == "application/json")


def problem(status: int, title: str, detail: str = "", **extra):
    body = {"type": "about:blank", "status": status, "title": title, "detail": detail, **extra}
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


def _render(status: int, title: str, detail: str):
    if wants_problem_json():
        return problem(status, title, detail)
    return render_template("errors/error.html", status=status, title=title, detail=detail), status


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
        detail = exc.description if exc.code in (409, 422) else ""
        return _render(exc.code or 500, title, detail)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        if isinstance(exc, HTTPException):
            return _http(exc)
        db.session.rollback()
        log.exception("unhandled error on %s %s", request.method, request.path)
        return _render(InternalServerError.code, _("Something went wrong"),
                       _("The error has been logged. Nothing was saved; please try again."))
