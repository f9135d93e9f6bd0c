"""Each role's start page (and the public schedule) at phone (390x844) and desktop (1366x900)
widths, in Russian: the page fits the phone's width with no sideways scrolling (WCAG 1.4.10),
and its screenshot is a real picture. `make screenshots` (DOCFLOW_SCREENSHOTS=1) writes them to
docs/screenshots/, which the README shows; otherwise they go to a temporary folder."""
import os
import struct

import pytest

from docflow.auth.roles import ROLES
from tests.conftest import ROOT
from tests.ui.conftest import login_of, sign_in_over_http

pytestmark = pytest.mark.browser

SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 900}}
TARGETS = [(role, "/") for role in ROLES] + [(None, "schedule")]


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    if os.environ.get("DOCFLOW_SCREENSHOTS"):
        out = ROOT / "docs" / "screenshots"
        out.mkdir(parents=True, exist_ok=True)
        return out
    return tmp_path_factory.mktemp("screenshots")


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


@pytest.fixture(scope="module")
def tab(site, browser):
    """One tab for every role and both sizes, under the app's CSP like any user's: before a
    role's page its cookies are swapped in (each role signs in once, over HTTP: see
    sign_in_over_http), the tab is sized (page.set_viewport_size) and the page loaded afresh.
    A browser context per role and size (a sign-in or a copy of the cookies, a new renderer
    process) cost about a second per page."""
    context = browser.new_context(locale="ru-RU")
    page = context.new_page()
    signed = {}

    def open_as(role: str | None, viewport: dict):
        context.clear_cookies()
        if role is not None:
            if role not in signed:
                signed[role] = sign_in_over_http(site.url, login_of(role))
            context.add_cookies(signed[role])
        if page.viewport_size != viewport:
            page.set_viewport_size(viewport)
        return page
    yield open_as
    context.close()


@pytest.mark.parametrize("size", list(SIZES))
def test_start_pages_fit_and_are_pictured(site, tab, folder, size):
    viewport = SIZES[size]
    for role, path in TARGETS:
        if path == "schedule":
            path = f"/schedules/{site.ids['venue_code']}/{site.ids['month']}"
        page = tab(role, viewport)
        page.goto(f"{site.url}{path}?lang=ru")
        assert role is None or "/login" not in page.url, f"{role} is not signed in: {page.url}"
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, f"{path} as {role} scrolls sideways by {overflow}px at {size} width"
        name = f"{(role or 'public').replace('_', '-')}-{size}.png"
        data = page.screenshot(path=str(folder / name))
        width, height = png_size(data)
        assert width == viewport["width"] and height == viewport["height"]
        assert len(data) > 5_000, f"{name} looks empty"
