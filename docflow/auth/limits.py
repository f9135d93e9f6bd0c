"""Sign-in throttling by client address (Flask-Limiter).

Counters live in memory in the embedded mode and in Redis in production
(``RATELIMIT_STORAGE_URI``, defaulting to ``REDIS_URL``), so every web process counts the same
attempts. The account lockout (operations.sign_in_failed) is the second line: it stops slow
guessing of one account from many addresses.
"""
from flask import current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

limiter = Limiter(key_func=get_remote_address, default_limits=[])


def login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]
