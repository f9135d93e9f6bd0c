"""The published schedule as data for the bodies' websites (JSON), calendars (iCalendar) and
the A4 poster's context (R8: Kazakh and Russian; surname, name, patronymic when there is one).

The JSON field names are a contract for the websites: add fields, never rename them.
"""
from __future__ import annotations

from datetime import UTC, datetime

from icalendar import Calendar, Event

from ..reference.models import Official, Venue
from .models import Schedule, ScheduleEntry
from .queries import entry_bounds, sequences

GOVERNMENT_OFFICE_HEAD = {
    "kk": "Қазақстан Республикасы Үкіметі Аппаратының Басшысы",
    "ru": "Руководитель Аппарата Правительства Республики Казахстан",
}
ICS_PRODID = "-//docflow//reception schedules//KK"
ICS_UID_DOMAIN = "schedules.docflow"  # a constant: the UID must not change with the host


def _hm(t) -> str:
    return t.strftime("%H:%M")


def official_json(o: Official) -> dict:
    return {"code": o.code, "rank": o.rank,
            "last_name_kk": o.last_name_kk, "first_name_kk": o.first_name_kk,
            "patronymic_kk": o.patronymic_kk, "last_name_ru": o.last_name_ru,
            "first_name_ru": o.first_name_ru, "patronymic_ru": o.patronymic_ru,
            "full_name_kk": o.full_name("kk"), "full_name_ru": o.full_name("ru"),
            "position_kk": o.position_kk, "position_ru": o.position_ru}


def venue_json(v: Venue) -> dict:
    return {"code": v.code, "kind": v.kind, "name_kk": v.name_kk, "name_ru": v.name_ru,
            "address_kk": v.address_kk, "address_ru": v.address_ru, "timezone": v.timezone}


def entry_json(e: ScheduleEntry, sequence: int) -> dict:
    starts, ends = entry_bounds(e)
    return {"key": e.key, "date": e.date.isoformat(), "start": _hm(e.start), "end": _hm(e.end),
            "starts_at": starts.isoformat(), "ends_at": ends.isoformat(),
            "slot_minutes": e.slot_minutes, "capacity": e.capacity, "sequence": sequence,
            "official": official_json(e.official),
            "body": {"code": e.body.code, "name_kk": e.body.name_kk, "name_ru": e.body.name_ru}}


def schedule_json(schedule: Schedule) -> dict:
    seq = sequences(schedule)
    return {
        "venue": venue_json(schedule.venue),
        "month": schedule.month_code,
        "version": schedule.number,
        "status": schedule.state,
        "approved_at": _iso(schedule.approved_at),
        "published_at": _iso(schedule.published_at),
        "entries": [entry_json(e, seq[e.key]) for e in schedule.entries],
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() + "Z" if value is not None else None


def schedule_ics(schedule: Schedule) -> bytes:
    """One VEVENT per entry, times with TZID of the venue's zone and its VTIMEZONE; the UID is
    the entry's key, SEQUENCE how many published versions changed it (so calendars update)."""
    venue = schedule.venue
    seq = sequences(schedule)
    cal = Calendar()
    cal.add("prodid", ICS_PRODID)
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"{venue.name_kk} / {venue.name_ru} — {schedule.month_code}")
    stamp = schedule.published_at or schedule.modified_at
    for e in schedule.entries:
        starts, ends = entry_bounds(e)
        event = Event()
        event.add("uid", f"{e.key}@{ICS_UID_DOMAIN}")
        event.add("sequence", seq[e.key])
        event.add("dtstamp", stamp.replace(tzinfo=UTC))
        event.add("dtstart", starts)
        event.add("dtend", ends)
        o = e.official
        event.add("summary", f"{o.full_name('kk')} / {o.full_name('ru')}")
        event.add("description",
                  f"{o.position_kk}, {e.body.name_kk}\n{o.position_ru}, {e.body.name_ru}")
        event.add("location", f"{venue.name_kk}, {venue.address_kk} / "
                              f"{venue.name_ru}, {venue.address_ru}")
        cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical()


def poster_context(schedule: Schedule) -> dict:
    """The ``schedule_poster`` context (docflow.documents.contexts.SchedulePoster)."""
    venue = schedule.venue
    body = venue.body
    if body is not None:  # a reception room: its body's letterhead
        letterhead = {"name_kk": body.name_kk, "name_ru": body.name_ru,
                      "address": body.address_kk or venue.address_kk, "bin": body.bin or "",
                      "phone": body.phone, "email": body.email, "website": body.website}
    else:
        letterhead = {"name_kk": venue.name_kk, "name_ru": venue.name_ru,
                      "address": venue.address_kk, "bin": "", "phone": "", "email": "",
                      "website": ""}
    rows = [{"body_kk": e.body.name_kk, "body_ru": e.body.name_ru,
             "official_kk": e.official.full_name("kk"), "official_ru": e.official.full_name("ru"),
             "position_kk": e.official.position_kk, "position_ru": e.official.position_ru,
             "date": e.date, "time": f"{_hm(e.start)}–{_hm(e.end)}",
             "venue_kk": f"{venue.name_kk}, {venue.address_kk}".strip(", "),
             "venue_ru": f"{venue.name_ru}, {venue.address_ru}".strip(", ")}
            for e in schedule.entries]
    issued = (schedule.published_at or schedule.modified_at).date()
    context = {"issued_at": issued, "letterhead": letterhead, "year": schedule.month.year,
               "month": schedule.month.month, "venue_kk": venue.name_kk,
               "venue_ru": venue.name_ru, "rows": rows}
    if schedule.approved_by is not None and schedule.approved_at is not None:
        name = schedule.approved_by.full_name
        context["approval"] = {"name_kk": name, "name_ru": name,
                               "position_kk": GOVERNMENT_OFFICE_HEAD["kk"],
                               "position_ru": GOVERNMENT_OFFICE_HEAD["ru"],
                               "approved_on": schedule.approved_at.date()}
    return context
