"""The reference-data admin pages (R2, R2-1, R4, R8): who may use them, and what they save."""
import re
from datetime import time

import pytest

from docflow.extensions import db
from docflow.reference.models import Body, Division, Official, Venue
from tests.conftest import csrf_token

BODY = {"code": "MJ", "kind": "central", "name_kk": "Әділет министрлігі",
        "name_ru": "Министерство юстиции", "bin": "940140000385", "phone": "+7 7172 00 00 00",
        "email": "info@adilet.gov.kz", "website": "https://www.gov.kz/memleket/entities/adilet",
        "address_kk": "Астана қ., Мәңгілік Ел, 8", "address_ru": "г. Астана, Мангилик Ел, 8",
        "active": "y"}
VENUE = {"code": "CRC-ALA", "kind": "reception_center", "body": "",
         "name_kk": "Алматы қаласының азаматтарды қабылдау орталығы",
         "name_ru": "Центр приема граждан города Алматы", "address_kk": "Алматы қ.",
         "address_ru": "г. Алматы", "timezone": "Asia/Almaty", "opens": "09:00",
         "lunch_start": "13:00", "lunch_end": "14:00", "closes": "18:00", "active": "y"}


def _count(model) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(model))


def _field_error(html: str, field: str) -> str:
    """The message the page shows next to ``field`` (the _forms.html macro's markup)."""
    match = re.search(rf'<p class="field-error" id="{field}-error">([^<]*)</p>', html)
    assert match, f"no error next to {field}"
    return match.group(1)


def make_body(code="MZ", **kw) -> Body:
    body = Body(code=code, kind="central", name_kk=kw.pop("name_kk", f"{code} kk"),
                name_ru=kw.pop("name_ru", f"{code} ru"), **kw)
    db.session.add(body)
    db.session.commit()
    return body


def make_venue(code="CRC-AST", **kw) -> Venue:
    venue = Venue(code=code, kind="reception_center", name_kk=f"{code} kk", name_ru=f"{code} ru",
                  **kw)
    db.session.add(venue)
    db.session.commit()
    return venue


def make_official(body, code="MZ-MIN") -> Official:
    official = Official(code=code, body=body, rank="first_head", last_name_kk="Әлиев",
                        first_name_kk="Ерлан", last_name_ru="Алиев", first_name_ru="Ерлан",
                        position_kk="Министр", position_ru="Министр")
    db.session.add(official)
    db.session.commit()
    return official


@pytest.fixture
def records(app):
    body = make_body()
    division = Division(code="MZ-MED", body=body, name_kk="Бөлім", name_ru="Отдел")
    db.session.add(division)
    venue = make_venue()
    official = make_official(body)
    return {"body_id": body.id, "division_id": division.id, "venue_id": venue.id,
            "official_id": official.id}


def _all_urls(app, ids):
    """Every rule of the blueprint, with the ids filled in: a new page is checked automatically."""
    urls = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("reference."):
            url = rule.rule
            for name in rule.arguments:
                url = url.replace(f"<int:{name}>", str(ids[name]))
            urls += [(method, url) for method in ("GET", "POST") if method in rule.methods]
    assert len(urls) == 22  # 14 rules: 13 take GET, 9 take POST
    return urls


def test_anonymous_is_sent_to_sign_in(app, client, records):
    token = csrf_token(client.get("/login").get_data(True))
    for method, url in _all_urls(app, records):
        response = client.open(url, method=method, data={"csrf_token": token, **VENUE})
        assert response.status_code == 302, url
        assert "/login" in response.headers["Location"]
    assert _count(Venue) == 1


@pytest.mark.parametrize("role", ["registrar", "responsible", "head", "government_office",
                                  "integration"])
def test_other_roles_are_refused(app, client, make_user, login, records, role):
    make_user("someone", role)
    login("someone")
    page = client.get("/")  # any page, for a valid CSRF token
    token = csrf_token(page.get_data(True)) if 'name="csrf_token"' in page.get_data(True) else ""
    for method, url in _all_urls(app, records):
        response = client.open(url, method=method, data={"csrf_token": token, **VENUE})
        assert response.status_code == 403, (method, url)
    assert _count(Venue) == 1


def test_admin_sees_every_page(app, admin_client, records):
    for method, url in _all_urls(app, records):
        if method == "GET":
            assert admin_client.get(url).status_code == 200, url


