"""More main tasks in Chromium (issue 12): the head finds the appeals whose reference brief waits
for a decision (search, filtered by state and sorted by a column header), approves one on a
published reception and refuses another with a reason, and reads the state and the history; the
administrator imports reference data from a CSV file and watches the job's progress and outcome
appear in place, without reloading the page."""
from datetime import UTC, datetime, timedelta

import pytest

from docflow.extensions import db
from docflow.jobs import run_job
from docflow.jobs.models import OutboxJob
from docflow.reception.models import Appeal
from docflow.reference.models import Body
from tests.reference.test_importer import BAD, GOOD
from tests.ui.conftest import PASSWORD, login_of, sign_in

pytestmark = pytest.mark.browser


def brief_ready(subject: str, external_id: str) -> tuple[int, str]:
    """An appeal whose brief the responsible employee has submitted to the head (R26)."""
    from docflow.auth.models import User
    from docflow.engine.workflow import transition
    from docflow.reception import briefs, receptions
    from docflow.reception.intake import IntakeSchema
    from docflow.reception.operations import register_appeal
    from tests.api.test_appeals_api import body as intake_body

    responsible = db.session.execute(db.select(User).where(
        User.login == login_of("responsible"))).scalar_one()
    appeal = register_appeal(IntakeSchema().load(intake_body(
        external_id=external_id, subject=subject, applicant__language="ru",
        received_at=(datetime.now(UTC) - timedelta(minutes=3)).isoformat(timespec="seconds"))),
        None).appeal
    db.session.commit()
    transition(appeal, "start_review", responsible)
    entry = receptions.entries_for(appeal)[0]
    briefs.propose(appeal, responsible, entry_id=entry.id)
    briefs.generate_brief(appeal, responsible, "ru")
    transition(appeal, "submit_brief", responsible)
    db.session.commit()
    return appeal.id, appeal.registration_number


def history_actions(page) -> list[str]:
    return [row.locator("td").nth(2).inner_text().strip()
            for row in page.get_by_test_id("history").locator("tbody tr").all()]


def test_head_approves_one_appeal_and_refuses_another(site):
    with site.app.app_context():
        approve_id, approve_number = brief_ready("Ремонт подъезда", "UI-DECIDE-1")
        refuse_id, refuse_number = brief_ready("Спор о наследстве", "UI-DECIDE-2")
    page = site.page("head")
    page.goto(f"{site.url}/search?lang=en")
    page.get_by_test_id("facet-state").get_by_label("Reference brief with the head").check()
    page.get_by_role("button", name="Search", exact=True).click()
    page.wait_for_load_state()
    results = page.get_by_test_id("search-results")
    assert approve_number in results.inner_text() and refuse_number in results.inner_text()
    # sorted by number, highest first, by the column header (a link: the page is reloaded)
    results.get_by_role("link", name="Number").click()
    results.get_by_role("link", name="Number").click()
    page.wait_for_load_state()
    header = page.locator("th[data-sort-key=number]")
    assert header.get_attribute("aria-sort") == "descending"
    assert "f_state=brief_ready" in page.url and "sort=-number" in page.url
    numbers = [link.inner_text() for link in
               page.get_by_test_id("search-results").locator("tbody tr td:first-child a").all()]
    assert numbers == sorted(numbers, reverse=True) and approve_number in numbers

    page.get_by_role("link", name=approve_number).click()
    page.get_by_test_id("brief-link").click()
    form = page.get_by_test_id("decision-form")
    form.get_by_label("Decision").select_option("approve")
    form.get_by_role("button", name="Decide").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("appeal-state").inner_text() == "Reception approved"
    page.goto(f"{site.url}/appeals/{approve_id}?lang=en")
    assert history_actions(page)[-1] == "approve"
    assert "Demo head" in page.get_by_test_id("history").inner_text()

    page.goto(f"{site.url}/appeals/{refuse_id}/brief?lang=en")
    form = page.get_by_test_id("decision-form")
    form.get_by_label("Decision").select_option("refuse")
    form.get_by_label("Comment or reason").fill("Спор рассматривается судом")
    form.get_by_role("button", name="Decide").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("appeal-state").inner_text() == "Reception refused"
    page.goto(f"{site.url}/appeals/{refuse_id}?lang=en")
    history = page.get_by_test_id("history").inner_text()
    assert history_actions(page)[-1] == "refuse" and "Спор рассматривается судом" in history
    with site.app.app_context():
        states = {a.id: a.state for a in db.session.execute(db.select(Appeal).where(
            Appeal.id.in_((approve_id, refuse_id)))).scalars()}
    assert states == {approve_id: "approved", refuse_id: "refused"}
    page.close()


def import_job() -> OutboxJob:
    return db.session.execute(db.select(OutboxJob).where(
        OutboxJob.func == "docflow.reference.upload.run_import")
        .order_by(OutboxJob.id.desc())).scalars().first()


def test_admin_imports_reference_data_and_sees_progress_and_outcome_in_place(site, tmp_path):
    # an administrator of its own: the import page shows the user's latest import, and the
    # demo admin's page is read in kk and ru by the other ui tests (this one uploads in English)
    from docflow.auth.operations import create_user
    with site.app.app_context():
        create_user("ui-importer", "admin", password=PASSWORD, full_name="Importer")
        db.session.commit()
    context = site.browser.new_context(locale="en-US")
    page = context.new_page()
    sign_in(page, site.url, "ui-importer")
    page.goto(f"{site.url}/admin/reference/?lang=en")
    page.get_by_role("link", name="Import from a file").first.click()
    bad = tmp_path / "bad.csv"
    bad.write_bytes(BAD.encode())
    page.get_by_label("CSV file (UTF-8)").set_input_files(str(bad))
    page.get_by_role("button", name="Check and import").click()
    page.wait_for_load_state()
    progress = page.locator(".job-progress")
    assert progress.locator("[data-job-status]").get_attribute("data-job-status") == "pending"
    page.evaluate("window.__same_page = true")  # gone if the page were reloaded
    with site.app.app_context():
        assert run_job(import_job().id) == "done"
    lines = page.get_by_test_id("job-lines").locator("li")
    lines.first.wait_for(timeout=15000)
    assert page.get_by_test_id("job-message").inner_text() == \
        "3 problems found; nothing was changed."
    assert [t.split(":")[0] for t in lines.all_inner_texts()] == ["line 3", "line 5", "line 6"]
    assert page.get_by_test_id("job-progress-text").inner_text() == "5 of 5 rows checked."  # BAD: five rows
    assert page.evaluate("window.__same_page") is True
    with site.app.app_context():
        assert db.session.execute(db.select(Body).where(Body.code == "MJ")).scalar() is None

    good = tmp_path / "good.csv"
    good.write_bytes(GOOD.encode())
    page.get_by_label("CSV file (UTF-8)").set_input_files(str(good))
    page.get_by_role("button", name="Check and import").click()
    page.wait_for_load_state()
    page.evaluate("window.__same_page = true")
    with site.app.app_context():
        assert run_job(import_job().id) == "done"
    message = page.get_by_test_id("job-message")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=job-message]').textContent"
        ".startsWith('Imported')", timeout=15000)
    assert message.inner_text() == "Imported: 6 created, 0 updated, 0 unchanged."
    assert "Venues: 2 created, 0 updated, 0 unchanged." in page.get_by_test_id(
        "job-lines").inner_text()
    assert page.get_by_test_id("job-bar").get_attribute("value") == "6"
    assert page.evaluate("window.__same_page") is True
    with site.app.app_context():
        assert db.session.execute(db.select(Body).where(Body.code == "MJ")).scalar() is not None
    context.close()
