"""The reference lists (bodies, venues, officials) sorted on the server by every column, both
ways, on SQLite and PostgreSQL (ties broken by id); their filters and total; bad keys ignored."""
import re

import pytest

from docflow.auth.operations import create_user
from docflow.extensions import db
from docflow.reference.models import Body, Division, Official, Venue
from tests.conftest import csrf_token

PASSWORD = "secret-pass-1"


@pytest.fixture
def admin(db_app):
    create_user("root", "admin", password=PASSWORD)
    # values whose order is the same in every collation; BB and CC tie on kind and status
    bodies = [Body(code=code, kind=kind, name_kk=kk, name_ru=ru, bin=bin_, active=active)
              for code, kind, kk, ru, bin_, active in [
                  ("BB", "local", "А-орган", "В-орган", None, True),
                  ("AA", "central", "В-орган", "Б-орган", "940140000385", False),
                  ("CC", "local", "Б-орган", "А-орган", "000740001307", True)]]
    db.session.add_all(bodies)
    db.session.flush()
    db.session.add_all([Division(code=f"{bodies[0].code}-{i}", body=bodies[0], name_kk="Б",
                                 name_ru="Б") for i in range(2)]
                       + [Division(code="CC-1", body=bodies[2], name_kk="Б", name_ru="Б")])
    from datetime import time
    db.session.add_all([
        Venue(code="V-B", kind="reception_room", body=bodies[2], name_kk="Б", name_ru="А",
              opens=time(9)),
        Venue(code="V-A", kind="reception_center", name_kk="А", name_ru="Б", opens=time(8),
              active=False),
        Venue(code="V-C", kind="reception_room", body=bodies[1], name_kk="В", name_ru="В",
              opens=time(10))])
    for code, body, rank, last, pos in [("O-B", bodies[0], "deputy", "Бекова", "Б"),
                                        ("O-A", bodies[2], "first_head", "Абаев", "В"),
                                        ("O-C", bodies[1], "deputy", "Вәлиев", "А")]:
        db.session.add(Official(code=code, body=body, rank=rank, last_name_kk=last,
                                first_name_kk="Ерлан", last_name_ru=last, first_name_ru="Ерлан",
                                position_kk=pos, position_ru=pos))
    db.session.commit()
    client = db_app.test_client()
    page = client.get("/login")
    client.post("/login", data={"login": "root", "password": PASSWORD,
                                "csrf_token": csrf_token(page.get_data(True))})
    return client


def body_code(record):
    return record.body.code if record.body else None


LISTS = {
    "bodies": (Body, {"code": lambda r: r.code, "name": lambda r: r.name_ru,
                      "kind": lambda r: r.kind, "bin": lambda r: r.bin,
                      "divisions": lambda r: len(r.divisions), "status": lambda r: r.active}),
    "venues": (Venue, {"code": lambda r: r.code, "name": lambda r: r.name_ru,
                       "kind": lambda r: r.kind, "body": body_code, "hours": lambda r: r.opens,
                       "status": lambda r: r.active}),
    "officials": (Official, {"code": lambda r: r.code, "name": lambda r: r.last_name_ru,
                             "position": lambda r: r.position_ru, "rank": lambda r: r.rank,
                             "body": body_code, "status": lambda r: r.active}),
}
CASES = [(name, key) for name, (_m, keys) in LISTS.items() for key in keys]


def codes(html: str) -> list[str]:
    body = html.split('data-testid="records"', 1)[1].split("</tbody>", 1)[0]
    return re.findall(r"<tr>\s*<td>(?:<a href=\"[^\"]*\">)?([A-Z]{1,2}(?:-[A-Z])?)(?:</a>)?</td>",
                      body)


def expected(model, key_of, desc: bool) -> list[str]:
    records = db.session.execute(db.select(model)).scalars().all()

    def key(record):
        value = key_of(record)
        return (value is not None, value if value is not None else 0, record.id)
    # NULLs: first ascending on SQLite, last on PostgreSQL — no NULL in a column we test here
    # except bin and body; compare only the rows with a value there, in order
    rows = sorted(records, key=key, reverse=desc)
    return [r.code for r in rows if key_of(r) is not None]


@pytest.mark.parametrize("name, key", CASES)
def test_every_column_sorts_both_ways(db_app, admin, name, key):
    model, keys = LISTS[name]
    for desc in (False, True):
        page = admin.get(f"/admin/reference/{name}?sort={'-' if desc else ''}{key}&lang=ru")
        assert page.status_code == 200
        html = page.get_data(True)
        with_value = set(expected(model, keys[key], desc))
        assert [c for c in codes(html) if c in with_value] == expected(model, keys[key], desc), \
            (name, key, desc)
        assert len(codes(html)) == 3
        state = "descending" if desc else "ascending"
        assert f'aria-sort="{state}" data-sort-key="{key}"' in html
        assert html.count("aria-sort=") == 1


@pytest.mark.parametrize("sort", ["nonsense", "-", "id", "name_ru", "code;drop", "x" * 300])
def test_an_unknown_key_is_ignored(db_app, admin, sort):
    page = admin.get("/admin/reference/venues", query_string={"sort": sort})
    assert page.status_code == 200
    assert codes(page.get_data(True)) == ["V-A", "V-B", "V-C"]


def test_filters_and_total(db_app, admin):
    html = admin.get("/admin/reference/bodies?status=active&sort=-code&lang=en").get_data(True)
    assert codes(html) == ["CC", "BB"]
    assert re.search(r'data-testid="count"[^>]*>2 bodies<', html)
    header = re.search(r'data-sort-key="name"><a class="sort" href="([^"]*)"', html).group(1)
    assert "status=active" in header and "sort=name" in header
    html = admin.get("/admin/reference/bodies?q=В-орган&status=&lang=ru").get_data(True)
    assert codes(html) == ["AA", "BB"]  # in the Kazakh name of one, the Russian of the other
    html = admin.get("/admin/reference/officials?q=O-C&lang=en").get_data(True)
    assert codes(html) == ["O-C"]
    html = admin.get("/admin/reference/venues?status=inactive&lang=en").get_data(True)
    assert codes(html) == ["V-A"] and "1 venue" in html
    assert admin.get("/admin/reference/venues?status=bogus").status_code == 200
