"""The downloads that are not pages (CSV / XLSX exports, a quarterly report's PDFs and workbook):
left out of the axe walk and of the English check on purpose (conftest.NOT_PAGES), each is
fetched here as the role that uses it and answers 200 with its content type and a real body;
another role gets no file. Every non-page GET route is either one of these downloads or one of
the feeds, files and health routes named in NOT_PAGES."""
import pytest

from tests.conftest import csrf_token
from tests.ui.conftest import NOT_PAGES, PASSWORD, file_catalog, html_endpoints, login_of

pytestmark = pytest.mark.browser

# not pages, and not downloads of a role's own work: checked by their own areas' tests
ELSEWHERE = {"static", "main.healthz", "engine.download", "public_schedules.ics",
             "public_schedules.json", "public_schedules.pdf"}


@pytest.fixture(scope="module")
def client_of(ui_app):
    clients = {}

    def client(role):
        if role not in clients:
            c = ui_app.test_client()
            if role:
                token = csrf_token(c.get("/login").get_data(True))
                c.post("/login", data={"login": login_of(role), "password": PASSWORD,
                                       "csrf_token": token})
            clients[role] = c
        return clients[role]
    return client


def test_every_non_page_route_is_a_checked_file_or_named(ui_app):
    get_routes = {r.endpoint for r in ui_app.url_map.iter_rules()
                  if "GET" in r.methods and not r.rule.startswith("/api/")}
    files = {f.endpoint for f in file_catalog(ui_app.config["UI_IDS"])}
    assert get_routes - html_endpoints(ui_app) == NOT_PAGES
    assert NOT_PAGES == files | ELSEWHERE, "a non-page route neither downloaded here nor named"


FILES = file_catalog({"report": 0})
@pytest.mark.parametrize("index", range(len(FILES)), ids=[f.path for f in FILES])
def test_download_answers_with_its_content_type(site, index):
    """Fetched from the live server with the role's signed-in browser context, as a click on the
    page's link does (a streamed CSV is read while it is sent, inside the request's context)."""
    entry = file_catalog(site.ids)[index]
    response = site.context(entry.role).request.get(
        f"{site.url}{entry.path}{'&' if '?' in entry.path else '?'}lang=ru")
    assert response.status == 200, (entry.path, entry.role, response.status)
    content_type = response.headers["content-type"]
    mimetype, *params = [p.strip() for p in content_type.split(";")]
    assert mimetype == entry.content_type, (entry.path, content_type)
    if entry.content_type == "text/csv":
        assert params == ["charset=utf-8"], content_type
    data = response.body()
    if entry.content_type.startswith("application/pdf"):
        assert data.startswith(b"%PDF-")
    elif entry.content_type.startswith("text/csv"):
        assert data.decode("utf-8-sig").count("\n") >= 1  # a header row at least
    else:
        assert data.startswith(b"PK"), "not an XLSX (zip) file"
    assert "attachment" in response.headers.get("content-disposition", "")


def test_a_download_is_not_given_to_the_public(ui_app, client_of):
    for entry in file_catalog(ui_app.config["UI_IDS"]):
        response = client_of(None).get(entry.path)
        assert response.status_code in (302, 401, 403, 404), (entry.path, response.status_code)
        assert response.mimetype != entry.content_type
