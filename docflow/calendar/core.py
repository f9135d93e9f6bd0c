"""Kazakhstan's working-day calendar and the deadline arithmetic built on it (DESIGN §4).

Every deadline in docflow goes through one ``Calendar`` so that weekends, holidays, the days off
moved from weekend holidays, the yearly transfers and administrators' corrections are applied
the same way everywhere: ``reply_due = shift(registered_on, 15)`` (R29),
``brief_due = shift(reception_date, -5)`` (R26). Pure Python: no Flask, no database.
"""
from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import NamedTuple
from zoneinfo import ZoneInfo

ONE_DAY = timedelta(days=1)
WEEKEND = frozenset({5, 6})  # date.weekday(): Saturday, Sunday


class CalendarError(ValueError):
    """The calendar data or a request to the calendar is invalid."""


class UnknownYear(CalendarError):
    """A date falls in a year the data file does not cover: never guess a deadline."""

    def __init__(self, year: int):
        super().__init__(f"No working-day calendar data for {year}")
        self.year = year


class DayInfo(NamedTuple):
    working: bool
    reason: str | None  # None for an ordinary weekday


@dataclass(frozen=True)
class Holiday:
    day: date
    key: str
    names: Mapping[str, str] = field(hash=False)  # kk, ru, en
    religious: bool = False
    estimated: bool = False


@dataclass(frozen=True)
class ShiftExplanation:
    """How a deadline was computed, so that every date shown can explain itself."""

    start: date
    working_days: int
    result: date
    skipped: list[tuple[date, str]] = field(default_factory=list)  # chronological


def _get(obj, name):
    """Read ``name`` from a dict or an object: overrides come from forms, JSON or ORM rows."""
    return obj[name] if isinstance(obj, Mapping) else getattr(obj, name)


def _check_day(value, what: str) -> date:
    if not isinstance(value, date) or isinstance(value, datetime):
        raise CalendarError(f"{what} must be a date, got {value!r}")
    return value


