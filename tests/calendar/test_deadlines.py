"""Deadline arithmetic (R26, R29), registration dates (R4, R25) and administrator overrides."""
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from docflow.calendar import CalendarError, UnknownYear, default_calendar

D = date.fromisoformat
ALMATY = "Asia/Almaty"
OPENS, CLOSES = time(9, 0), time(18, 0)


@pytest.fixture(scope="module")
def cal():
    return default_calendar()


@pytest.mark.parametrize("start, n, expected, why", [
    ("2025-03-19", 3, "2025-03-27", "Nauryz 21-25 March 2025"),
    ("2024-05-06", 5, "2024-05-16", "7, 8 (transferred) and 9 May 2024"),
    ("2025-12-30", 2, "2026-01-05", "New Year 2026, across the year end"),
    ("2024-12-30", 3, "2025-01-06", "1-3 Jan 2025 off, Sunday 5 January worked"),
    ("2025-03-22", 1, "2025-03-26", "start on a holiday: it is not counted"),
    ("2025-03-21", 0, "2025-03-21", "zero returns the start, even on a holiday"),
    ("2025-03-14", 15, "2025-04-09", "R29 reply due, 15 working days over Nauryz"),
    ("2024-06-14", 1, "2024-06-17", "Kurban Ait 2024 on a Sunday: Monday works"),
    ("2026-08-28", 1, "2026-08-31", "31 Aug 2026 works (no Constitution Day)"),
    ("2025-03-26", -1, "2025-03-20", "backwards over Nauryz"),
    ("2026-01-05", -2, "2025-12-30", "backwards over New Year"),
    ("2024-05-13", -5, "2024-05-02", "backwards over May, Saturday 4 May worked"),
    ("2025-05-12", -5, "2025-04-30", "backwards over 1, 7 and 9 May 2025"),
    ("2026-03-27", -5, "2026-03-17", "R26 brief due before a reception after Nauryz"),
])
def test_shift(cal, start, n, expected, why):
    assert cal.shift(D(start), n) == D(expected), why


@pytest.mark.parametrize("a, b, expected", [
    ("2025-03-19", "2025-03-27", 3),
    ("2025-03-27", "2025-03-19", -3),
    ("2025-03-19", "2025-03-19", 0),
    ("2025-03-21", "2025-03-25", 0),
    ("2024-12-31", "2025-01-06", 2),  # Sunday 5 January and Monday 6 January
    ("2025-03-14", "2025-04-09", 15),
])
def test_working_days_between(cal, a, b, expected):
    assert cal.working_days_between(D(a), D(b)) == expected


def test_explain_shift_lists_the_days_it_skipped(cal):
    e = cal.explain_shift(D("2025-03-19"), 3)
    assert (e.start, e.working_days, e.result) == (D("2025-03-19"), 3, D("2025-03-27"))
    assert e.skipped == [
        (D("2025-03-21"), "Nauryz"),
        (D("2025-03-22"), "Nauryz"),
        (D("2025-03-23"), "Nauryz"),
        (D("2025-03-24"), "day off moved from 2025-03-22 (Nauryz)"),
        (D("2025-03-25"), "day off moved from 2025-03-23 (Nauryz)"),
    ]


def test_explain_backwards_is_chronological(cal):
    e = cal.explain_shift(D("2024-05-13"), -5)
    assert e.result == D("2024-05-02")
    assert [d for d, _ in e.skipped] == [D("2024-05-05"), D("2024-05-07"), D("2024-05-08"),
                                         D("2024-05-09"), D("2024-05-11"), D("2024-05-12")]


@pytest.mark.parametrize("call, year", [
    (lambda c: c.shift(D("2031-01-10"), 1), 2031),
    (lambda c: c.is_working_day(D("2031-01-10")), 2031),
    (lambda c: c.non_working_days(2031), 2031),
    (lambda c: c.registered_on(datetime(2031, 1, 10, 5, tzinfo=UTC), ALMATY, OPENS, CLOSES), 2031),
    (lambda c: c.shift(D("2027-12-30"), 2), 2028),    # runs off the end of the data
    (lambda c: c.shift(D("2023-01-04"), -2), 2022),   # and off the beginning
    (lambda c: c.working_days_between(D("2027-12-01"), D("2028-01-05")), 2028),
])
def test_unknown_year_is_an_explicit_error(cal, call, year):
    with pytest.raises(UnknownYear, match=f"^No working-day calendar data for {year}$") as err:
        call(cal)
    assert err.value.year == year
    assert isinstance(err.value, CalendarError) and isinstance(err.value, ValueError)


def test_shift_needs_an_integer(cal):
    with pytest.raises(TypeError):
        cal.shift(D("2025-03-19"), 1.5)


# --- registration date (R4, R25, DESIGN §4) ---------------------------------------------------