def test_unknown_record_is_404(admin_client):
    assert admin_client.get("/admin/reference/bodies/999/edit").status_code == 404
    assert admin_client.get("/admin/reference/venues/999/edit").status_code == 404


# Bodies

def test_create_body_with_requisites(admin_client, post_form):
    response = post_form("/admin/reference/bodies/new", BODY)
    assert response.status_code == 302
    body = db.session.execute(db.select(Body).where(Body.code == "MJ")).scalar_one()
    assert (body.name_ru, body.bin, body.email, body.address_kk, body.active) == (
        "Министерство юстиции", "940140000385", "info@adilet.gov.kz",
        "Астана қ., Мәңгілік Ел, 8", True)
    listing = admin_client.get("/admin/reference/bodies").get_data(True)
    assert "1 body" in listing and "Министерство юстиции" in listing


def test_body_bin_is_normalized(post_form):
    assert post_form("/admin/reference/bodies/new",
                     {**BODY, "bin": "940 140 000 385"}).status_code == 302
    assert db.session.execute(db.select(Body.bin)).scalar_one() == "940140000385"


def test_duplicate_body_code_is_refused_on_the_field(app, post_form):
    make_body("MJ")
    response = post_form("/admin/reference/bodies/new", BODY)
    assert response.status_code == 200
    assert "already used" in _field_error(response.get_data(True), "code")
    assert _count(Body) == 1


@pytest.mark.parametrize("field, value, message", [
    ("bin", "940140000386", "check digit"),
    ("bin", "12345", "12 digits"),
    ("email", "not-an-address", "not an e-mail address"),
    ("website", "gov.kz", "https://"),
    ("code", "MJ X", "Latin letters"),
    ("code", "", "required"),
    ("name_ru", "", "required"),
    ("name_kk", "x" * 256, "longer than 255"),
    ("kind", "federal", "Not a valid choice"),
])
def test_bad_body_fields_are_refused(post_form, field, value, message):
    response = post_form("/admin/reference/bodies/new", {**BODY, field: value})
    assert response.status_code == 200
    assert message in _field_error(response.get_data(True), field)
    assert _count(Body) == 0


def test_missing_csrf_token_saves_nothing(admin_client):
    response = admin_client.post("/admin/reference/bodies/new", data=BODY)
    assert response.status_code == 400
    assert _count(Body) == 0


def test_edit_body(app, post_form):
    body = make_body("MJ", name_ru="Старое")
    response = post_form(f"/admin/reference/bodies/{body.id}/edit",
                         {**BODY, "name_ru": "Новое", "active": ""})
    assert response.status_code == 302
    db.session.expire_all()
    assert (body.name_ru, body.active, body.bin) == ("Новое", False, "940140000385")


def test_edit_body_to_another_bodys_code_is_refused(app, post_form):
    make_body("MZ")
    body = make_body("MJ")
    response = post_form(f"/admin/reference/bodies/{body.id}/edit", {**BODY, "code": "MZ"})
    assert "already used" in _field_error(response.get_data(True), "code")
    db.session.expire_all()
    assert body.code == "MJ"


def test_edit_body_keeping_its_own_code(app, post_form):
    body = make_body("MJ")
    assert post_form(f"/admin/reference/bodies/{body.id}/edit", BODY).status_code == 302


# Divisions, on the body's page

def test_add_and_edit_division_on_the_body_page(app, admin_client, post_form):
    body = make_body("MJ")
    page_url = f"/admin/reference/bodies/{body.id}"
    division = {"code": "MJ-REG", "name_kk": "Тіркеу департаменті",
                "name_ru": "Департамент регистрации", "active": "y"}
    response = post_form(f"{page_url}/divisions", division, form_url=page_url)
    assert response.status_code == 302
    page = admin_client.get(page_url + "?lang=ru").get_data(True)
    assert "Департамент регистрации" in page
    saved = db.session.execute(db.select(Division)).scalar_one()
    assert saved.body_id == body.id

    response = post_form(f"/admin/reference/divisions/{saved.id}/edit",
                         {**division, "name_ru": "Департамент юстиции"})
    assert response.status_code == 302
    db.session.expire_all()
    assert saved.name_ru == "Департамент юстиции"


