"""Signing out a browser session that has been idle longer than ``SESSION_IDLE_MINUTES``.

Only cookie sessions are concerned: API clients send a bearer token on every request and never
have a session. The time of the last request is kept in the (signed) session cookie, to the
minute: it is written again (and the cookie signed and sent again) at most once a minute, not on
every page.
"""
import time

from flask import abort, current_app, flash, redirect, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext as _
from flask_login import logout_user

from ..errors import wants_problem_json

SEEN = "_seen"
#: how stale the session's last-activity time may be before a request writes it again
SEEN_RESOLUTION = 60


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the cookie's signer built once per secret key
    instead of on every request (Flask builds it for every request, with or without a cookie:
    a fifth of a millisecond of each API call). Same cookies, same keys and fallbacks."""

    _signers: dict = {}

    def get_signing_serializer(self, app):
        if not app.secret_key:
            return None
        key = (id(app), app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        signer = self._signers.get(key)
        if signer is None:
            if len(self._signers) > 16:
                self._signers.clear()
            signer = self._signers[key] = super().get_signing_serializer(app)
        return signer


def mark_active() -> None:
    session[SEEN] = int(time.time())


def check_idle():
    """before_request: sign out an idle session; the next page asks to sign in again."""
    if request.path.startswith(("/api/", "/static/")) or "_user_id" not in session:
        return None
    minutes = current_app.config.get("SESSION_IDLE_MINUTES") or 0
    now = int(time.time())
    last = session.get(SEEN)
    if minutes and last is not None and now - int(last) > minutes * 60:
        logout_user()
        session.pop(SEEN, None)
        message = _("You were signed out after %(n)d minutes without activity. "
                    "Please sign in again.", n=minutes)
        if wants_problem_json():
            abort(401, description=message)
        flash(message, "info")
        target = request.full_path.rstrip("?") if request.method == "GET" else None
        return redirect(url_for("auth.login", next=target))
    if last is None or now - int(last) >= SEEN_RESOLUTION:
        session[SEEN] = now
    return None
