"""In Chromium: one appeal from a call-center intake to a held reception, each role signing in
in turn, on the real published schedule (docflow.schedules' demo), with the brief (kk and ru) and
the reply (the applicant's ru) read back from the case file (R4, R17, R25-R31)."""
import io
import re

import pytest
from pypdf import PdfReader

from docflow.demo import DEMO_PASSWORD
from docflow.engine.files import files_of, read_version
from docflow.extensions import db
from docflow.i18n import local_today
from docflow.reception.models import Appeal
from tests.api.test_appeals_api import IIN

pytestmark = pytest.mark.browser


def sign_in(page, live, login):
    page.goto(f"{live.url}/login?lang=en")
    page.get_by_label("Login").fill(login)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live.url}/")


def sign_out(page, live):
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{live.url}/login")


def click(page, name):
    page.get_by_role("button", name=name, exact=True).click()
    page.wait_for_load_state()


def pdf_text(version) -> str:
    return "".join("".join(p.extract_text().split())
                   for p in PdfReader(io.BytesIO(read_version(version))).pages)


def test_call_center_to_held_reception_in_the_browser(app, demo, live, page):
    from docflow.schedules.demo import load_demo_schedules
    load_demo_schedules(local_today())

    sign_in(page, live, "demo-call-center")
    page.goto(f"{live.url}/intake/call")
    form = page.get_by_test_id("call-form")
    form.locator("#body").fill("MLSPP")
    form.locator("#iin").fill(IIN)
    form.locator("#last_name").fill("Серікбаев")
    form.locator("#first_name").fill("Нұрлан")
    form.locator("#language").select_option("ru")
    form.locator("#phone").fill("+77011234567")
    form.locator("#subject").fill("Назначение пособия")
    form.locator("#text").fill("Прошу записать на личный прием.")
    click(page, "Register")
    appeal_id = int(re.search(r"/appeals/(\d+)$", page.url).group(1))
    appeal_url = page.url
    sign_out(page, live)

    sign_in(page, live, "demo-responsible")
    page.goto(appeal_url)
    click(page, "Start the preliminary review")
    page.get_by_test_id("casework").get_by_text("Request materials", exact=True).click()
    form = page.get_by_test_id("material-form")
    form.locator("#m-addressee_code").fill("MLSPP-SOC")
    form.locator("#m-question").fill("Сведения о назначенных выплатах")
    click(page, "Request")
    assert "Materials requested." in page.content()
    sign_out(page, live)

    sign_in(page, live, "demo-division")
    page.goto(f"{live.url}/materials")
    page.get_by_role("link", name="Сведения о назначенных выплатах").click()
    page.locator("#text").fill("Пособие назначено с 1 ноября.")
    click(page, "Send the answer")
    assert page.get_by_test_id("material-state").get_attribute("data-state") == "answered"
    sign_out(page, live)

    sign_in(page, live, "demo-responsible")
    page.goto(f"{appeal_url}/brief")
    page.locator("#p-entry_id").select_option(index=1)
    click(page, "Record the proposal")
    click(page, "Generate the brief in Kazakh")
    click(page, "Generate the brief in Russian")
    assert page.get_by_test_id("brief-versions").locator("li").count() == 2
    page.goto(appeal_url)
    click(page, "Submit the reference brief to the head")
    assert page.get_by_test_id("appeal-state").inner_text() == "Reference brief with the head"
    sign_out(page, live)

    sign_in(page, live, "demo-head")
    page.goto(f"{appeal_url}/brief")
    click(page, "Decide")
    assert page.get_by_test_id("appeal-state").inner_text() == "Reception approved"
    sign_out(page, live)

    sign_in(page, live, "demo-responsible")
    page.goto(appeal_url)
    click(page, "Generate the reply")
    page.locator("#r-via").select_option("post")
    click(page, "Record as sent")
    assert page.get_by_test_id("appeal-state").inner_text() == "Applicant notified"
    reception = page.get_by_test_id("reception").inner_text()
    page.locator("#held-outcome").select_option("explained")
    click(page, "Record the reception")
    assert page.get_by_test_id("appeal-state").inner_text() == "Reception held"
    sign_out(page, live)

    db.session.expire_all()
    appeal = db.session.get(Appeal, appeal_id)
    assert appeal.channel == "call_center" and appeal.state == "held"
    files = {f.name: f for f in files_of(appeal)}
    kk, ru = (v for v in files["brief"].versions)
    assert (kk.meta["language"], ru.meta["language"]) == ("kk", "ru")
    number = "".join(appeal.registration_number.split())
    assert number in pdf_text(kk) and "Сведенияоназначенныхвыплатах" in pdf_text(ru)
    assert "Анықтама" in pdf_text(kk) or "анықтама" in pdf_text(kk).lower()
    reply = pdf_text(files["reply"].current)
    time = re.search(r"\d\d:\d\d", reception).group(0)
    assert number in reply and time in reply  # the time of the reception, as the page shows it
    assert "/verify/" in reply