def test_duplicate_division_code_is_refused_on_the_body_page(app, post_form):
    other = make_body("MZ")
    db.session.add(Division(code="X-1", body=other, name_kk="a", name_ru="b"))
    body = make_body("MJ")
    page_url = f"/admin/reference/bodies/{body.id}"
    response = post_form(f"{page_url}/divisions",
                         {"code": "X-1", "name_kk": "c", "name_ru": "d"}, form_url=page_url)
    assert response.status_code == 200
    html = response.get_data(True)
    assert "already used" in _field_error(html, "code")
    assert body.name_kk in html  # still the body's page
    assert _count(Division) == 1


# Venues

def test_create_venue(post_form):
    assert post_form("/admin/reference/venues/new", VENUE).status_code == 302
    venue = db.session.execute(db.select(Venue)).scalar_one()
    assert (venue.kind, venue.body, venue.opens, venue.lunch_end, venue.closes) == (
        "reception_center", None, time(9), time(14), time(18))


def test_create_reception_room_with_its_body(app, post_form):
    body = make_body("MJ")
    room = {**VENUE, "code": "RR-MJ", "kind": "reception_room", "body": str(body.id)}
    assert post_form("/admin/reference/venues/new", room).status_code == 302
    assert db.session.execute(db.select(Venue)).scalar_one().body_id == body.id


@pytest.mark.parametrize("hours, field, message", [
    ({"lunch_start": "08:30"}, "lunch_start", "after opening"),
    ({"opens": "13:00"}, "lunch_start", "after opening"),
    ({"lunch_end": "12:00"}, "lunch_end", "end after it starts"),
    ({"lunch_end": "13:00"}, "lunch_end", "end after it starts"),
    ({"closes": "14:00"}, "closes", "after the end of the lunch break"),
    ({"closes": "11:00"}, "closes", "after the end of the lunch break"),
    ({"closes": "25:00"}, "closes", "Not a valid time"),
    ({"opens": ""}, "opens", "Not a valid time"),
])
def test_bad_hours_are_refused_on_the_field(post_form, hours, field, message):
    response = post_form("/admin/reference/venues/new", {**VENUE, **hours})
    assert response.status_code == 200
    assert message in _field_error(response.get_data(True), field)
    assert _count(Venue) == 0


@pytest.mark.parametrize("changes, field, message", [
    ({"timezone": "Asia/Nowhere"}, "timezone", "not a known time zone"),
    ({"timezone": "UTC+5"}, "timezone", "not a known time zone"),
    ({"kind": "reception_room"}, "body", "belongs to one body"),
    ({"body": "999"}, "body", "Not a valid choice"),
    ({"code": "CRC-AST"}, "code", "already used"),
])
def test_bad_venues_are_refused_on_the_field(app, post_form, changes, field, message):
    make_venue("CRC-AST")
    response = post_form("/admin/reference/venues/new", {**VENUE, **changes})
    assert response.status_code == 200
    assert message in _field_error(response.get_data(True), field)
    assert _count(Venue) == 1


def test_reception_center_with_a_body_is_refused(app, post_form):
    body = make_body("MJ")
    response = post_form("/admin/reference/venues/new", {**VENUE, "body": str(body.id)})
    assert "shared by many bodies" in _field_error(response.get_data(True), "body")


def test_edit_venue_hours(app, post_form):
    venue = make_venue("CRC-ALA")
    response = post_form(f"/admin/reference/venues/{venue.id}/edit",
                         {**VENUE, "opens": "08:30", "closes": "17:30",
                          "timezone": "Asia/Aqtobe"})
    assert response.status_code == 302
    db.session.expire_all()
    assert (venue.opens, venue.closes, venue.timezone) == (time(8, 30), time(17, 30),
                                                           "Asia/Aqtobe")


def test_refused_edit_changes_nothing(app, post_form):
    venue = make_venue("CRC-ALA")
    response = post_form(f"/admin/reference/venues/{venue.id}/edit",
                         {**VENUE, "name_ru": "Другое", "closes": "12:00"})
    assert response.status_code == 200
    db.session.expire_all()
    assert (venue.name_ru, venue.closes) == ("CRC-ALA ru", time(18, 30))


# Officials

