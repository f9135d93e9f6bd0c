"""Locale and time-zone selection, and the date/time filters every page uses.

Order: ``?lang=`` (remembered in the session and, when signed in, on the user), the user's saved
choice, the session, the browser's Accept-Language, then Kazakh (the state language).
"""
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from babel import dates as babel_dates
from flask import current_app, has_app_context, has_request_context, request, session
from flask.globals import _cv_app
from flask_babel import (
    Domain,
    format_date,
    format_datetime,
    get_locale,
    get_timezone,
    get_translations,
    refresh,
)
from flask_babel import gettext as flask_gettext
from flask_login import current_user
from jinja2 import pass_eval_context
from markupsafe import Markup

from .extensions import babel, db

LANGUAGE_NAMES = {"kk": "Қазақша", "ru": "Русский", "en": "English"}
DEFAULT_TIMEZONE = "Asia/Almaty"  # VENUE_TIMEZONE's default (config.py), outside an app context


def N_(msgid: str) -> str:
    """Marks a message for extraction (``pybabel -k N_``) where it is stored, not shown: a job's
    title, a notification's subject. It is translated where it is shown (``_(stored)``)."""
    return msgid


class MemoDomain(Domain):
    """flask-babel's message domain, finding its catalog once per locale.

    flask-babel looks the catalog up anew for every message (``g`` through its proxy, the
    domain, the locale, the cache key): about 800 proxy lookups on a page of 60 messages, a
    sixth of a worklist's CPU. This domain keeps the catalog on flask-babel's own per-context
    namespace next to the locale object it belongs to; ``refresh()`` and ``force_locale()``
    replace that object, so a new locale is never served the old catalog."""

    def get_translations(self):
        app_ctx = _cv_app.get(None)
        ns = app_ctx.g.__dict__.get("_flask_babel") if app_ctx is not None else None
        locale = getattr(ns, "babel_locale", None)
        if locale is not None:
            memo = getattr(ns, "docflow_translations", None)
            if memo is not None and memo[0] is locale and memo[1] is self:
                return memo[2]
        translations = super().get_translations()
        ns = app_ctx.g.__dict__.get("_flask_babel") if app_ctx is not None else None
        if getattr(ns, "babel_locale", None) is not None:
            ns.docflow_translations = (ns.babel_locale, self, translations)
        return translations


def current_translations():
    """The catalog of the current locale (the templates' ``_()``): the context's domain asked
    directly, without flask-babel's lookups on the way to it."""
    app_ctx = _cv_app.get(None)
    ns = app_ctx.g.__dict__.get("_flask_babel") if app_ctx is not None else None
    domain = getattr(ns, "babel_domain", None)
    return domain.get_translations() if domain is not None else get_translations()


@pass_eval_context
def template_gettext(eval_ctx, string: str, **variables) -> str:
    """The templates' ``_()``: what Jinja's newstyle gettext gives — the message translated,
    markup when the template autoescapes, %-formatted with ``variables`` — in one call where
    Jinja's alias takes three (``_`` → ``gettext`` → the catalog, each through the context's
    call dispatch, then ``% {}`` on every message); a page says ``_()`` fifty times. A message
    without a per cent sign and without variables is the same text formatted or not."""
    rv = current_translations().ugettext(string)
    if eval_ctx.autoescape:
        rv = Markup(rv)
    return rv % variables if variables or "%" in rv else rv


def format_day(value: date, fmt: str = "medium", locale: str | None = None) -> str:
    """``flask_babel.format_date`` of a calendar day in the current locale, remembered per
    process: a day, a format and a locale always give the same text (docflow sets no custom
    ``date_formats``), and a list page prints a hundred days (Babel works each one out anew).
    ``locale``: ``str(get_locale())`` when the caller already has it (a loop over rows)."""
    if isinstance(value, datetime):  # a datetime is moved to the user's zone first: not kept
        return format_date(value, fmt)
    key = (value, fmt, locale or str(get_locale()))
    text = _DAYS.get(key)
    if text is None:
        text = format_date(value, fmt)
        if len(_DAYS) < MAX_DAYS:
            _DAYS[key] = text
    return text


