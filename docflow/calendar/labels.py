"""Why a day is not a working day, in the reader's language (the calendar keeps its reasons in
English for logs and data files; pages show them through day_reason)."""
import re
from datetime import date

from flask_babel import format_date, get_locale
from flask_babel import gettext as _

from .core import UnknownYear
from .store import current_calendar

MOVED = re.compile(r"day off moved from (\d{4}-\d\d-\d\d) \((.*)\)")
TRANSFERRED = re.compile(r"day off transferred from (\d{4}-\d\d-\d\d) \((.*)\)")
WORKING = re.compile(r"working (?:Saturday|Sunday) \(day off moved to (\d{4}-\d\d-\d\d); (.*)\)")


def _holiday_name(day: date) -> str | None:
    lang = str(get_locale())
    for holiday in current_calendar().holidays(day.year):
        if holiday.day == day:
            name = holiday.names.get(lang) or holiday.names["en"]
            return name + (" " + _("(estimated date)") if holiday.estimated else "")
    return None


def day_reason(day: date | str, reason: str | None) -> str:
    """The calendar's reason for ``day`` in the current locale; an administrator's own words
    are shown as they were written."""
    day = date.fromisoformat(day) if isinstance(day, str) else day
    reason = reason or ""
    try:
        holiday = _holiday_name(day)
    except UnknownYear:  # a year the calendar does not know: keep the stored reason
        holiday = None
    if holiday:
        return holiday
    if reason == "weekend":
        return _("weekend")
    if reason == "administrator override":
        return _("changed by an administrator")
    if m := MOVED.fullmatch(reason):
        src = date.fromisoformat(m.group(1))
        return _("day off moved from %(date)s (%(reason)s)", date=format_date(src),
                 reason=day_reason(src, m.group(2)))
    if m := TRANSFERRED.fullmatch(reason):
        return _("day off transferred from %(date)s (%(act)s)",
                 date=format_date(date.fromisoformat(m.group(1))), act=m.group(2))
    if m := WORKING.fullmatch(reason):
        return _("working day, the day off moved to %(date)s (%(act)s)",
                 date=format_date(date.fromisoformat(m.group(1))), act=m.group(2))
    return reason