OFFICIAL = {"code": "MJ-MIN", "rank": "first_head", "last_name_kk": "Сәрсенбаев",
            "first_name_kk": "Азамат", "patronymic_kk": "", "last_name_ru": "Сарсенбаев",
            "first_name_ru": "Азамат", "patronymic_ru": "", "position_kk": "Министр",
            "position_ru": "Министр", "active": "y"}


def test_create_official_without_patronymic(app, admin_client, post_form):
    body = make_body("MJ")
    response = post_form("/admin/reference/officials/new", {**OFFICIAL, "body": str(body.id)})
    assert response.status_code == 302
    official = db.session.execute(db.select(Official)).scalar_one()
    assert (official.body_id, official.patronymic_kk, official.patronymic_ru) == (body.id,
                                                                                 None, None)
    listing = admin_client.get("/admin/reference/officials?lang=ru").get_data(True)
    assert "Сарсенбаев Азамат" in listing


@pytest.mark.parametrize("changes, field, message", [
    ({"body": ""}, "body", "required"),
    ({"rank": "minister"}, "rank", "Not a valid choice"),
    ({"last_name_kk": ""}, "last_name_kk", "required"),
    ({"position_ru": ""}, "position_ru", "required"),
])
def test_bad_officials_are_refused(app, post_form, changes, field, message):
    body = make_body("MJ")
    response = post_form("/admin/reference/officials/new",
                         {**OFFICIAL, "body": str(body.id), **changes})
    assert message in _field_error(response.get_data(True), field)
    assert _count(Official) == 0


def test_edit_official(app, post_form):
    body = make_body("MJ")
    other = make_body("MZ")
    official = make_official(body, "MJ-MIN")
    response = post_form(f"/admin/reference/officials/{official.id}/edit",
                         {**OFFICIAL, "body": str(other.id), "rank": "deputy",
                          "patronymic_ru": "Болатович"})
    assert response.status_code == 302
    db.session.expire_all()
    assert (official.body_id, official.rank, official.patronymic_ru) == (other.id, "deputy",
                                                                        "Болатович")
    assert official.full_name("ru") == "Сарсенбаев Азамат Болатович"


# Lists

def _codes(html: str) -> list[str]:
    return re.findall(r'<td>(?:<a href="[^"]*">)?([A-Z]{2}[A-Z0-9-]*)(?:</a>)?</td>', html)


@pytest.mark.parametrize("lang, sort, expected", [
    ("ru", "code", ["AA", "BB", "CC"]),
    ("ru", "name", ["CC", "AA", "BB"]),   # Алматы, Бишкек, Ёлка… by Russian names
    ("kk", "name", ["BB", "CC", "AA"]),   # by Kazakh names
    ("ru", "nonsense", ["AA", "BB", "CC"]),
])
def test_bodies_sorted_by_code_or_name_in_the_users_language(app, admin_client, lang, sort,
                                                             expected):
    make_body("AA", name_ru="Б-орган", name_kk="В-орган")
    make_body("BB", name_ru="В-орган", name_kk="А-орган")
    make_body("CC", name_ru="А-орган", name_kk="Б-орган")
    html = admin_client.get(f"/admin/reference/bodies?sort={sort}&lang={lang}").get_data(True)
    assert _codes(html) == expected
    if lang == "kk":
        assert "А-орган" in html and "Б-орган" in html


def test_list_counts(app, admin_client):
    make_venue("CRC-1")
    make_venue("CRC-2")
    html = admin_client.get("/admin/reference/venues").get_data(True)
    assert re.search(r'data-testid="count">2 venues<', html)


@pytest.mark.parametrize("url, data", [
    ("/admin/reference/venues/new", {**VENUE, "body": "abc"}),
    ("/admin/reference/venues/new", {**VENUE, "opens": "x", "kind": ""}),
    ("/admin/reference/venues/new", {"csrf_only": "1"}),
    ("/admin/reference/officials/new", {**OFFICIAL, "body": "1; drop table body"}),
    ("/admin/reference/bodies/new", {**BODY, "bin": "９４０１４０００００３８５"}),
])
def test_garbage_input_is_a_form_error_not_a_500(post_form, url, data):
    response = post_form(url, data)
    assert response.status_code == 200
    assert 'class="field-error"' in response.get_data(True)
    assert _count(Venue) + _count(Official) + _count(Body) == 0
