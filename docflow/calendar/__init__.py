"""Kazakhstan's working-day calendar: all deadline arithmetic in docflow goes through it.

    from docflow.calendar import default_calendar
    cal = default_calendar()
    reply_due = cal.shift(registered_on, 15)     # R29
    brief_due = cal.shift(reception_date, -5)    # R26
"""
from .core import (
    Calendar,
    CalendarError,
    DayInfo,
    Holiday,
    ShiftExplanation,
    UnknownYear,
    default_calendar,
)

__all__ = [
    "Calendar",
    "CalendarError",
    "DayInfo",
    "Holiday",
    "ShiftExplanation",
    "UnknownYear",
    "default_calendar",
]
