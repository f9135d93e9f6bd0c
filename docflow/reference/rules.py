"""The rules reference data obeys, in one place: the admin forms and the CSV import call them.

Each check returns a message for people (or None), so a form can put it next to its field and
the importer can put it after a line number.
"""
import re
from datetime import time
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from flask_babel import gettext as _

from ..reception.identity import IdentityError, validate_bin

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")
TIME_RE = re.compile(r"^(\d{1,2}):(\d{2})$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
URL_RE = re.compile(r"^https?://[^\s/]+\.[^\s]+$", re.IGNORECASE)

DEFAULT_TIMEZONE = "Asia/Almaty"
DEFAULT_HOURS = {"opens": time(9, 0), "lunch_start": time(13, 0),
                 "lunch_end": time(14, 30), "closes": time(18, 30)}
HOUR_FIELDS = ("opens", "lunch_start", "lunch_end", "closes")


def code_problem(value: str) -> str | None:
    if not CODE_RE.match(value or ""):
        return _("A code is 1 to 32 Latin letters, digits, dots, dashes or underscores, "
                 "starting with a letter or a digit.")
    return None


def parse_time(value: str) -> time:
    """``H:MM`` or ``HH:MM`` on a 24-hour clock; ValueError with a message otherwise."""
    match = TIME_RE.match((value or "").strip())
    if match:
        hours, minutes = int(match.group(1)), int(match.group(2))
        if hours < 24 and minutes < 60:
            return time(hours, minutes)
    raise ValueError(_("'%(value)s' is not a time: use HH:MM on a 24-hour clock, e.g. 09:00.",
                       value=value))


@cache
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones())  # reads the tz database once


def timezone_problem(name: str) -> str | None:
    """Only IANA zone names (Asia/Almaty, Asia/Aqtobe, ...) are accepted, not offsets."""
    name = (name or "").strip()
    if name in _zone_names():
        try:
            ZoneInfo(name)
            return None
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return _("'%(value)s' is not a known time zone: use a name such as Asia/Almaty.",
             value=name)


def hours_problems(opens: time, lunch_start: time, lunch_end: time,
                   closes: time) -> dict[str, str]:
    """R4: sign-ups every working day during working hours with a lunch break, so the day must
    read opens < lunch start < lunch end < closes. Each problem is put on the later field."""
    problems = {}
    if not opens < lunch_start:
        problems["lunch_start"] = _("The lunch break must start after opening time.")
    if not lunch_start < lunch_end:
        problems["lunch_end"] = _("The lunch break must end after it starts.")
    if not lunch_end < closes:
        problems["closes"] = _("Closing time must be after the end of the lunch break.")
    return problems


def venue_body_problem(kind: str, has_body: bool) -> str | None:
    """R2: a public reception room belongs to one body; a citizen reception center is shared."""
    if kind == "reception_room" and not has_body:
        return _("A public reception room belongs to one body: choose the body.")
    if kind == "reception_center" and has_body:
        return _("A citizen reception center is shared by many bodies: leave the body empty.")
    return None


def bin_problem(value: str) -> str | None:
    try:
        validate_bin(value)
    except IdentityError as exc:
        return str(exc)
    return None


def email_problem(value: str) -> str | None:
    if value and not EMAIL_RE.match(value):
        return _("'%(value)s' is not an e-mail address.", value=value)
    return None


def website_problem(value: str) -> str | None:
    if value and not URL_RE.match(value):
        return _("'%(value)s' is not a web address: it starts with https:// or http://.",
                 value=value)
    return None
