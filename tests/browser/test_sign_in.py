"""Browser journeys in Debian's headless Chromium: every demo role signs in and sees its page."""
import pytest

from docflow.auth.roles import ROLES
from docflow.demo import DEMO_PASSWORD
from docflow.main.start import START_PAGES

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("role", list(ROLES))
def test_each_demo_role_signs_in_and_sees_its_start_page(app, demo, live, page, role):
    page.goto(f"{live.url}/login?lang=ru")
    page.get_by_label("Логин").fill(f"demo-{role.replace('_', '-')}")
    page.get_by_label("Пароль").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Войти").click()
    page.wait_for_url(f"{live.url}/")
    from flask_babel import force_locale
    with force_locale("ru"):
        expected = str(START_PAGES[role][0])
    assert page.get_by_test_id("start-title").inner_text() == expected
    page.get_by_role("button", name="Выйти").click()
    page.wait_for_url(f"{live.url}/login")


def test_wrong_password_is_said_in_kazakh(app, demo, live, page):
    page.goto(f"{live.url}/login?lang=kk")
    page.get_by_label("Логин").fill("demo-head")
    page.get_by_label("Құпиясөз").fill("not-the-password")
    page.get_by_role("button", name="Кіру").click()
    assert "Логин немесе құпиясөз қате." in page.locator(".field-error").inner_text()
    assert page.locator("#password").get_attribute("aria-invalid") == "true"


def test_language_switcher_changes_the_page(app, live, page):
    page.goto(f"{live.url}/login")
    assert page.locator("h1").inner_text() == "Войти"  # the browser asks for Russian
    page.get_by_role("link", name="English").click()
    assert page.locator("h1").inner_text() == "Sign in"
    page.goto(f"{live.url}/login")
    assert page.locator("h1").inner_text() == "Sign in"  # remembered
