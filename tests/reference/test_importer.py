"""`flask import-reference`: one CSV loads or updates bodies, divisions, venues and officials by
code; every bad row is reported with its line and field, and then nothing changes (R2, R4, R8)."""
from datetime import time

import pytest

from docflow.extensions import db
from docflow.reference.importer import COLUMNS, import_file, import_text
from docflow.reference.models import Body, Division, Official, Venue

HEADER = ("record,code,body,kind,name_kk,name_ru,bin,address_kk,address_ru,timezone,opens,"
          "lunch_start,lunch_end,closes,rank,last_name_kk,first_name_kk,patronymic_kk,"
          "last_name_ru,first_name_ru,patronymic_ru,position_kk,position_ru,active")

GOOD = f"""{HEADER}
body,MJ,,central,Әділет министрлігі,Министерство юстиции,940140000385,"Астана қ., Мәңгілік Ел, 8","г. Астана, Мангилик Ел, 8",,,,,,,,,,,,,,,
division,MJ-REG,MJ,,Тіркеу департаменті,Департамент регистрации,,,,,,,,,,,,,,,,,,
venue,RR-MJ,MJ,reception_room,Әділет министрлігінің қоғамдық қабылдау бөлмесі,Общественная приемная Минюста,,Астана қ.,г. Астана,Asia/Almaty,09:00,13:00,14:00,18:00,,,,,,,,,,
venue,CRC-ALA,,reception_center,Алматы қаласының ХҚО,ЦПГ города Алматы,,Алматы қ.,г. Алматы,,8:30,12:30,13:30,17:30,,,,,,,,,,no
official,MJ-MIN,MJ,,,,,,,,,,,,first_head,Сәрсенбаев,Азамат,Болатұлы,Сарсенбаев,Азамат,Болатович,Министр,Министр,
official,MJ-DEP,MJ,,,,,,,,,,,,deputy,Әлиева,Дана,,Алиева,Дана,,Вице-министр,Вице-министр,yes
"""


def _counts(report) -> dict:
    return {record: dict(counter) for record, counter in report.counts.items() if counter}


def _all_rows() -> list:
    return [(model.__name__, row.code) for model in (Body, Division, Venue, Official)
            for row in db.session.execute(db.select(model).order_by(model.code)).scalars()]


def test_good_file_creates_everything(en_db):
    report = import_text(GOOD)
    assert report.errors == []
    db.session.commit()
    assert _counts(report) == {"body": {"created": 1}, "division": {"created": 1},
                               "venue": {"created": 2}, "official": {"created": 2}}
    body = db.session.execute(db.select(Body)).scalar_one()
    assert (body.bin, body.address_ru, body.active) == ("940140000385",
                                                        "г. Астана, Мангилик Ел, 8", True)
    assert [d.code for d in body.divisions] == ["MJ-REG"]
    room, center = (db.session.execute(db.select(Venue).where(Venue.code == code)).scalar_one()
                    for code in ("RR-MJ", "CRC-ALA"))
    assert (room.body, room.closes) == (body, time(18))
    assert (center.body, center.opens, center.lunch_start, center.timezone, center.active) == (
        None, time(8, 30), time(12, 30), "Asia/Almaty", False)
    minister = db.session.execute(db.select(Official).where(Official.code == "MJ-MIN")).scalar_one()
    assert minister.full_name("kk") == "Сәрсенбаев Азамат Болатұлы"
    deputy = db.session.execute(db.select(Official).where(Official.code == "MJ-DEP")).scalar_one()
    assert (deputy.rank, deputy.patronymic_ru, deputy.full_name("ru")) == (
        "deputy", None, "Алиева Дана")


def test_same_file_twice_is_all_unchanged(en_db):
    import_text(GOOD)
    db.session.commit()
    before = _all_rows()
    report = import_text(GOOD)
    assert report.errors == []
    assert report.total("created") == report.total("updated") == 0
    assert report.total("unchanged") == 6
    db.session.commit()
    assert _all_rows() == before


def test_one_changed_name_is_one_update(en_db):
    import_text(GOOD)
    db.session.commit()
    changed = GOOD.replace("ЦПГ города Алматы", "Центр приема граждан города Алматы")
    report = import_text(changed)
    assert report.errors == []
    assert _counts(report)["venue"] == {"updated": 1, "unchanged": 1}
    assert report.total("updated") == 1 and report.total("unchanged") == 5
    db.session.commit()
    db.session.expire_all()
    center = db.session.execute(db.select(Venue).where(Venue.code == "CRC-ALA")).scalar_one()
    assert center.name_ru == "Центр приема граждан города Алматы"


