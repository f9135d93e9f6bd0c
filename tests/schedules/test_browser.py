"""The public schedule in Chromium (R8): readable on a phone (one card per reception, each value
labelled) and printable (the links and buttons are not printed)."""
import pytest

pytestmark = pytest.mark.browser


def test_public_schedule_on_a_phone_and_in_print(world, live, page):
    world.schedule("CRC-AST", [world.entry("MLSPP-MIN", 1), world.entry("MZ-MIN", 2)],
                   state="published")
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"{live.url}/schedules/CRC-AST/2026-12?lang=ru")
    rows = page.locator("[data-testid=public-entries] tbody tr")
    assert rows.count() == 2
    assert "Абылкасымова Айгерим Нурлановна" in rows.nth(0).inner_text()
    # on a phone the header row is hidden and each cell says what it is
    assert page.locator("[data-testid=public-entries] thead").is_hidden()
    cell = rows.nth(0).locator("td").nth(2)
    label = cell.evaluate("td => getComputedStyle(td, '::before').content")
    assert "Должностное лицо" in label
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert page.locator(".formats").is_visible()
    page.emulate_media(media="print")
    assert page.locator(".formats").is_hidden() and page.locator(".langs").is_hidden()
    assert rows.nth(1).is_visible()