MAX_DAYS = 20_000  # about nine years of days in three languages
_DAYS: dict[tuple[date, str, str], str] = {}


def format_moment(value: datetime, fmt: str = "medium") -> str:
    """``flask_babel.format_datetime`` (the moment in the user's zone), made of parts that are
    remembered: the day (:func:`format_day`), the time of day and the locale's pattern joining
    them, as Babel joins them. A case's history prints a moment per row, and Babel works each
    one out anew. Only the ``medium`` and ``short`` forms (no zone name in them); others are
    passed to flask-babel."""
    if fmt not in ("medium", "short"):
        return format_datetime(value, fmt)
    locale = get_locale()
    name = str(locale)
    local = (value if value.tzinfo is not None else value.replace(tzinfo=UTC)).astimezone(
        get_timezone())
    key = (local.hour, local.minute, local.second, fmt, name)
    clock = _TIMES.get(key)
    if clock is None:
        clock = babel_dates.format_time(local, fmt, tzinfo=None, locale=locale)
        if len(_TIMES) < MAX_DAYS:
            _TIMES[key] = clock
    pattern = _PATTERNS.get((fmt, name))
    if pattern is None:
        pattern = _PATTERNS[(fmt, name)] = babel_dates.get_datetime_format(
            fmt, locale=locale).replace("'", "")
    return pattern.replace("{0}", clock).replace("{1}", format_day(local.date(), fmt, name))


_TIMES: dict[tuple[int, int, int, str, str], str] = {}
_PATTERNS: dict[tuple[str, str], str] = {}


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


def utc_now() -> datetime:
    """The current moment (aware, UTC): the one clock the venue's date is read from, so a test
    can pin it (monkeypatch ``docflow.i18n.utc_now``)."""
    return datetime.now(UTC)


def venue_zone_name(tz: str | None = None) -> str:
    """``tz``, else the app's ``VENUE_TIMEZONE``, else (no app context: a unit test, a script)
    Asia/Almaty."""
    if tz:
        return tz
    if has_app_context():
        return current_app.config["VENUE_TIMEZONE"]
    return DEFAULT_TIMEZONE


def local_datetime(value: datetime, tz: str | None = None) -> datetime:
    """A stored UTC datetime (naive means UTC) in the venue's zone ``tz`` (default
    VENUE_TIMEZONE; Asia/Almaty is UTC+5 since 2024-03-01)."""
    zone = ZoneInfo(venue_zone_name(tz))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(zone)


def local_now(tz: str | None = None) -> datetime:
    """Now in the venue's zone ``tz`` (VENUE_TIMEZONE by default), aware."""
    return local_datetime(utc_now(), tz)


def local_today(tz: str | None = None) -> date:
    """Today's date in the venue's zone ``tz`` (VENUE_TIMEZONE by default): the business day
    for deadlines, "overdue", reception days and report dates. The server runs in UTC, and from
    19:00 UTC it is already tomorrow in Kazakhstan, so never ``date.today()``."""
    return local_now(tz).date()


def init_app(app) -> None:
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    # every gettext (views, lazy strings, templates) reaches its catalog through this domain
    babel.domain_instance = MemoDomain(domain=app.config.get("BABEL_DOMAIN", "messages"))
    # The locale is cached on the app context; a context shared by several requests (tests,
    # streamed responses) must choose again for each request.
    app.before_request(refresh)
    # the templates' _() and ngettext(): the same catalogs as flask-babel's, found once per locale
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: current_translations().ugettext(s),
        ngettext=lambda s, p, n: current_translations().ungettext(s, p, n),
        pgettext=lambda c, s: current_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: current_translations().unpgettext(c, s, p, n),
        newstyle=True)
    app.jinja_env.globals.update(_=template_gettext, gettext=template_gettext)

    @app.template_filter("date")
    def _date(value: date | str | None, fmt: str = "medium") -> str:
        if isinstance(value, str) and value:  # an ISO date from an API-shaped dict
            value = date.fromisoformat(value)
        return format_day(value, fmt) if value else ""

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
        return format_moment(value, fmt) if value else ""

    @app.context_processor
    def _languages():
        return {"language_names": LANGUAGE_NAMES, "current_locale": str(get_locale())}
