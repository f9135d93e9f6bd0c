"""Loading reference data from one CSV file (``flask import-reference``; docs/reference-import.md).

Every row is checked before anything is written. When any row is bad, every problem is reported
with its line number and field, and nothing changes. Otherwise bodies, then divisions, venues and
officials are created or updated by ``code`` through ``operations`` (flush, never commit: the
command commits), so running the same file again leaves everything unchanged.
"""
import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from flask_babel import gettext as _

from ..reception.identity import validate_bin
from . import rules
from .models import Body, Division, Official, Venue
from .operations import differs, find, save_body, save_division, save_official, save_venue

MODELS = {"body": Body, "division": Division, "venue": Venue, "official": Official}
SAVE = {"body": save_body, "division": save_division, "venue": save_venue,
        "official": save_official}
KINDS = {"body": Body.KINDS, "venue": Venue.KINDS}

# For each record: its columns, the required ones marked with "*". Any other column must be empty.
RECORD_COLUMNS = {
    "body": ["code*", "kind*", "name_kk*", "name_ru*", "bin", "phone", "email", "website",
             "address_kk", "address_ru", "active"],
    "division": ["code*", "body*", "name_kk*", "name_ru*", "active"],
    "venue": ["code*", "kind*", "body", "name_kk*", "name_ru*", "address_kk", "address_ru",
              "timezone", "opens", "lunch_start", "lunch_end", "closes", "active"],
    "official": ["code*", "body*", "rank*", "last_name_kk*", "first_name_kk*", "patronymic_kk",
                 "last_name_ru*", "first_name_ru*", "patronymic_ru", "position_kk*",
                 "position_ru*", "active"],
}
COLUMNS = ["record"] + list(dict.fromkeys(
    name.rstrip("*") for columns in RECORD_COLUMNS.values() for name in columns))
PROGRESS_EVERY = 100  # lines between two progress reports of read_rows
TRUE = {"", "1", "true", "yes", "y"}
FALSE = {"0", "false", "no", "n"}


@dataclass
class Row:
    line: int
    record: str
    code: str
    values: dict  # column -> typed value; ``body`` holds the body's code until applied


@dataclass
class ImportReport:
    errors: list[str] = field(default_factory=list)
    counts: dict[str, Counter] = field(
        default_factory=lambda: {record: Counter() for record in MODELS})

    @property
    def ok(self) -> bool:
        return not self.errors

    def total(self, outcome: str) -> int:
        return sum(counter[outcome] for counter in self.counts.values())


def _problem(line: int, record: str, code: str, column: str, message: str) -> str:
    if code:
        return _("line %(line)d: %(record)s %(code)s: %(field)s: %(message)s", line=line,
                 record=record, code=code, field=column, message=message)
    return _("line %(line)d: %(record)s: %(field)s: %(message)s", line=line,
             record=record or "?", field=column, message=message)


def _max_length(model, column: str) -> int | None:
    return getattr(model.__table__.c[column].type, "length", None)


def _parse_cell(record: str, column: str, text: str):
    """The typed value of one cell; ValueError with a message for people."""
    model = MODELS[record]
    if column == "active":
        if text.lower() in TRUE:
            return True
        if text.lower() in FALSE:
            return False
        raise ValueError(_("'%(value)s' is not yes or no.", value=text))
    if column == "kind" and text not in KINDS[record]:
        raise ValueError(_("'%(value)s' is not one of: %(choices)s.", value=text,
                           choices=", ".join(KINDS[record])))
    if column == "rank" and text not in Official.RANKS:
        raise ValueError(_("'%(value)s' is not one of: %(choices)s.", value=text,
                           choices=", ".join(Official.RANKS)))
    if column in rules.HOUR_FIELDS:
        return rules.parse_time(text) if text else rules.DEFAULT_HOURS[column]
    checks = {"code": rules.code_problem, "timezone": rules.timezone_problem,
              "bin": rules.bin_problem, "email": rules.email_problem,
              "website": rules.website_problem}
    if column == "timezone" and not text:
        return rules.DEFAULT_TIMEZONE
    if text and column in checks and (message := checks[column](text)):
        raise ValueError(message)
    if column == "bin":
        return validate_bin(text) if text else None
    if column == "body":
        return text or None
    limit = _max_length(model, column)
    if limit and len(text) > limit:
        raise ValueError(_("%(count)d characters, at most %(limit)d are allowed.",
                           count=len(text), limit=limit))
    if column.startswith("patronymic"):
        return text or None  # R8: a patronymic is optional
    return text


