"""The CSV and XLSX writers: headers, localized dates, numbers, the formula-injection guard,
characters XML cannot hold, and XLSX read back with openpyxl."""
import csv
import io
from datetime import date, datetime

import pytest
from flask_babel import force_locale, lazy_gettext
from openpyxl import load_workbook

from docflow.exports import date_pattern, excel_date_format, safe_text, write_csv, write_xlsx

ROWS = [
    {"name": "=1+2", "phone": "+77011234567", "n": 3, "day": date(2026, 11, 25),
     "at": datetime(2026, 11, 25, 5, 15)},  # 10:15 in Almaty
    {"name": "@SUM(A1)", "phone": "-2", "n": None, "day": None, "at": None},
    {"name": "Сәрсенбаев\x07 Ғалым", "phone": "\tcmd", "n": 0, "day": date(2026, 1, 2),
     "at": None},
]
COLUMNS = [(lazy_gettext("Applicant"), lambda r: r["name"]),
           (lazy_gettext("Phone"), lambda r: r["phone"]),
           ("=cmd", lambda r: r["n"]),
           (lazy_gettext("Registered on"), lambda r: r["day"]),
           ("at", lambda r: r["at"])]


@pytest.mark.parametrize("value, safe", [
    ("=1+2", "'=1+2"), ("+7701", "'+7701"), ("-2", "'-2"), ("@A1", "'@A1"), ("\tx", "'\tx"),
    ("\rx", "'\rx"), ("Иванов", "Иванов"), ("a=b", "a=b"), ("", ""),
])
def test_safe_text(value, safe):
    assert safe_text(value) == safe


@pytest.mark.parametrize("locale, pattern, excel", [
    ("ru", "dd.MM.yyyy", "dd.mm.yyyy"), ("en", "M/d/yyyy", "m/d/yyyy"),
])
def test_date_patterns(app, locale, pattern, excel):
    assert date_pattern(locale) == pattern and excel_date_format(pattern) == excel


def test_csv_guards_formulas_and_writes_dates_in_the_locale(app):
    with app.test_request_context(), force_locale("ru"):
        text = "".join(write_csv(iter(ROWS), COLUMNS))
        headers = [str(COLUMNS[0][0]), str(COLUMNS[1][0]), "'=cmd", str(COLUMNS[3][0]), "at"]
    assert headers[0] == "Заявитель"  # the reader's language
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[0] == headers
    assert rows[1] == ["'=1+2", "'+77011234567", "3", "25.11.2026", "25.11.2026 10:15"]
    assert rows[2] == ["'@SUM(A1)", "'-2", "", "", ""]
    assert rows[3][1] == "'\tcmd" and rows[3][2] == "0" and rows[3][3] == "02.01.2026"
    assert len(rows) == 4


def test_csv_streams_in_pieces(app):
    rows = ({"name": f"n{i}", "phone": "", "n": i, "day": None, "at": None}
            for i in range(1000))
    with app.test_request_context():
        pieces = list(write_csv(rows, COLUMNS))
    assert len(pieces) > 3  # header, then batches: not one string built in memory
    assert "".join(pieces).count("\r\n") == 1001


def test_xlsx_reads_back_with_guarded_text_numbers_and_real_dates(app):
    with app.test_request_context(), force_locale("ru"):
        out = write_xlsx(iter(ROWS), COLUMNS, title="Обращения [все]")
    book = load_workbook(out)
    sheet = book.active
    assert sheet.title == "Обращения  все "
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[0][2] == "'=cmd"
    assert values[1][:3] == ["'=1+2", "'+77011234567", 3]
    assert values[1][3] == datetime(2026, 11, 25) and values[1][4] == datetime(2026, 11, 25, 10, 15)
    assert values[2][:3] == ["'@SUM(A1)", "'-2", None]
    assert values[3][0] == "Сәрсенбаев Ғалым"  # a control character XML cannot hold is dropped
    assert sheet.cell(row=2, column=4).number_format == "dd.mm.yyyy"
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    out.close()