BAD = f"""{HEADER}
body,MJ,,central,Әділет министрлігі,Министерство юстиции,940140000385,,,,,,,,,,,,,,,,,
venue,CRC-X,,reception_center,Орталық,Центр,,,,,09:00,13:00,14:00,25:00,,,,,,,,,,
division,MJ-REG,MJ,,Тіркеу департаменті,Департамент регистрации,,,,,,,,,,,,,,,,,,
official,MJ-MIN,MJ,,,,,,,,,,,,minister,Сәрсенбаев,Азамат,,Сарсенбаев,Азамат,,Министр,Министр,
body,MZ,,central,,Министерство здравоохранения,,,,,,,,,,,,,,,,,,
"""


def test_three_bad_rows_are_each_reported_and_nothing_changes(en_db):
    import_text(GOOD)
    db.session.commit()
    before = _all_rows()
    report = import_text(BAD)
    assert report.errors == [
        "line 3: venue CRC-X: closes: '25:00' is not a time: use HH:MM on a 24-hour clock, "
        "e.g. 09:00.",
        "line 5: official MJ-MIN: rank: 'minister' is not one of: first_head, deputy.",
        "line 6: body MZ: name_kk: a value is required.",
    ]
    assert report.total("created") == report.total("updated") == 0
    db.session.rollback()
    assert _all_rows() == before


def test_bad_rows_in_a_fresh_database_create_nothing(en_db):
    report = import_text(BAD)
    assert len(report.errors) == 3
    db.session.rollback()
    assert _all_rows() == []


def _row(record, **cells) -> str:
    return ",".join(["record", "code", *cells]) + "\n" + ",".join(
        [record, cells.pop("code", "X"), *cells.values()]) + "\n"


def _venue(**changes) -> str:
    cells = {"code": "CRC-X", "kind": "reception_center", "name_kk": "a", "name_ru": "b",
             "opens": "09:00", "lunch_start": "13:00", "lunch_end": "14:00", "closes": "18:00",
             **changes}
    return "record," + ",".join(cells) + "\nvenue," + ",".join(cells.values()) + "\n"


@pytest.mark.parametrize("text, expected", [
    (_venue(lunch_start="08:00"), "line 2: venue CRC-X: lunch_start: The lunch break must start "
                                  "after opening time."),
    (_venue(lunch_end="12:00"), "line 2: venue CRC-X: lunch_end: The lunch break must end "
                                "after it starts."),
    (_venue(closes="14:00"), "line 2: venue CRC-X: closes: Closing time must be after the end "
                             "of the lunch break."),
    (_venue(opens="9h"), "line 2: venue CRC-X: opens: '9h' is not a time"),
    (_venue(timezone="Mars/Olympus"), "line 2: venue CRC-X: timezone: 'Mars/Olympus' is not a "
                                      "known time zone"),
    (_venue(kind="reception_room"), "line 2: venue CRC-X: body: A public reception room belongs "
                                    "to one body"),
    (_venue(kind="palace"), "line 2: venue CRC-X: kind: 'palace' is not one of: "
                            "reception_center, reception_room."),
    (_venue(kind="reception_room", body="NOPE"), "line 2: venue CRC-X: body: no body with the "
                                                 "code NOPE"),
    (_venue(active="maybe"), "line 2: venue CRC-X: active: 'maybe' is not yes or no."),
    (_venue(rank="deputy"), "line 2: venue CRC-X: rank: this column does not apply to a venue "
                            "row"),
    (_venue(code="CRC X"), "line 2: venue CRC X: code: A code is 1 to 32 Latin letters"),
    (_venue(name_ru="я" * 256), "line 2: venue CRC-X: name_ru: 256 characters, at most 255"),
    ("record,code,bin,kind,name_kk,name_ru\nbody,MJ,940140000386,central,a,b\n",
     "line 2: body MJ: bin: The BIN's check digit"),
    ("record,code,email,kind,name_kk,name_ru\nbody,MJ,x@y,central,a,b\n",
     "line 2: body MJ: email: 'x@y' is not an e-mail address."),
    ("record,code,name_kk,name_ru\ndivison,D1,a,b\n",
     "line 2: divison D1: record: 'divison' is not one of: body, division, venue, official."),
    ("record,code,body,name_kk,name_ru\ndivision,D1,,a,b\n",
     "line 2: division D1: body: a value is required."),
    ("record,code,name_kk,name_ru,kind\nbody,B1,a,b,central\nbody,B1,c,d,central\n",
     "line 3: body B1: code: this body is already on line 2."),
    ("record,code,name_kz\nbody,B1,a\n", "line 1: the header must name"),
    ("code,name_kk\nB1,a\n", "line 1: the header must name the columns record and code"),
    ("record,code,kind,name_kk,name_ru\nbody,B1,central,a,b,extra\n",
     "line 2: 6 cells, but the header names 5 columns."),
])
def test_each_kind_of_bad_row_is_named(en, text, expected):
    report = import_text(text)
    assert len(report.errors) == 1, report.errors
    assert report.errors[0].startswith(expected), report.errors[0]
    db.session.rollback()
    assert _all_rows() == []


