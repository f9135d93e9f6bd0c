"""The call-center form by keyboard alone (R4): Tab, typing, arrow keys and Enter, no mouse.
Body and official are found by typing part of their name (search as you type); the appeal is
registered and the whole journey takes well under a minute."""
import re
import time

import pytest

from docflow.extensions import db
from docflow.reception.models import Appeal
from tests.api.test_appeals_api import IIN  # a valid IIN (its checksum holds)

pytestmark = pytest.mark.browser


def focused(page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.id")


def tab_to(page, element_id: str, limit: int = 40) -> None:
    """Press Tab until the field has the focus (no clicks)."""
    for _ in range(limit):
        if focused(page) == element_id:
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached #{element_id} (at #{focused(page)})")


def choose(page, element_id: str, typed: str) -> str:
    """Type part of a name into a search-as-you-type field, see the suggestions, take the
    first with Enter; returns the chosen code."""
    tab_to(page, element_id)
    page.keyboard.type(typed)
    listbox = page.locator(f"#{element_id}-listbox")
    listbox.wait_for(state="visible")
    assert page.locator(f"#{element_id}").get_attribute("aria-expanded") == "true"
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowUp")  # back to the first suggestion
    page.keyboard.press("Enter")
    assert listbox.is_hidden()
    return page.locator(f"#{element_id}").input_value()


def test_call_center_form_by_keyboard_alone(site):
    page = site.page("call_center")
    page.goto(f"{site.url}/intake/call?lang=ru")
    started = time.monotonic()

    page.keyboard.press("Tab")  # the skip link comes first
    assert focused(page) == "" and page.evaluate(
        "document.activeElement.classList.contains('skip-link')")
    page.keyboard.press("Enter")  # to the form
    assert choose(page, "body", "здрав") == "MZ"
    assert choose(page, "official", "кудайберген") == "MZ-MIN"
    tab_to(page, "iin")
    page.keyboard.type(IIN)
    for field, text in (("last_name", "Жұмабаев"), ("first_name", "Ерлан"),
                        ("phone", "+77017654321"), ("subject", "Лекарственное обеспечение"),
                        ("text", "Прошу записать на прием к министру.")):
        tab_to(page, field)
        page.keyboard.type(text)
    tab_to(page, "language")
    page.keyboard.press("ArrowDown")  # a select moves with the arrows
    language = page.locator("#language").input_value()
    page.keyboard.press("Tab")
    for _ in range(40):  # Tab on to the Register button and press Enter
        if page.evaluate("document.activeElement.type") == "submit":
            break
        page.keyboard.press("Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    elapsed = time.monotonic() - started

    match = re.search(r"/appeals/(\d+)(?:#\w*)?$", page.url)
    assert match, f"not registered: {page.url}\n{page.locator('main').inner_text()}"
    with site.app.app_context():
        appeal = db.session.get(Appeal, int(match.group(1)))
        assert (appeal.channel, appeal.body.code, appeal.official.code, appeal.iin,
                appeal.applicant_language) == ("call_center", "MZ", "MZ-MIN", IIN, language)
        assert appeal.registration_number and appeal.last_name == "Жұмабаев"
    assert elapsed < 60, f"the keyboard journey took {elapsed:.1f} s"
    print(f"call-center keyboard journey: {elapsed:.1f} s")
    page.close()


def test_enter_in_a_closed_suggestion_list_submits_and_errors_name_the_field(site):
    """Enter with no suggestion open sends the form; a missing field is named and described."""
    page = site.page("call_center")
    page.goto(f"{site.url}/intake/call?lang=en")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    tab_to(page, "body")
    page.keyboard.type("NOPE")
    page.keyboard.press("Escape")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/intake/call" in page.url
    last = page.locator("#last_name")
    assert last.get_attribute("aria-invalid") == "true"
    error_id = last.get_attribute("aria-describedby")
    assert page.locator(f"#{error_id}").inner_text().strip()
    page.close()