@pytest.mark.parametrize("received_at, expected, why", [
    ("2025-04-04T18:30:00+05:00", "2025-04-07", "Friday after hours: Monday"),
    ("2025-03-07T18:30:00+05:00", "2025-03-11", "Friday after hours before 8 March (moved to Mon 10)"),
    ("2025-03-21T11:00:00+05:00", "2025-03-26", "on a holiday (Nauryz): next working day"),
    ("2025-04-05T11:00:00+05:00", "2025-04-07", "on a Saturday"),
    ("2025-01-05T11:00:00+05:00", "2025-01-05", "on the working Sunday of 2025"),
    ("2025-03-19T07:15:00+05:00", "2025-03-19", "before opening on a working day: that day"),
    ("2025-03-19T17:59:59+05:00", "2025-03-19", "just before closing"),
    ("2025-03-19T18:00:00+05:00", "2025-03-20", "at closing time: next working day"),
    ("2025-03-18T19:30:00+00:00", "2025-03-19", "19:30 UTC is 00:30 the next day in Almaty"),
    ("2025-03-20T19:30:00+00:00", "2025-03-26", "19:30 UTC Thursday is already Nauryz in Almaty"),
    ("2024-02-28T18:30:00+00:00", "2024-02-29", "UTC+6 before 1 March 2024: 00:30 local"),
    ("2024-03-05T18:30:00+00:00", "2024-03-06", "UTC+5 since 1 March 2024: 23:30 local, closed"),
])
def test_registered_on(cal, received_at, expected, why):
    received = datetime.fromisoformat(received_at)
    assert cal.registered_on(received, ALMATY, OPENS, CLOSES) == D(expected), why


def test_registered_on_accepts_a_zoneinfo_and_feeds_reply_due(cal):
    received = datetime(2025, 3, 14, 20, 0, tzinfo=ZoneInfo(ALMATY))  # Friday, after hours
    registered = cal.registered_on(received, ZoneInfo(ALMATY), OPENS, CLOSES)
    assert registered == D("2025-03-17")
    assert cal.shift(registered, 15) == D("2025-04-10")  # R29


@pytest.mark.parametrize("received, opens, closes", [
    (datetime(2025, 3, 19, 10, 0), OPENS, CLOSES),  # naive: the zone would be a guess
    (datetime(2025, 3, 19, 10, 0, tzinfo=UTC), CLOSES, OPENS),
])
def test_registered_on_rejects_bad_input(cal, received, opens, closes):
    with pytest.raises(ValueError):
        cal.registered_on(received, ALMATY, opens, closes)


# --- administrator overrides ---------------------------------------------------------------------

@dataclass
class Edit:  # what an ORM row of the application's audit table looks like to the calendar
    day: date
    working: bool
    reason: str


def test_a_non_working_override_moves_a_deadline(cal):
    edited = cal.with_overrides([{"day": D("2025-03-27"), "working": False, "reason": "Day of mourning"}])
    assert edited.shift(D("2025-03-19"), 3) == D("2025-03-28")
    assert (D("2025-03-27"), "Day of mourning") in edited.explain_shift(D("2025-03-19"), 3).skipped
    assert cal.shift(D("2025-03-19"), 3) == D("2025-03-27")  # the original is unchanged


def test_a_working_override_on_a_saturday(cal):
    edited = cal.with_overrides([Edit(D("2025-03-29"), True, "Working Saturday (regional act)")])
    assert edited.shift(D("2025-03-28"), 1) == D("2025-03-29")
    assert edited.working_weekends(2025)[-1] == (D("2025-03-29"), "Working Saturday (regional act)")
    assert edited.day_info(D("2025-03-29")) == (True, "Working Saturday (regional act)")


def test_correcting_an_estimated_kurban_ait(cal):
    # Should ДУМК fix Kurban Ait 2027 on Monday 17 May rather than Sunday 16 May.
    edited = cal.with_overrides([Edit(D("2027-05-17"), False, "Kurban Ait")])
    assert cal.shift(D("2027-05-14"), 1) == D("2027-05-17")
    assert edited.shift(D("2027-05-14"), 1) == D("2027-05-18")


def test_later_overrides_win_and_stack(cal):
    first = cal.with_overrides([Edit(D("2025-04-01"), False, "first")])
    second = first.with_overrides([Edit(D("2025-04-01"), True, "second"),
                                   Edit(D("2025-04-02"), False, "")])
    assert first.day_info(D("2025-04-01")) == (False, "first")
    assert second.day_info(D("2025-04-01")) == (True, "second")
    assert second.day_info(D("2025-04-02")) == (False, "administrator override")
    assert set(second.overrides) == {D("2025-04-01"), D("2025-04-02")}


def test_an_override_does_not_make_a_year_known(cal):
    edited = cal.with_overrides([Edit(D("2031-01-10"), True, "guess")])
    with pytest.raises(UnknownYear):
        edited.is_working_day(D("2031-01-10"))


def test_an_override_needs_a_date(cal):
    with pytest.raises(CalendarError):
        cal.with_overrides([Edit(datetime(2025, 4, 1, 9, 0), False, "timestamp")])
