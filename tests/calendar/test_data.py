"""The shipped calendar pinned against Kazakhstan's official production calendars (2024-2026).

Every non-working weekday and every working weekend day of each year is listed by hand from the
Ministry of Labour's production calendar and the acts named in docflow/calendar/data/kz.toml, so
a slip in the data file (or in the loader) fails here.
"""
from datetime import date

import pytest

from docflow.calendar import Calendar, CalendarError, default_calendar

D = date.fromisoformat

NON_WORKING_WEEKDAYS = {
    2024: [
        ("2024-01-01", "New Year"),
        ("2024-01-02", "New Year"),
        ("2024-03-08", "International Women's Day"),
        ("2024-03-21", "Nauryz"),
        ("2024-03-22", "Nauryz"),
        ("2024-03-25", "day off moved from 2024-03-23 (Nauryz)"),
        ("2024-05-01", "Unity Day of the People of Kazakhstan"),
        ("2024-05-07", "Defender of the Fatherland Day"),
        ("2024-05-08", "day off transferred from 2024-05-04 (Minister of Labour order of 17.04.2024)"),
        ("2024-05-09", "Victory Day"),
        ("2024-07-08", "day off moved from 2024-07-06 (Capital Day)"),
        ("2024-08-30", "Constitution Day"),
        ("2024-10-25", "Republic Day"),
        ("2024-12-16", "Independence Day"),
    ],
    2025: [
        ("2025-01-01", "New Year"),
        ("2025-01-02", "New Year"),
        ("2025-01-03", "day off transferred from 2025-01-05 (Minister of Labour order, November 2024)"),
        ("2025-01-07", "Orthodox Christmas"),
        ("2025-03-10", "day off moved from 2025-03-08 (International Women's Day)"),
        ("2025-03-21", "Nauryz"),
        ("2025-03-24", "day off moved from 2025-03-22 (Nauryz)"),
        ("2025-03-25", "day off moved from 2025-03-23 (Nauryz)"),
        ("2025-05-01", "Unity Day of the People of Kazakhstan"),
        ("2025-05-07", "Defender of the Fatherland Day"),
        ("2025-05-09", "Victory Day"),
        ("2025-06-06", "Kurban Ait"),
        ("2025-07-07", "day off moved from 2025-07-06 (Capital Day)"),
        ("2025-09-01", "day off moved from 2025-08-30 (Constitution Day)"),
        ("2025-10-27", "day off moved from 2025-10-25 (Republic Day)"),
        ("2025-12-16", "Independence Day"),
    ],
    # The production calendar of December 2025 also had Monday 31 August (Constitution Day on a
    # Sunday); the 2026 Constitution moved the holiday to 15 March from 2027 and 30 August ceased
    # to be one in 2026, so 31 August is a working day (see test_known_corrections).
    2026: [
        ("2026-01-01", "New Year"),
        ("2026-01-02", "New Year"),
        ("2026-01-07", "Orthodox Christmas"),
        ("2026-03-09", "day off moved from 2026-03-08 (International Women's Day)"),
        ("2026-03-23", "Nauryz"),
        ("2026-03-24", "day off moved from 2026-03-21 (Nauryz)"),
        ("2026-03-25", "day off moved from 2026-03-22 (Nauryz)"),
        ("2026-05-01", "Unity Day of the People of Kazakhstan"),
        ("2026-05-07", "Defender of the Fatherland Day"),
        ("2026-05-11", "day off moved from 2026-05-09 (Victory Day)"),
        ("2026-05-27", "Kurban Ait"),
        ("2026-07-06", "Capital Day"),
        ("2026-10-26", "day off moved from 2026-10-25 (Republic Day)"),
        ("2026-12-16", "Independence Day"),
    ],
}

WORKING_WEEKENDS = {
    2024: [("2024-05-04", "working Saturday (day off moved to 2024-05-08; "
                          "Minister of Labour order of 17.04.2024)")],
    2025: [("2025-01-05", "working Sunday (day off moved to 2025-01-03; "
                          "Minister of Labour order, November 2024)")],
    2026: [],
}

# Working days per year for a five-day week (Ministry balances of working time, corrected below).
WORKING_DAY_TOTALS = {2024: 249, 2025: 246, 2026: 247}


@pytest.fixture(scope="module")
def cal():
    return default_calendar()


@pytest.mark.parametrize("year", sorted(NON_WORKING_WEEKDAYS))
def test_non_working_weekdays_are_exactly_the_official_ones(cal, year):
    expected = [(D(d), reason) for d, reason in NON_WORKING_WEEKDAYS[year]]
    assert cal.non_working_weekdays(year) == expected


@pytest.mark.parametrize("year", sorted(WORKING_WEEKENDS))
def test_working_weekends_are_exactly_the_official_ones(cal, year):
    expected = [(D(d), reason) for d, reason in WORKING_WEEKENDS[year]]
    assert cal.working_weekends(year) == expected


@pytest.mark.parametrize("year, total", sorted(WORKING_DAY_TOTALS.items()))
def test_working_day_totals(cal, year, total):
    days = (date(year + 1, 1, 1) - date(year, 1, 1)).days
    assert days - len(cal.non_working_days(year)) == total


