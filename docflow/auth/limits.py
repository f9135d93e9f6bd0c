"""Sign-in throttling (Flask-Limiter): per login and address, and per address.

Two limits apply to every sign-in POST:

* ``LOGIN_RATE_LIMIT`` counts the attempts on one login from one client address: it stops
  hammering one account, without one person's typos blocking the colleagues who share an office's
  address (a reception center behind one NAT address signs dozens of employees in at 09:00);
* ``LOGIN_ADDRESS_RATE_LIMIT``, higher, counts every attempt from one address, whatever the
  login: it stops one address spraying a password over many logins.

Counters live in memory in the embedded mode and in Redis in production
(``RATELIMIT_STORAGE_URI``, defaulting to ``REDIS_URL``), so every web process counts the same
attempts. The account lockout (operations.sign_in_failed) is the third line: it stops slow
guessing of one account from many addresses.
"""
from flask import current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address


class _Limiter(Limiter):
    """Flask-Limiter, asking its request filter (:func:`_not_limited`) first: its check before
    every request otherwise builds the request's list of limits before it asks the filter
    (0.15 ms of every API call, for limits that only the sign-in form has)."""

    def _check_request_limit(self, callable_name=None, in_middleware=True):
        if in_middleware and _not_limited():
            return None
        return super()._check_request_limit(callable_name, in_middleware)


limiter = _Limiter(key_func=get_remote_address, default_limits=[])


def login_and_address() -> str:
    """The limiter key of one login (as typed, case-folded) from one client address."""
    login = (request.form.get("login") or "").strip().casefold()[:64]
    return f"{get_remote_address()}|{login}"


def login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def address_limit() -> str:
    return current_app.config["LOGIN_ADDRESS_RATE_LIMIT"]


@limiter.request_filter
def _not_limited() -> bool:
    """The API and static files have no limits: skip Flask-Limiter's per-request evaluation
    (the limits are on the sign-in form; API clients authenticate with a token, no password)."""
    return request.path.startswith(("/api/", "/static/"))