def _parse_row(line: int, cells: dict[str, str], report: ImportReport) -> Row | None:
    record = cells.get("record", "").lower()
    code = cells.get("code", "")
    if record not in RECORD_COLUMNS:
        report.errors.append(_problem(line, record, code, "record", _(
            "'%(value)s' is not one of: %(choices)s.", value=cells.get("record", ""),
            choices=", ".join(RECORD_COLUMNS))))
        return None
    wanted = {name.rstrip("*"): name.endswith("*") for name in RECORD_COLUMNS[record]}
    values, bad = {}, False
    for column in COLUMNS[1:]:
        text = cells.get(column, "")
        if column not in wanted:
            if text:
                report.errors.append(_problem(line, record, code, column, _(
                    "this column does not apply to a %(record)s row: leave it empty.",
                    record=record)))
                bad = True
            continue
        if wanted[column] and not text:
            report.errors.append(_problem(line, record, code, column, _("a value is required.")))
            bad = True
            continue
        try:
            values[column] = _parse_cell(record, column, text)
        except ValueError as exc:
            report.errors.append(_problem(line, record, code, column, str(exc)))
            bad = True
    return None if bad else Row(line, record, code, values)


def _check_row(row: Row, bodies_in_file: set[str], report: ImportReport) -> None:
    """What needs more than one cell: the body a row refers to, a venue's hours."""
    def problem(column, message):
        report.errors.append(_problem(row.line, row.record, row.code, column, message))

    body_code = row.values.get("body")
    if body_code and body_code not in bodies_in_file and find(Body, body_code) is None:
        problem("body", _("no body with the code %(code)s, in the database or in this file.",
                          code=body_code))
    if row.record == "venue":
        hours = rules.hours_problems(*(row.values[name] for name in rules.HOUR_FIELDS))
        for column, message in hours.items():
            problem(column, message)
        if message := rules.venue_body_problem(row.values["kind"], body_code is not None):
            problem("body", message)


def read_rows(text: str, report: ImportReport, progress=None) -> list[Row]:
    """Parse and check every row of the CSV text; problems go to ``report.errors``.
    ``progress(line)``, if given, is called with the line reached every :data:`PROGRESS_EVERY`
    lines (the web import shows it while it runs)."""
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [name.strip().lower() for name in next(reader, [])]
    except csv.Error as exc:
        report.errors.append(_("line 1: the header cannot be read: %(error)s", error=str(exc)))
        return []
    unknown = [name for name in header if name not in COLUMNS]
    missing = [name for name in ("record", "code") if name not in header]
    if unknown or missing or len(set(header)) != len(header):
        report.errors.append(_(
            "line 1: the header must name the columns record and code, each column once, and "
            "only these: %(columns)s. Unknown: %(unknown)s. Missing: %(missing)s.",
            columns=", ".join(COLUMNS), unknown=", ".join(unknown) or "-",
            missing=", ".join(missing) or "-"))
        return []
    rows, seen = [], {}
    end_of_previous = reader.line_num
    try:
        for cells in reader:
            line, end_of_previous = end_of_previous + 1, reader.line_num
            if progress is not None and line % PROGRESS_EVERY == 0:
                progress(line)
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) > len(header):
                report.errors.append(_("line %(line)d: %(count)d cells, but the header names "
                                       "%(columns)d columns.", line=line, count=len(cells),
                                       columns=len(header)))
                continue
            row = _parse_row(line, {name: cell.strip() for name, cell in zip(header, cells, strict=False)},
                             report)
            if row is None:
                continue
            key = (row.record, row.code)
            if key in seen:
                report.errors.append(_problem(line, row.record, row.code, "code", _(
                    "this %(record)s is already on line %(first)d.", record=row.record,
                    first=seen[key])))
                continue
            seen[key] = line
            rows.append(row)
    except csv.Error as exc:
        report.errors.append(_("line %(line)d: the file cannot be read as CSV: %(error)s",
                               line=reader.line_num, error=str(exc)))
    bodies_in_file = {row.code for row in rows if row.record == "body"}
    for row in rows:
        _check_row(row, bodies_in_file, report)
    return rows


def apply_rows(rows: list[Row], report: ImportReport) -> None:
    """Create or update each row's record by code: bodies first, as the others refer to them."""
    for record in MODELS:
        for row in (r for r in rows if r.record == record):
            values = {"code": row.code, **row.values}
            if "body" in values:
                values["body"] = find(Body, values["body"]) if values["body"] else None
            existing = find(MODELS[record], row.code)
            if existing is None:
                SAVE[record](values)
                report.counts[record]["created"] += 1
            elif differs(existing, values):
                SAVE[record](values, existing)
                report.counts[record]["updated"] += 1
            else:
                report.counts[record]["unchanged"] += 1


def import_text(text: str, progress=None) -> ImportReport:
    """Check every row; apply them only when all are good. Flushes, never commits.
    ``progress``: see :func:`read_rows`."""
    report = ImportReport()
    rows = read_rows(text, report, progress)
    if report.ok:
        apply_rows(rows, report)
    return report


def import_file(path: str | Path) -> ImportReport:
    """``import_text`` on a UTF-8 file; Excel's byte-order mark is accepted (utf-8-sig)."""
    try:
        text = Path(path).read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        report = ImportReport()
        report.errors.append(_("The file is not UTF-8 text (byte %(position)d): save it as "
                               "\"CSV UTF-8\".", position=exc.start))
        return report
    return import_text(text)
