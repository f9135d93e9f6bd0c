"""Each role's main task in Chromium, on the session's demo data: the registrar registers a paper
appeal; the responsible employee sorts the worklist, reviews and requests materials; the division
answers a material request; the Office of the Government reads the schedules; the public reads the
schedule in Kazakh and in Russian. (The call-center operator: test_call_center_keyboard.py; the
brief written and approved by the head: tests/casework/test_journey_browser.py.)"""
import re

import pytest

from docflow.extensions import db
from docflow.reception.materials import requests_of
from docflow.reception.models import Appeal
from tests.api.test_appeals_api import IIN

pytestmark = pytest.mark.browser


def appeal_id(url: str) -> int:
    match = re.search(r"/appeals/(\d+)(?:#\w*)?$", url)
    assert match, url
    return int(match.group(1))


def test_registrar_registers_a_paper_appeal(site):
    page = site.page("registrar")
    page.goto(f"{site.url}/intake/new?lang=en")
    page.locator("#channel").select_option("paper")
    page.locator("#body").fill("MLSPP")
    page.locator("#iin").fill(IIN)
    page.locator("#last_name").fill("Оспанова")
    page.locator("#first_name").fill("Дана")
    page.locator("#phone").fill("+77012223344")
    page.locator("#subject").fill("Жилищный вопрос")
    page.locator("#text").fill("Прошу принять меня по вопросу жилья.")
    with page.expect_navigation():
        page.get_by_role("button", name="Register", exact=True).click()
    assert "/appeals/" in page.url, page.locator("main").inner_text()
    assert "registered on" in page.locator(".flash").inner_text()
    with site.app.app_context():
        appeal = db.session.get(Appeal, appeal_id(page.url))
        assert (appeal.channel, appeal.body.code, appeal.last_name) == ("paper", "MLSPP",
                                                                       "Оспанова")
    page.close()


def test_responsible_sorts_the_worklist_and_requests_materials(site):
    page = site.page("responsible")
    page.goto(f"{site.url}/worklist?lang=en")
    header = page.locator("th", has=page.get_by_role("link", name="Number"))
    assert header.get_attribute("aria-sort") is None
    page.get_by_role("link", name="Number").click()
    assert page.locator("th", has=page.get_by_role("link", name="Number")
                        ).get_attribute("aria-sort") == "ascending"
    page.get_by_role("link", name="Number").click()
    assert page.locator("th", has=page.get_by_role("link", name="Number")
                        ).get_attribute("aria-sort") == "descending"
    page.goto(f"{site.url}/appeals/{site.ids['appeal']}?lang=en")
    page.get_by_text("Request materials", exact=True).click()
    form = page.get_by_test_id("material-form")
    form.locator("#m-addressee_code").fill("MLSPP-EMP")
    form.locator("#m-question").fill("Справка о регистрации в качестве безработного")
    form.get_by_role("button", name="Request", exact=True).click()
    page.wait_for_load_state()
    assert "Materials requested." in page.locator("main").inner_text()
    with site.app.app_context():
        asked = [r.question for r in requests_of(db.session.get(Appeal, site.ids["appeal"]))]
    assert "Справка о регистрации в качестве безработного" in asked
    page.close()


def test_division_answers_a_material_request(site):
    page = site.page("division")
    page.goto(f"{site.url}/materials?lang=ru")
    page.get_by_role("link", name="Сведения о выплатах").first.click()
    page.locator("#text").fill("Выплаты назначены с 1 ноября.")
    page.get_by_role("button", name="Отправить ответ").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("material-state").get_attribute("data-state") == "answered"
    page.close()


def test_government_office_reads_the_schedules(site):
    page = site.page("government_office")
    page.goto(f"{site.url}/?lang=ru")
    page.get_by_role("link", name="Графики, ожидающие утверждения").click()
    assert page.locator("h1").inner_text() == "Графики, ожидающие утверждения"
    page.goto(f"{site.url}/manage/schedules/{site.ids['schedule']}?lang=ru")
    assert page.locator("table").first.is_visible()
    page.close()


def test_public_reads_the_schedule_in_kazakh_and_russian(site):
    page = site.page(None)
    page.goto(f"{site.url}/schedules/{site.ids['venue_code']}/{site.ids['month']}?lang=kk")
    assert page.locator("html").get_attribute("lang") == "kk"
    kk = page.get_by_test_id("venue").inner_text()
    page.get_by_role("link", name="Русский").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "ru"
    ru = page.get_by_test_id("venue").inner_text()
    assert kk.startswith("Астана қаласының") and ru.startswith("Центр приема граждан")
    assert page.locator("tbody tr").count() >= 1
    page.close()