def test_line_numbers_count_quoted_line_breaks_and_blank_lines(en):
    text = ("record,code,kind,name_kk,name_ru,address_ru\n"
            'body,B1,central,a,b,"first line\nsecond line"\n'
            "\n"
            "body,B2,central,,b,\n")
    assert import_text(text).errors == ["line 5: body B2: name_kk: a value is required."]


def test_rows_may_refer_to_bodies_in_the_same_file_or_the_database(en_db):
    db.session.add(Body(code="OLD", kind="central", name_kk="a", name_ru="b"))
    db.session.commit()
    text = ("record,code,body,kind,name_kk,name_ru\n"
            "division,OLD-1,OLD,,a,b\n"
            "division,NEW-1,NEW,,a,b\n"
            "body,NEW,,local,Әкімдік,Акимат\n")
    report = import_text(text)
    assert report.errors == []
    db.session.commit()
    assert {d.code: d.body.code for d in db.session.execute(db.select(Division)).scalars()} == {
        "OLD-1": "OLD", "NEW-1": "NEW"}


def test_excel_file_with_bom_and_semicolons(en, tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes("\ufeffrecord;code;kind;name_kk;name_ru\r\nbody;MJ;central;Әділет;Юстиция\r\n"
                     .encode("utf-8"))
    report = import_file(path)
    assert report.errors == [] and report.total("created") == 1


def test_file_that_is_not_utf8(en, tmp_path):
    path = tmp_path / "cp1251.csv"
    path.write_bytes("record,code,kind,name_kk,name_ru\nbody,MJ,central,а,Юстиция\n"
                     .encode("cp1251"))
    report = import_file(path)
    assert len(report.errors) == 1 and "not UTF-8" in report.errors[0]


def test_moving_a_division_to_another_body_is_an_update(en_db):
    import_text(GOOD)
    db.session.commit()
    text = ("record,code,body,kind,name_kk,name_ru\n"
            "body,MZ,,central,Денсаулық сақтау министрлігі,Министерство здравоохранения\n"
            "division,MJ-REG,MZ,,Тіркеу департаменті,Департамент регистрации\n")
    report = import_text(text)
    assert _counts(report) == {"body": {"created": 1}, "division": {"updated": 1}}
    db.session.commit()
    assert db.session.execute(db.select(Division)).scalar_one().body.code == "MZ"


def test_every_documented_column_is_known():
    from pathlib import Path
    doc = (Path(__file__).resolve().parents[2] / "docs" / "reference-import.md").read_text()
    for column in COLUMNS:
        assert f"`{column}`" in doc, column


# The command, as an operator runs it

def _invoke(app, path):
    return app.test_cli_runner().invoke(args=["import-reference", str(path)])  # click >= 8.2


def test_command_applies_a_good_file_and_reports_counts(db_app, tmp_path):
    path = tmp_path / "good.csv"
    path.write_text(GOOD, encoding="utf-8")
    result = _invoke(db_app, path)
    assert result.exit_code == 0, result.output
    assert "total     created    6  updated    0  unchanged    0" in result.stdout
    again = _invoke(db_app, path)
    assert again.exit_code == 0
    assert "total     created    0  updated    0  unchanged    6" in again.stdout
    db.session.remove()
    assert len(_all_rows()) == 6


def test_command_refuses_a_bad_file_with_status_1(db_app, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(BAD, encoding="utf-8")
    result = _invoke(db_app, path)
    assert result.exit_code == 1
    assert "line 3: venue CRC-X: closes: '25:00' is not a time" in result.stderr
    assert "3 problems found; nothing was changed." in result.stderr
    assert "Traceback" not in result.output
    db.session.remove()
    assert _all_rows() == []
