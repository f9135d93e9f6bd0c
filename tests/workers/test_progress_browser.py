"""jobs.js in Chromium: the page that shows a job follows it without a reload — progress, the
download link when it is done, the error and a working retry button when it fails."""
import pytest

from docflow.documents.builders import request_document
from docflow.extensions import db
from docflow.jobs import OutboxJob, run_job

pytestmark = pytest.mark.browser


def _sign_in(page, live):
    page.goto(f"{live.url}/login?lang=en")
    page.get_by_label("Login").fill("owner")
    page.get_by_label("Password").fill("secret-pass-1")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live.url}/")


def test_progress_updates_without_a_reload(memo_env, live, page):
    job = request_document("test_letter", memo_env.memo, memo_env.owner)
    db.session.commit()
    _sign_in(page, live)
    page.goto(f"{live.url}/jobs/{job.id}")
    box = page.get_by_test_id(f"job-{job.id}")
    status = box.locator("[data-job-status]")
    assert status.inner_text() == "Waiting to start"
    page.evaluate("window.__same_page = true")  # gone if the page were reloaded
    assert run_job(job.id) == "done"
    status.filter(has_text="Done").wait_for(timeout=15000)
    link = box.locator("a.job-download")
    link.wait_for(timeout=5000)
    assert link.inner_text() == "Download"
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename.endswith(".pdf")
    assert page.evaluate("window.__same_page") is True


def test_a_failure_shows_the_error_and_the_retry_button_works(memo_env, live, page):
    job = request_document("test_letter", memo_env.memo, memo_env.owner)
    db.session.commit()
    _sign_in(page, live)
    page.goto(f"{live.url}/jobs/{job.id}")
    box = page.get_by_test_id(f"job-{job.id}")
    box.locator("[data-job-status]").filter(has_text="Waiting to start").wait_for()
    page.evaluate("window.__same_page = true")
    job.status, job.attempts, job.error = "failed", job.max_attempts, "RuntimeError: boom"
    db.session.commit()
    box.locator(".job-error").filter(has_text="RuntimeError: boom").wait_for(timeout=15000)
    button = box.get_by_role("button", name="Try again")
    button.click()
    box.locator("[data-job-status]").filter(has_text="Waiting to start").wait_for(timeout=15000)
    db.session.expire_all()
    assert db.session.get(OutboxJob, job.id).status == "pending"
    assert box.get_by_role("button", name="Try again").count() == 0
    assert page.evaluate("window.__same_page") is True