class Calendar:
    """A working-day calendar: known years plus, per day, any verdict differing from Mon-Fri."""

    def __init__(self, days: Mapping[date, DayInfo], years: Mapping[int, str],
                 holidays: Iterable[Holiday] = (), overrides: Mapping[date, DayInfo] | None = None):
        self._days = MappingProxyType(dict(days))
        self._years = MappingProxyType(dict(years))  # year -> status ("final" | "provisional")
        self._holidays = tuple(sorted(holidays, key=lambda h: h.day))
        self._overrides = MappingProxyType(dict(overrides or {}))
        self._running: dict[int, list[int]] = {}  # year -> working days up to each day (cache)
        self._shifts: dict[tuple[date, int], date] = {}  # (d, n) -> shift(d, n) (cache)

    # --- construction -------------------------------------------------------------------------

    @classmethod
    def from_toml(cls, path: str | Path) -> Calendar:
        """Load and cross-check a data file (see data/kz.toml for the format)."""
        with open(path, "rb") as fh:
            return cls.from_dict(tomllib.load(fh))

    @classmethod
    def from_dict(cls, data: Mapping) -> Calendar:
        """Build from parsed data, refusing anything inconsistent: a wrong calendar is worse than
        none, because every deadline in the system silently inherits the mistake."""
        names = data.get("names", {})
        days: dict[date, DayInfo] = {}
        years: dict[int, str] = {}
        holidays: list[Holiday] = []

        def put(day: date, info: DayInfo, year: int):
            if day.year != year:
                raise CalendarError(f"{day} is listed under {year}")
            if day in days:
                raise CalendarError(f"{day} is listed twice ({days[day].reason}; {info.reason})")
            days[day] = info

        for key, entry in data.get("years", {}).items():
            year = int(key)
            years[year] = entry.get("status", "final")
            if years[year] not in ("final", "provisional"):
                raise CalendarError(f"{year}: unknown status {years[year]!r}")
            for h in entry.get("holidays", []):
                day, name = _check_day(h["date"], "holiday date"), h["name"]
                if name not in names:
                    raise CalendarError(f"{day}: unknown holiday name {name!r}")
                n = names[name]
                hol = Holiday(day, name, MappingProxyType({k: n[k] for k in ("kk", "ru", "en")}),
                              bool(n.get("religious")), bool(h.get("estimated")))
                holidays.append(hol)
                label = n["en"] + (" (estimated date)" if hol.estimated else "")
                put(day, DayInfo(False, label), year)
            moved = {_check_day(m["date"], "moved date"): _check_day(m["from"], "moved from")
                     for m in entry.get("moved", [])}
            expected = _weekend_moves([h for h in holidays if h.day.year == year])
            if moved != expected:
                raise CalendarError(
                    f"{year}: moved days {sorted(moved.items())} do not follow the weekend rule, "
                    f"which gives {sorted(expected.items())}")
            for day, src in moved.items():
                put(day, DayInfo(False, f"day off moved from {src} ({days[src].reason})"), year)
            for t in entry.get("transfers", []):
                off, work = _check_day(t["day_off"], "day_off"), _check_day(t["working"], "working")
                if work.weekday() not in WEEKEND or off.weekday() in WEEKEND:
                    raise CalendarError(f"transfer {work} -> {off} must move a weekend day")
                put(off, DayInfo(False, f"day off transferred from {work} ({t['act']})"), year)
                weekday = ("Saturday", "Sunday")[work.weekday() - 5]
                put(work, DayInfo(True, f"working {weekday} (day off moved to {off}; {t['act']})"),
                    year)
        return cls(days, years, holidays)

    def with_overrides(self, overrides: Iterable) -> Calendar:
        """A new calendar where administrator edits (``day``, ``working``, ``reason``) win.

        Later entries win over earlier ones and over this calendar's own overrides. An override
        does not make its year known: deadlines still refuse years without data.
        """
        merged = dict(self._overrides)
        for o in overrides:
            day = _check_day(_get(o, "day"), "override day")
            reason = (_get(o, "reason") or "").strip() or "administrator override"
            merged[day] = DayInfo(bool(_get(o, "working")), reason)
        return Calendar(self._days, self._years, self._holidays, merged)

    # --- single days --------------------------------------------------------------------------

    @property
    def known_years(self) -> tuple[int, ...]:
        return tuple(sorted(self._years))

    @property
    def overrides(self) -> Mapping[date, DayInfo]:
        return self._overrides

    def is_provisional(self, year: int) -> bool:
        """True while a year's transfers or religious dates are not officially published."""
        self._require(year)
        return self._years[year] != "final"

    def _require(self, year: int) -> None:
        if year not in self._years:
            raise UnknownYear(year)

    def day_info(self, d: date) -> DayInfo:
        """(working, reason): override, else the data file, else weekend/ordinary weekday."""
        self._require(d.year)
        if d in self._overrides:
            return self._overrides[d]
        if d in self._days:
            return self._days[d]
        return DayInfo(False, "weekend") if d.weekday() in WEEKEND else DayInfo(True, None)

    def is_working_day(self, d: date) -> bool:
        return self.day_info(d).working

    # --- deadlines ----------------------------------------------------------------------------

    def explain_shift(self, d: date, n: int) -> ShiftExplanation:
        """Walk ``n`` working days from ``d`` (never counting ``d``), noting what was skipped."""
        if not isinstance(n, int):
            raise TypeError(f"working days must be an integer, got {n!r}")
        step, left, day, skipped = (ONE_DAY if n > 0 else -ONE_DAY), abs(n), d, []
        while left:
            day += step
            info = self.day_info(day)
            if info.working:
                left -= 1
            else:
                skipped.append((day, info.reason))
        return ShiftExplanation(d, n, day, sorted(skipped))

    def shift(self, d: date, n: int) -> date:
        """The n-th working day after ``d`` (n > 0) or before it (n < 0); ``d`` for n == 0.

        Remembered per (immutable) calendar: every intake of a day asks the same deadline."""
        found = self._shifts.get((d, n))
        if found is None:
            found = self.explain_shift(d, n).result
            if len(self._shifts) >= 4096:
                self._shifts.clear()
            self._shifts[(d, n)] = found
        return found

    def working_days_between(self, a: date, b: date) -> int:
        """Working days in (a, b]; negative when b < a, so that
        ``working_days_between(d, shift(d, n)) == n`` for n >= 0 ("due in N working days")."""
        if b < a:
            return -self.working_days_between(b, a)
        if a == b:
            return 0
        # running counts per year, made once per (immutable) calendar: a worklist asks this for
        # every row, and an appeal overdue since 2023 is a thousand days away
        if a.year == b.year:
            return self._working_upto(b) - self._working_upto(a)
        count = 0
        if a != date(a.year, 12, 31):  # (a, Dec 31] of a's year; a itself is never counted
            count = self._working_upto(date(a.year, 12, 31)) - self._working_upto(a)
        for year in range(a.year + 1, b.year):
            count += self._working_upto(date(year, 12, 31))
        return count + self._working_upto(b)

    def _working_upto(self, d: date) -> int:
        """Working days in [Jan 1, d] of d's year."""
        running = self._running.get(d.year)
        if running is None:
            running, n = [], 0
            for _day, info in self._year_days(d.year):
                n += info.working
                running.append(n)
            self._running[d.year] = running
        return running[d.timetuple().tm_yday - 1]

    # --- whole years (the calendar page and GET /api/v1/calendar/{year}) ---------------------

    def _year_days(self, year: int):
        self._require(year)
        day = date(year, 1, 1)
        while day.year == year:
            yield day, self.day_info(day)
            day += ONE_DAY

    def non_working_days(self, year: int) -> list[tuple[date, str]]:
        return [(d, i.reason) for d, i in self._year_days(year) if not i.working]

    def non_working_weekdays(self, year: int) -> list[tuple[date, str]]:
        return [(d, r) for d, r in self.non_working_days(year) if d.weekday() not in WEEKEND]

    def working_weekends(self, year: int) -> list[tuple[date, str]]:
        return [(d, i.reason) for d, i in self._year_days(year)
                if i.working and d.weekday() in WEEKEND]

    def holidays(self, year: int) -> list[Holiday]:
        """The year's holidays with their kk/ru/en names (for letters in the applicant's language)."""
        self._require(year)
        return [h for h in self._holidays if h.day.year == year]

    # --- intake -------------------------------------------------------------------------------

    def registered_on(self, received_at: datetime, tz: str | ZoneInfo,
                      opens: time, closes: time) -> date:
        """Registration date of an appeal (R4, R25, DESIGN §4), in the venue's time zone.

        Received on a working day before closing (also before opening): that day. After closing,
        or on a non-working day: the next working day.
        """
        if received_at.tzinfo is None or received_at.utcoffset() is None:
            raise ValueError("received_at must be timezone-aware")
        if not opens < closes:
            raise ValueError(f"opening time {opens} must precede closing time {closes}")
        local = received_at.astimezone(ZoneInfo(tz) if isinstance(tz, str) else tz)
        day = local.date()
        if self.is_working_day(day) and local.time() < closes:
            return day
        return self.shift(day, 1)

    def next_office_moment(self, moment: datetime, tz: str | ZoneInfo, opens: time,
                           closes: time, lunch: tuple[time, time] | None = None) -> datetime:
        """The first moment at or after ``moment`` when the venue is open (R4: working days,
        working hours, not the lunch break) — when reminders may go out. Aware, venue zone."""
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError("moment must be timezone-aware")
        zone = ZoneInfo(tz) if isinstance(tz, str) else tz
        local = moment.astimezone(zone)
        day, now = local.date(), local.time()
        if self.is_working_day(day) and now < closes:
            if now < opens:
                return datetime.combine(day, opens, zone)
            if lunch and lunch[0] <= now < lunch[1]:
                return datetime.combine(day, lunch[1], zone)
            return local
        return datetime.combine(self.shift(day, 1), opens, zone)


def _weekend_moves(holidays: list[Holiday]) -> dict[date, date]:
    """The weekend rule (Labor Code art. 85, Law "On holidays" art. 5): a non-religious holiday
    on Saturday or Sunday makes the next weekday that is neither a holiday nor already a moved
    day off a day off. Computed here only to check the data file, which lists the result."""
    taken = {h.day for h in holidays}
    moves: dict[date, date] = {}
    for h in sorted(holidays, key=lambda h: h.day):
        if h.religious or h.day.weekday() not in WEEKEND:
            continue
        day = h.day + ONE_DAY
        while day.weekday() in WEEKEND or day in taken:
            day += ONE_DAY
        taken.add(day)
        moves[day] = h.day
    return moves


DATA_FILE = "data/kz.toml"


@lru_cache(maxsize=1)
def default_calendar() -> Calendar:
    """The shipped calendar (docflow/calendar/data/kz.toml), loaded once per process."""
    with resources.as_file(resources.files(__package__).joinpath(DATA_FILE)) as path:
        return Calendar.from_toml(path)
