"""Each role's start page (and the public schedule) at phone (390x844) and desktop (1366x900)
widths, in Russian: the page fits the phone's width with no sideways scrolling (WCAG 1.4.10),
and its screenshot is a real picture. `make screenshots` (DOCFLOW_SCREENSHOTS=1) writes them to
docs/screenshots/, which the README shows; otherwise they go to a temporary folder."""
import os
import struct

import pytest

from docflow.auth.roles import ROLES
from tests.conftest import ROOT

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


@pytest.mark.parametrize("size", list(SIZES))
def test_start_pages_fit_and_are_pictured(site, folder, size):
    viewport = SIZES[size]
    for role, path in TARGETS:
        if path == "schedule":
            path = f"/schedules/{site.ids['venue_code']}/{site.ids['month']}"
        page = site.page(role, viewport=viewport)
        page.goto(f"{site.url}{path}?lang=ru")
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, f"{path} as {role} scrolls sideways by {overflow}px at {size} width"
        name = f"{(role or 'public').replace('_', '-')}-{size}.png"
        data = page.screenshot(path=str(folder / name))
        width, height = png_size(data)
        assert width == viewport["width"] and height == viewport["height"]
        assert len(data) > 5_000, f"{name} looks empty"
        page.close()
