"""Lists as CSV and XLSX files: "export any list a user can see" (issue 9).

An export never queries by itself: the page's own query function gives the rows (so the same
filters and the same permission filter, ``visible_filter``, R11), and this module only writes
them. ``columns`` is a sequence of ``(header, value)`` pairs: ``header`` a (lazy) translated
string, ``value(row)`` the cell's raw value — text, a number, a date or a UTC datetime.

* :func:`write_csv` yields the file piece by piece (UTF-8 with a BOM, so spreadsheet programs
  read Kazakh and Russian letters right), for a streamed response;
* :func:`write_xlsx` writes an XLSX with openpyxl's write-only mode (rows go to disk as they
  come, memory stays flat however long the list) into a temporary file and returns it.

Dates are written in the reader's locale (its numeric date pattern, with a four-digit year):
as text in CSV, as real date cells with that display format in XLSX. Datetimes are shown in
the venue's zone. Text cells that a spreadsheet would run as a formula (starting with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return) get a leading apostrophe, in both formats.
"""
from __future__ import annotations

import csv
import io
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal

from babel.dates import format_date as babel_format_date
from babel.dates import get_date_format
from flask import Response, send_file, stream_with_context
from flask_babel import get_locale

from ..i18n import local_datetime

Column = tuple[object, Callable[[object], object]]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_BATCH_ROWS = 200
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # not allowed in XML (XLSX)


def safe_text(value: str) -> str:
    """Text a spreadsheet shows as text: a would-be formula gets a leading apostrophe."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def date_pattern(locale: str | None = None) -> str:
    """The locale's short numeric date pattern with a four-digit year (ru ``dd.MM.yyyy``)."""
    pattern = get_date_format("short", locale=str(locale or get_locale())).pattern
    return re.sub(r"y+", "yyyy", pattern)


def excel_date_format(pattern: str) -> str:
    """A CLDR date pattern as an Excel number format (months are ``m`` there)."""
    return pattern.replace("M", "m").replace("'", '"')


def _text_of(value, locale: str, pattern: str) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        local = local_datetime(value)
        return f"{babel_format_date(local.date(), pattern, locale=locale)} {local:%H:%M}"
    if isinstance(value, date):
        return babel_format_date(value, pattern, locale=locale)
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return str(value)
    return safe_text(str(value))


def headers(columns: Sequence[Column]) -> list[str]:
    return [str(header) for header, _value in columns]


def write_csv(rows: Iterable, columns: Sequence[Column]) -> Iterator[str]:
    """The CSV file as text pieces: a BOM and the header line, then rows in batches."""
    locale = str(get_locale())
    pattern = date_pattern(locale)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([safe_text(h) for h in headers(columns)])
    yield "\ufeff" + buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    for n, row in enumerate(rows, 1):
        writer.writerow([_text_of(value(row), locale, pattern) for _header, value in columns])
        if n % CSV_BATCH_ROWS == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()


def write_xlsx(rows: Iterable, columns: Sequence[Column], title: str = "docflow"):
    """The XLSX file in a temporary binary file, positioned at its start (the caller closes
    it; it is deleted when closed)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    locale = str(get_locale())
    number_format = excel_date_format(date_pattern(locale))
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_sheet_title(title))
    bold = Font(bold=True)
    header_cells = []
    for text in headers(columns):
        cell = WriteOnlyCell(sheet, value=_clean(safe_text(text)))
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in rows:
        sheet.append([_xlsx_cell(sheet, value(row), number_format)
                      for _header, value in columns])
    out = tempfile.TemporaryFile(suffix=".xlsx")
    workbook.save(out)
    out.seek(0)
    return out


def _xlsx_cell(sheet, value, number_format: str):
    from openpyxl.cell import WriteOnlyCell

    if value is None:
        return None
    if isinstance(value, datetime):
        cell = WriteOnlyCell(sheet, value=local_datetime(value).replace(tzinfo=None))
        cell.number_format = number_format + " hh:mm"
        return cell
    if isinstance(value, date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = number_format
        return cell
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return value
    return _clean(safe_text(str(value)))


def _clean(text: str) -> str:
    return _CONTROL.sub("", text)


def _sheet_title(title: str) -> str:
    return re.sub(r"[\[\]:*?/\\]", " ", str(title))[:31] or "docflow"


# -- responses -----------------------------------------------------------------------------------

FORMATS = ("csv", "xlsx")


def export_response(fmt: str, rows: Iterable, columns: Sequence[Column], name: str,
                    title: str | None = None) -> Response:
    """A download of ``rows`` as ``fmt`` (``csv``: streamed; ``xlsx``: written, then sent).

    ``rows`` may be a lazy iterable (a streamed query): the CSV response reads it while
    sending, inside the request's context.
    """
    if fmt == "csv":
        response = Response(stream_with_context(write_csv(rows, columns)),
                            mimetype="text/csv")  # Flask adds "; charset=utf-8"
        response.headers["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response
    if fmt == "xlsx":
        return send_file(write_xlsx(rows, columns, title or name), mimetype=XLSX_MEDIA_TYPE,
                         as_attachment=True, download_name=f"{name}.xlsx")
    raise ValueError(f"unknown export format {fmt!r} (use one of: {', '.join(FORMATS)})")


def init_app(app) -> None:
    """The export routes of the appeal lists (the worklist, the search results)."""
    from .views import bp

    if bp.name not in app.blueprints:
        app.register_blueprint(bp)
