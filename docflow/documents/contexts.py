"""The context dict each document kind expects, and a check run before rendering.

The renderer knows nothing of the database: callers (reception operations, workers) build these
plain dicts, already in the document's language where a value is language-specific. Dates may be
``date``/``datetime`` objects or ISO strings; ``issued_at`` fixes the PDF's creation date so that
the same data renders to the same file.
"""
from datetime import date, datetime
from typing import Literal, NotRequired, TypedDict


class Letterhead(TypedDict):
    """The issuing body (or venue): both names always, requisites as printed under them."""

    name_kk: str
    name_ru: str
    address: str
    bin: str
    phone: str
    email: str
    website: str


class Person(TypedDict):
    name: str
    position: NotRequired[str]
    address: NotRequired[str]


class Registration(TypedDict):
    number: str
    date: date | str


class Slot(TypedDict):
    """A reception appointment (R28, R29)."""

    date: date | str
    time: str  # "10:30"
    place: str
    official_name: str
    official_position: str


class ReplyLetter(TypedDict):
    """``reply_letter`` (R29): the reply stating the reception's date and time, or a refusal."""

    issued_at: date | datetime | str
    letterhead: Letterhead
    applicant: Person
    registration: Registration
    decision: Literal["slot", "refusal"]
    reception: NotRequired[Slot]  # decision == "slot"
    refusal_reason: NotRequired[str]  # decision == "refusal"; the letter then has no date/time
    verification_url: str  # encoded in the QR code
    signatory: Person


class HistoryRow(TypedDict):
    date: date | str
    event: str
    actor: str


class Material(TypedDict):
    title: str
    source: str
    received_on: date | str


class ReferenceBrief(TypedDict):
    """``reference_brief`` (R26): to the head of the body, proposing a slot or a refusal."""

    issued_at: date | datetime | str
    letterhead: Letterhead
    addressee: Person  # the head (or akim)
    applicant: Person
    registration: Registration
    subject: str
    summary: str
    history: list[HistoryRow]
    materials: list[Material]
    decision: Literal["slot", "refusal"]
    reception: NotRequired[Slot]
    refusal_reason: NotRequired[str]
    prepared_by: Person


class ScheduleRow(TypedDict):
    """One line of the schedule (appendix form), each text in both languages (R8)."""

    body_kk: str
    body_ru: str
    official_kk: str  # full name; the patronymic is optional (R8)
    official_ru: str
    position_kk: str
    position_ru: str
    date: date | str
    time: str
    venue_kk: str
    venue_ru: str


class Approval(TypedDict):
    name_kk: str
    name_ru: str
    position_kk: str
    position_ru: str
    approved_on: date | str


class SchedulePoster(TypedDict):
    """``schedule_poster`` (R7-1, R8): A4 landscape, Kazakh and Russian on the same sheet."""

    issued_at: date | datetime | str
    letterhead: Letterhead
    year: int
    month: int
    venue_kk: str
    venue_ru: str
    approval: NotRequired[Approval]  # the Head of the Office of the Government (R7-1)
    rows: list[ScheduleRow]


class Figure(TypedDict):
    label: str
    value: int | float | str
    previous: NotRequired[int | float | str]


class Chart(TypedDict):
    title: str
    svg: str  # a complete <svg> document; embedded as an image, never as page markup


class QuarterlyReport(TypedDict):
    """``quarterly_report`` (R40): figures for a venue/body and optional charts."""

    issued_at: date | datetime | str
    letterhead: Letterhead
    year: int
    quarter: int
    scope: str  # the venue or body reported on, in the document's language
    figures: list[Figure]
    charts: NotRequired[list[Chart]]
    prepared_by: Person


KINDS: dict[str, type] = {
    "reply_letter": ReplyLetter,
    "reference_brief": ReferenceBrief,
    "schedule_poster": SchedulePoster,
    "quarterly_report": QuarterlyReport,
}


def _decision_errors(context: dict) -> list[str]:
    decision = context.get("decision")
    if decision == "slot":
        return [] if context.get("reception") else ["decision 'slot' needs 'reception'"]
    if decision == "refusal":
        errors = [] if context.get("refusal_reason") else ["decision 'refusal' needs 'refusal_reason'"]
        if context.get("reception"):  # a refusal states no date or time of reception (R29)
            errors.append("decision 'refusal' must not carry 'reception'")
        return errors
    return [f"'decision' must be 'slot' or 'refusal', not {decision!r}"]


def check(kind: str, context: dict) -> None:
    """Raise ValueError naming every missing key or contradiction, before any rendering."""
    if kind not in KINDS:
        raise ValueError(f"unknown document kind {kind!r}; known: {', '.join(KINDS)}")
    spec = KINDS[kind]
    errors = [f"missing {key!r}" for key in sorted(spec.__required_keys__) if key not in context]
    if "decision" in spec.__annotations__ and not errors:
        errors += _decision_errors(context)
    if kind == "quarterly_report" and context.get("quarter") not in (1, 2, 3, 4):
        errors.append("'quarter' must be 1..4")
    if kind == "schedule_poster" and not 1 <= int(context.get("month", 0)) <= 12:
        errors.append("'month' must be 1..12")
    if errors:
        raise ValueError(f"{kind}: " + "; ".join(errors))