@pytest.mark.parametrize("day, working, reason", [
    # Kurban Ait 2024 fell on Sunday 16 June (ДУМК, 7 June 2024): Monday 17 June stayed working,
    # although the January 2024 production calendar had assumed it off.
    ("2024-06-16", False, "Kurban Ait"),
    ("2024-06-17", True, None),
    # 30 August is no longer Constitution Day from 2026.
    ("2026-08-30", False, "weekend"),
    ("2026-08-31", True, None),
    # Religious days off are not moved when they fall on a weekend.
    ("2023-01-07", False, "Orthodox Christmas"),
    ("2023-01-09", True, None),
    ("2024-01-07", False, "Orthodox Christmas"),
    ("2024-01-08", True, None),
    # A holiday on a weekend keeps its own name; the weekday after carries the move.
    ("2025-03-22", False, "Nauryz"),
    ("2023-01-03", False, "day off moved from 2023-01-01 (New Year)"),
    # 2027: Constitution Day on 15 March; Kurban Ait is only an estimate.
    ("2027-03-15", False, "Constitution Day"),
    ("2027-05-16", False, "Kurban Ait (estimated date)"),
    ("2023-07-01", True, "working Saturday (day off moved to 2023-07-07; "
                         "Government decree No. 326 of 25.04.2023)"),
])
def test_known_corrections(cal, day, working, reason):
    assert cal.day_info(D(day)) == (working, reason)


def test_years_and_status(cal):
    assert cal.known_years == (2023, 2024, 2025, 2026, 2027)
    assert [y for y in cal.known_years if cal.is_provisional(y)] == [2027]


def test_holidays_carry_kazakh_russian_and_english_names(cal):
    nauryz = [h for h in cal.holidays(2025) if h.key == "nauryz"]
    assert [h.day for h in nauryz] == [D("2025-03-21"), D("2025-03-22"), D("2025-03-23")]
    assert nauryz[0].names == {"kk": "Наурыз мейрамы", "ru": "Наурыз мейрамы", "en": "Nauryz"}
    kurban = next(h for h in cal.holidays(2026) if h.key == "kurban_ait")
    assert (kurban.day, kurban.religious, kurban.names["kk"]) == (D("2026-05-27"), True, "Құрбан айт")


@pytest.mark.parametrize("year", [2023, 2024, 2025, 2026, 2027])
def test_cross_check_with_the_holidays_library(cal, year):
    """The fixed-date holidays, the weekend moves and the transferred days off agree with the
    `holidays` library (a second, independent reading of the same law); used only here."""
    holidays = pytest.importorskip("holidays")
    lib = holidays.country_holidays("KZ", years=year, language="en_US")
    moved = {d for d, name in lib.items() if "(observed" in name}
    transferred = {d for d, name in lib.items() if "substituted" in name}
    fixed = {d for d, name in lib.items()
             if d not in moved | transferred and "Eid al-Adha" not in name}

    ours = cal.non_working_days(year)
    assert {h.day for h in cal.holidays(year) if h.key != "kurban_ait"} == fixed
    assert {d for d, reason in ours if reason.startswith("day off moved")} == moved
    assert {d for d, reason in ours if reason.startswith("day off transferred")} == transferred


# --- the loader refuses inconsistent data ----------------------------------------------------

NAMES = {"nauryz": {"kk": "Наурыз", "ru": "Наурыз", "en": "Nauryz"},
         "kurban_ait": {"kk": "Құрбан айт", "ru": "Курбан айт", "en": "Kurban Ait", "religious": True}}


def year_2025(**entry):
    base = {"holidays": [{"date": D("2025-03-22"), "name": "nauryz"}],
            "moved": [{"date": D("2025-03-24"), "from": D("2025-03-22")}], "transfers": []}
    return {"names": NAMES, "years": {"2025": base | entry}}


def test_minimal_data_loads():
    cal = Calendar.from_dict(year_2025())
    assert cal.non_working_weekdays(2025) == [(D("2025-03-24"), "day off moved from 2025-03-22 (Nauryz)")]


@pytest.mark.parametrize("entry, message", [
    ({"moved": []}, "do not follow the weekend rule"),
    ({"moved": [{"date": D("2025-03-25"), "from": D("2025-03-22")}]}, "weekend rule"),
    ({"holidays": [{"date": D("2025-06-08"), "name": "kurban_ait"}],
      "moved": [{"date": D("2025-06-09"), "from": D("2025-06-08")}]}, "weekend rule"),
    ({"holidays": [{"date": D("2025-03-22"), "name": "nauryz"},
                   {"date": D("2025-03-22"), "name": "nauryz"}]}, "listed twice"),
    ({"holidays": [{"date": D("2025-03-22"), "name": "christmas"}]}, "unknown holiday name"),
    ({"holidays": [{"date": D("2024-03-22"), "name": "nauryz"}], "moved": []}, "listed under 2025"),
    ({"transfers": [{"day_off": D("2025-03-28"), "working": D("2025-03-27"), "act": "x"}]},
     "must move a weekend day"),
    ({"transfers": [{"day_off": D("2025-03-24"), "working": D("2025-03-29"), "act": "x"}]},
     "listed twice"),
])
def test_inconsistent_data_is_refused(entry, message):
    with pytest.raises(CalendarError, match=message):
        Calendar.from_dict(year_2025(**entry))


def test_from_toml_reads_a_file(tmp_path):
    path = tmp_path / "cal.toml"
    path.write_text('[names.x]\nkk = "a"\nru = "b"\nen = "X Day"\n\n'
                    '[years.2030]\nholidays = [{ date = 2030-01-02, name = "x" }]\n', encoding="utf-8")
    cal = Calendar.from_toml(path)
    assert cal.day_info(D("2030-01-02")) == (False, "X Day")
    assert cal.known_years == (2030,)
