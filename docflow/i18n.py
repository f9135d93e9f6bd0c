"""Locale and time-zone selection, and the date/time filters every page uses.

Order: ``?lang=`` (remembered in the session and, when signed in, on the user), the user's saved
choice, the session, the browser's Accept-Language, then Kazakh (the state language).
"""
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app, has_request_context, request, session
from flask_babel import format_date, format_datetime, get_locale, refresh
from flask_babel import gettext as flask_gettext
from flask_login import current_user

from .extensions import babel, db

LANGUAGE_NAMES = {"kk": "Қазақша", "ru": "Русский", "en": "English"}


def N_(msgid: str) -> str:
    """Marks a message for extraction (``pybabel -k N_``) where it is stored, not shown: a job's
    title, a notification's subject. It is translated where it is shown (``_(stored)``)."""
    return msgid


def select_locale() -> str:
    if not has_request_context():  # jobs and commands: the state language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    languages = current_app.config["LANGUAGES"]
    asked = request.args.get("lang")
    if asked in languages:
        session["lang"] = asked
        if current_user.is_authenticated and getattr(current_user, "language", None) != asked:
            current_user.language = asked
            db.session.commit()
        return asked
    if current_user.is_authenticated and getattr(current_user, "language", None) in languages:
        return current_user.language
    if session.get("lang") in languages:
        return session["lang"]
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    return current_app.config["VENUE_TIMEZONE"]


def local_datetime(value: datetime, tz: str | None = None) -> datetime:
    """A stored UTC datetime in the venue's zone (Asia/Almaty is UTC+5 since 2024-03-01)."""
    zone = ZoneInfo(tz or current_app.config["VENUE_TIMEZONE"])
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo("UTC"))
    return value.astimezone(zone)


def init_app(app) -> None:
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    # The locale is cached on the app context; a context shared by several requests (tests,
    # streamed responses) must choose again for each request.
    app.before_request(refresh)

    @app.template_filter("date")
    def _date(value: date | str | None, fmt: str = "medium") -> str:
        if isinstance(value, str) and value:  # an ISO date from an API-shaped dict
            value = date.fromisoformat(value)
        return format_date(value, fmt) if value else ""

    @app.template_filter("day_reason")
    def _day_reason(value: date | str, reason: str | None) -> str:
        from .calendar.labels import day_reason
        return day_reason(value, reason)

    @app.template_filter("translated")
    def _translated(value: str | None) -> str:
        """A message stored untranslated (marked with N_), in the reader's language; any other
        text unchanged. No %-formatting: a stored title may contain a per cent sign."""
        return flask_gettext(value) if value else ""

    @app.template_filter("datetime")
    def _datetime(value: datetime | None, fmt: str = "medium") -> str:
        return format_datetime(value, fmt) if value else ""

    @app.context_processor
    def _languages():
        return {"language_names": LANGUAGE_NAMES, "current_locale": str(get_locale())}
