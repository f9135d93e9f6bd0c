"""Who is called (R38): the population of a period, and the reproducible stratified sample.

The rules, as plain functions the tests call directly:

* **Population** (:func:`candidates`): appeals whose history entered, during the period (dates in
  the venue's zone), a state meaning the applicant *received a consultation* — ``consulted``
  (resolved by a consultation) or ``held`` (received at a reception) — or was *refused or
  declined* — ``refused`` (reception refused) or ``withdrawn`` (the applicant withdrew). The
  states are those of ``reception/workflows/appeal.toml``. An applicant without a phone number
  cannot be phone-surveyed and is left out.
* **One applicant, one call a quarter** (:func:`eligible`): an applicant is identified by IIN,
  else BIN, else phone (:func:`applicant_key`); an applicant with several appeals counts once
  (the earliest served, then the lowest appeal id), and an applicant already in any round's
  sample of the same quarter is left out (the database's unique (quarter, applicant_key) too).
* **Strata and share** (:func:`draw`): the share is applied within each venue, separately to
  each of the two groups R38 names (so both are surveyed everywhere); a stratum of ``n``
  applicants gives ``ceil(n × share / 100)`` of them — rounded up, in integer arithmetic, so
  a non-empty stratum is never left unsurveyed and the share is never undershot.
* **Reproducible** (:func:`draw`): each stratum is sorted by a stable key (applicant key, then
  appeal id) and sampled with ``random.Random(f"{seed}:{venue_id}:{group}")``. The same seed
  and the same population give the same sample, on any machine and Python run (string seeds
  are hashed with SHA-512, not Python's randomized ``hash``); a stratum's sample does not
  depend on the other strata.
"""
from __future__ import annotations

import random
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from ..engine.history import HistoryEntry
from ..extensions import db
from ..i18n import local_datetime
from ..reception.models import Appeal
from ..reference.models import Venue

CONSULTED_STATES = ("consulted", "held")
REFUSED_STATES = ("refused", "withdrawn")
GROUP_OF_STATE = {**{s: "consulted" for s in CONSULTED_STATES},
                  **{s: "refused" for s in REFUSED_STATES}}


@dataclass(frozen=True)
class Candidate:
    """One applicant who may be called: the appeal that makes them eligible."""

    appeal_id: int
    venue_id: int
    body_id: int
    group: str
    served_on: date
    applicant_key: str


# -- quarters ------------------------------------------------------------------------------------

def quarter_of(day: date) -> str:
    """``2026-Q4`` for any day of October to December 2026."""
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def quarter_bounds(day: date) -> tuple[date, date]:
    """The first and the last day of the quarter of ``day``."""
    first_month = (day.month - 1) // 3 * 3 + 1
    start = date(day.year, first_month, 1)
    end = date(day.year + 1, 1, 1) if first_month == 10 else date(day.year, first_month + 3, 1)
    return start, end - timedelta(days=1)


# -- applicants ----------------------------------------------------------------------------------

def normalize_phone(phone: str | None) -> str | None:
    """The digits of a Kazakh number in international form (``8 701 …`` is ``7701…``)."""
    digits = re.sub(r"\D", "", phone or "")
    if len(digits) == 11 and digits.startswith("8"):
        digits = "7" + digits[1:]
    elif len(digits) == 10:
        digits = "7" + digits
    return digits or None


def applicant_key(iin: str | None, bin_: str | None, phone: str | None) -> str | None:
    """Who the applicant is, for "nobody is called twice": IIN, else BIN, else phone."""
    if iin:
        return f"iin:{iin}"
    if bin_:
        return f"bin:{bin_}"
    digits = normalize_phone(phone)
    return f"phone:{digits}" if digits else None


# -- the population ------------------------------------------------------------------------------

def candidates(start: date, end: date, venue_ids: Iterable[int] | None = None) -> list[Candidate]:
    """Applicants served (consulted, received, refused or withdrawn) from ``start`` to ``end``
    inclusive, by the venue's local date of the history entry; one per appeal (its first such
    entry), in history order. Applicants without a phone are left out."""
    venue_ids = None if venue_ids is None else sorted(set(venue_ids))
    # the window in UTC, a day wider on each side; the exact local-date test is below
    since = datetime.combine(start - timedelta(days=1), time.min)
    until = datetime.combine(end + timedelta(days=2), time.min)
    stmt = (select(HistoryEntry.at, HistoryEntry.to_state, Appeal.id, Appeal.venue_id,
                   Appeal.body_id, Appeal.iin, Appeal.bin, Appeal.phone, Venue.timezone)
            .join(Appeal, Appeal.id == HistoryEntry.item_id)
            .join(Venue, Venue.id == Appeal.venue_id)
            .where(HistoryEntry.to_state.in_(sorted(GROUP_OF_STATE)),
                   HistoryEntry.at >= since, HistoryEntry.at < until,
                   Appeal.phone.is_not(None), Appeal.phone != "")
            .order_by(HistoryEntry.id))
    if venue_ids is not None:
        stmt = stmt.where(Appeal.venue_id.in_(venue_ids))
    out: dict[int, Candidate] = {}
    for at, state, appeal_id, venue_id, body_id, iin, bin_, phone, tz in db.session.execute(stmt):
        served_on = local_datetime(at, tz).date()
        key = applicant_key(iin, bin_, phone)
        if appeal_id in out or key is None or not start <= served_on <= end:
            continue
        out[appeal_id] = Candidate(appeal_id, venue_id, body_id, GROUP_OF_STATE[state],
                                   served_on, key)
    return list(out.values())


def eligible(population: Iterable[Candidate], excluded_keys: Iterable[str] = ()) -> list[Candidate]:
    """One candidate per applicant (the earliest served, then the lowest appeal id), without
    the applicants in ``excluded_keys`` (already sampled this quarter)."""
    excluded = set(excluded_keys)
    chosen: dict[str, Candidate] = {}
    for c in sorted(population, key=lambda c: (c.served_on, c.appeal_id)):
        if c.applicant_key not in excluded and c.applicant_key not in chosen:
            chosen[c.applicant_key] = c
    return sorted(chosen.values(), key=stable_key)


# -- the sample ----------------------------------------------------------------------------------

def stable_key(c: Candidate) -> tuple:
    return (c.venue_id, c.group, c.applicant_key, c.appeal_id)


def sample_size(n: int, share_percent: int) -> int:
    """``ceil(n × share / 100)`` in integers (no float rounding: 30 at 10 % is exactly 3)."""
    if n <= 0 or share_percent <= 0:
        return 0
    return min(n, -(-n * share_percent // 100))


def strata(population: Iterable[Candidate]) -> dict[tuple[int, str], list[Candidate]]:
    """The population by (venue, group), each sorted by the stable key."""
    out: dict[tuple[int, str], list[Candidate]] = {}
    for c in population:
        out.setdefault((c.venue_id, c.group), []).append(c)
    return {k: sorted(v, key=stable_key) for k, v in sorted(out.items())}


def draw(population: Iterable[Candidate], share_percent: int, seed: int) -> list[Candidate]:
    """The stratified sample: ``sample_size`` of each stratum, drawn with the stratum's own
    ``random.Random`` seeded from ``seed``; returned in the stable order."""
    picked: list[Candidate] = []
    for (venue_id, group), members in strata(population).items():
        rng = random.Random(f"{seed}:{venue_id}:{group}")
        picked.extend(rng.sample(members, sample_size(len(members), share_percent)))
    return sorted(picked, key=stable_key)
