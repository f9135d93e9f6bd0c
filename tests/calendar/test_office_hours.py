"""When a reminder may go out: the venue's working days and hours, not its lunch break (R4)."""
from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest

from docflow.calendar import default_calendar

ALMATY = ZoneInfo("Asia/Almaty")
HOURS = (time(9), time(18, 30), (time(13), time(14, 30)))


@pytest.mark.parametrize("moment, expected", [
    ("2026-11-25T10:00", "2026-11-25T10:00"),   # open: now
    ("2026-11-25T07:10", "2026-11-25T09:00"),   # before opening: at opening
    ("2026-11-25T13:20", "2026-11-25T14:30"),   # lunch break: after it
    ("2026-11-25T21:00", "2026-11-26T09:00"),   # evening: next morning
    ("2026-11-27T19:00", "2026-11-30T09:00"),   # Friday evening: Monday
    ("2026-12-15T20:00", "2026-12-17T09:00"),   # the eve of Independence Day (16 Dec)
    ("2026-03-21T11:00", "2026-03-26T09:00"),   # Nauryz and its moved days off
])
def test_next_office_moment(moment, expected):
    local = datetime.fromisoformat(moment).replace(tzinfo=ALMATY)
    got = default_calendar().next_office_moment(local.astimezone(ZoneInfo("UTC")), ALMATY,
                                                *HOURS)
    assert got == datetime.fromisoformat(expected).replace(tzinfo=ALMATY)


def test_naive_moment_is_refused():
    with pytest.raises(ValueError):
        default_calendar().next_office_moment(datetime(2026, 11, 25, 10), ALMATY, *HOURS)
