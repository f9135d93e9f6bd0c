"""/jobs/<id> (JSON and page), its retry, and /admin/jobs: who may see what, and no 500s."""
import pytest

from docflow.documents.builders import request_document
from docflow.extensions import db
from docflow.jobs import OutboxJob, enqueue, run_job
from tests.conftest import csrf_token

JSON = {"Accept": "application/json"}


@pytest.fixture
def doc_job(memo_env):
    job = request_document("test_letter", memo_env.memo, memo_env.owner)
    db.session.commit()
    return job


def _fail(job):
    job.status, job.attempts, job.error = "failed", job.max_attempts, "RuntimeError: boom"
    db.session.commit()


@pytest.mark.parametrize("who, status", [("owner", 200), ("root", 200), ("other", 404)])
def test_job_json_is_for_who_asked_and_admins(client, login, doc_job, who, status):
    login(who)
    response = client.get(f"/jobs/{doc_job.id}", headers=JSON)
    assert response.status_code == status
    if status == 200:
        body = response.get_json()
        assert (body["id"], body["status"], body["attempts"]) == (doc_job.id, "pending", 0)
        assert body["finished"] is False and body["download"] is None and body["retry"] is None


def test_job_json_needs_sign_in_and_unknown_jobs_are_404(client, login, doc_job):
    assert client.get(f"/jobs/{doc_job.id}", headers=JSON).status_code == 401
    assert client.get(f"/jobs/{doc_job.id}").status_code == 302  # a page: sign in first
    login("owner")
    assert client.get("/jobs/99999", headers=JSON).status_code == 404


def test_a_job_without_an_owner_is_for_admins_only(client, login, memo_env):
    job = enqueue("workers.tasks.record_ping", "system")
    db.session.commit()
    login("owner")
    assert client.get(f"/jobs/{job.id}", headers=JSON).status_code == 404


def test_done_document_job_links_its_download(client, login, memo_env, doc_job):
    assert run_job(doc_job.id) == "done"
    login("owner")
    body = client.get(f"/jobs/{doc_job.id}", headers=JSON).get_json()
    assert body["status"] == "done" and body["finished"] and body["result"]["number"] == 1
    download = client.get(body["download"])
    assert download.status_code == 200 and download.data.startswith(b"%PDF")


def test_job_page_without_javascript_shows_state_and_refresh(client, login, doc_job):
    login("owner")
    html = client.get(f"/jobs/{doc_job.id}", headers={"Accept": "text/html"}).get_data(True)
    assert f'data-job-id="{doc_job.id}"' in html and 'class="job-refresh"' in html
    assert "js/jobs.js" in html and "<script>" not in html  # no inline script (CSP)
    assert 'data-job-status="pending"' in html


def test_failed_job_shows_its_error_and_retry_form(client, login, doc_job):
    _fail(doc_job)
    login("owner")
    body = client.get(f"/jobs/{doc_job.id}", headers=JSON).get_json()
    assert body["error"] == "RuntimeError: boom" and body["retry"] == f"/jobs/{doc_job.id}/retry"
    html = client.get(f"/jobs/{doc_job.id}", headers={"Accept": "text/html"}).get_data(True)
    assert "RuntimeError: boom" in html and f'action="/jobs/{doc_job.id}/retry"' in html


@pytest.mark.parametrize("who, status", [("owner", 303), ("root", 303), ("other", 404)])
def test_retry_by_the_requester_or_an_admin(client, login, doc_job, who, status):
    _fail(doc_job)
    login(who)
    page = client.get("/admin/jobs" if who == "root" else "/")
    token = csrf_token(page.get_data(True))
    response = client.post(f"/jobs/{doc_job.id}/retry",
                           data={"csrf_token": token, "next": "/admin/jobs"})
    assert response.status_code == status
    db.session.expire_all()
    job = db.session.get(OutboxJob, doc_job.id)
    if status == 303:
        assert response.headers["Location"].endswith("/admin/jobs")
        assert (job.status, job.attempts, job.error) == ("pending", 0, None)
    else:
        assert job.status == "failed"


def test_retry_needs_the_csrf_token_and_a_failed_job(client, login, doc_job):
    _fail(doc_job)
    login("owner")
    assert client.post(f"/jobs/{doc_job.id}/retry").status_code == 400
    token = csrf_token(client.get("/").get_data(True))
    ok = client.post(f"/jobs/{doc_job.id}/retry", headers={**JSON, "X-CSRFToken": token})
    assert ok.status_code == 202 and ok.get_json()["status"] == "pending"
    again = client.post(f"/jobs/{doc_job.id}/retry", headers={**JSON, "X-CSRFToken": token})
    assert again.status_code == 409
    foreign = client.post(f"/jobs/{doc_job.id}/retry",
                          data={"csrf_token": token, "next": "https://evil.example/"})
    assert foreign.status_code == 303
    assert "evil" not in foreign.headers["Location"]


@pytest.mark.parametrize("who, status", [("root", 200), ("owner", 403), ("other", 403)])
def test_admin_page_is_for_admins(client, login, memo_env, who, status):
    login(who)
    assert client.get("/admin/jobs").status_code == status


def test_admin_page_counts_lists_and_offers_retry(client, login, memo_env, doc_job):
    _fail(doc_job)
    running = enqueue("workers.tasks.record_ping", "r", queue="reports")
    for i in range(2):
        enqueue("workers.tasks.record_ping", f"p{i}")
    db.session.commit()
    running.status = "running"
    db.session.commit()
    login("root")
    html = client.get("/admin/jobs").get_data(True)
    assert "RuntimeError: boom" in html and f'action="/jobs/{doc_job.id}/retry"' in html
    assert 'data-testid="running-jobs"' in html and "rq-queues" not in html  # embedded mode
    import re
    cells = dict(re.findall(r'<tr data-queue="(\w+)">(.*?)</tr>', html, re.S))
    assert '<td data-status="failed">1</td>' in cells["documents"]
    assert '<td data-status="running">1</td>' in cells["reports"]
    assert '<td data-status="pending">2</td>' in cells["default"]


def test_admin_page_in_rq_mode_with_redis_down_says_so(client, login, memo_env, app):
    app.config.update(JOBS_BACKEND="rq", REDIS_URL="redis://127.0.0.1:1/0")
    login("root")
    response = client.get("/admin/jobs")
    assert response.status_code == 200
    assert 'data-testid="rq-error"' in response.get_data(True)


@pytest.mark.redis
def test_admin_page_in_rq_mode_shows_queue_lengths(client, login, memo_env, app, redis_server):
    from docflow.jobs.runner import dispatch_pending

    app.config.update(JOBS_BACKEND="rq", REDIS_URL=redis_server.url)
    from redis import Redis
    Redis.from_url(redis_server.url).flushdb()
    enqueue("workers.tasks.record_ping", "to-redis", queue="reports")
    db.session.commit()
    assert dispatch_pending(app) == 1
    login("root")
    html = client.get("/admin/jobs").get_data(True)
    assert 'data-testid="rq-queues"' in html and 'data-testid="rq-no-workers"' in html
    assert "<th scope=\"row\">reports</th><td>1</td>" in html
