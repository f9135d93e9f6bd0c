"""Fixtures for reference data: an admin's signed-in client, English messages, sample CSV."""
import pytest
from flask_babel import force_locale

from tests.conftest import csrf_token


@pytest.fixture
def en(app):
    """Functions called outside a request speak English (the CLI's default)."""
    with force_locale("en"):
        yield


@pytest.fixture
def en_db(db_app):
    with force_locale("en"):
        yield db_app


@pytest.fixture
def admin_client(client, make_user, login):
    make_user("root", "admin")
    assert login("root").status_code == 302
    client.get("/admin/reference/?lang=en")  # remembered for the session: English messages
    return client


@pytest.fixture
def post_form(admin_client):
    """POST ``data`` to ``url`` with the CSRF token of the form page at ``form_url`` (or url)."""
    def post(url, data, form_url=None):
        page = admin_client.get(form_url or url)
        assert page.status_code == 200, page.status_code
        return admin_client.post(url, data={**data, "csrf_token": csrf_token(page.get_data(True))})
    return post
