"""Importing reference data from the web (issue 12): an administrator uploads the CSV file, a job
of the outbox checks and imports it with the rules of `flask import-reference`, its progress and
its outcome (the bad rows with their lines, or the counts) show on the page."""
import io
import re

import pytest
from sqlalchemy import select

from docflow.extensions import db
from docflow.jobs import run_job
from docflow.jobs.models import OutboxJob
from docflow.reference import importer, upload
from tests.conftest import csrf_token
from tests.reference.test_importer import BAD, GOOD, HEADER, _all_rows

URL = "/admin/reference/import"


@pytest.fixture
def send(admin_client):
    """POST a file (name, bytes) to the upload page with the form's CSRF token."""
    def post(name, data, token=True):
        page = admin_client.get(URL)
        assert page.status_code == 200
        form = {"file": (io.BytesIO(data), name)}
        if token:
            form["csrf_token"] = csrf_token(page.get_data(True))
        return admin_client.post(URL, data=form, content_type="multipart/form-data")
    return post


def jobs() -> list[OutboxJob]:
    return list(db.session.execute(select(OutboxJob).where(
        OutboxJob.func == upload.JOB).order_by(OutboxJob.id)).scalars())


def test_a_good_file_is_imported_by_a_job_and_its_counts_shown(app, admin_client, send):
    response = send("reference.csv", GOOD.encode())
    assert response.status_code == 303 and response.headers["Location"].endswith(URL)
    [job] = jobs()
    from docflow.auth.models import User
    assert (job.status, job.queue, db.session.get(User, job.created_by_id).login) == (
        "pending", "default", "root")
    assert _all_rows() == []  # nothing before the job runs
    page = admin_client.get(URL).get_data(True)
    assert f'data-job-id="{job.id}"' in page and "Waiting to start" in page
    assert run_job(job.id) == "done"
    db.session.expire_all()
    assert ("Body", "MJ") in _all_rows() and len(_all_rows()) == 6
    assert job.result["ok"] is True
    assert job.result["totals"] == {"created": 6, "updated": 0, "unchanged": 0}
    assert job.result["progress"] == {"done": 6, "total": 6}
    html = admin_client.get(URL).get_data(True)
    assert "Imported: 6 created, 0 updated, 0 unchanged." in html
    assert "Venues: 0 created" not in html and "Venues: 2 created, 0 updated" in html
    assert "6 of 6 rows checked." in html
    # the same file again: everything unchanged (idempotent)
    send("reference.csv", GOOD.encode())
    assert run_job(jobs()[-1].id) == "done"
    db.session.expire_all()
    assert jobs()[-1].result["totals"] == {"created": 0, "updated": 0, "unchanged": 6}


def test_a_bad_file_lists_every_bad_row_and_changes_nothing(app, admin_client, send):
    importer.import_text(GOOD)
    db.session.commit()
    before = _all_rows()
    assert send("bad.csv", BAD.encode()).status_code == 303
    [job] = jobs()
    assert run_job(job.id) == "done"
    db.session.expire_all()
    assert _all_rows() == before
    assert job.result["ok"] is False and job.result["error_count"] == 3
    html = admin_client.get(URL).get_data(True)
    assert "3 problems found; nothing was changed." in html
    lines = re.findall(r"<li>(line \d+:[^<]*)</li>", html)
    assert [line.split(":")[0] for line in lines] == ["line 3", "line 5", "line 6"]
    assert "rank: &#39;minister&#39; is not one of: first_head, deputy." in html


def test_the_messages_are_in_the_uploaders_language(app, admin_client, send):
    from flask_babel import force_locale
    admin_client.get(f"{URL}?lang=ru")
    send("bad.csv", BAD.encode())
    assert run_job(jobs()[-1].id) == "done"
    db.session.expire_all()
    with force_locale("ru"):
        in_russian = importer.import_text(BAD).errors
    db.session.rollback()
    with force_locale("en"):
        in_english = importer.import_text(BAD).errors
    db.session.rollback()
    assert in_russian != in_english
    assert jobs()[-1].result["errors"] == in_russian


def test_progress_is_written_while_the_rows_are_checked(app, admin_client, send, monkeypatch):
    rows = "\n".join(f"body,B{i:03d},,central,Орган {i},Орган {i},,,,,,,,,,,,,,,,,,"
                     for i in range(30))
    send("many.csv", f"{HEADER}\n{rows}\n".encode())
    [job] = jobs()
    monkeypatch.setattr(importer, "PROGRESS_EVERY", 10)
    seen = []
    parse = importer._parse_row

    def spy(line, cells, report):
        if line in (12, 22):  # read the job's row as another connection would
            with db.engine.connect() as conn:
                seen.append(conn.execute(select(OutboxJob.result).where(
                    OutboxJob.id == job.id)).scalar())
        return parse(line, cells, report)
    monkeypatch.setattr(importer, "_parse_row", spy)
    assert run_job(job.id) == "done"
    assert [s["progress"] for s in seen] == [{"done": 9, "total": 30}, {"done": 19, "total": 30}]
    assert seen[0]["progress_text"] == "9 of 30 rows checked."
    db.session.expire_all()
    assert job.result["totals"]["created"] == 30


@pytest.mark.parametrize("name, data, message", [
    ("reference.xlsx", GOOD.encode(), "Choose a CSV file"),
    ("reference.csv", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF",
     "not a CSV text file"),
    ("reference.csv", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" * 10,
     "not a CSV text file"),
    ("reference.csv", GOOD.encode("cp1251", errors="replace"), "UTF-8"),
    ("reference.csv", b"", "empty"),
])
def test_a_file_that_is_not_a_csv_is_refused_with_a_message(app, admin_client, send, name, data,
                                                            message):
    response = send(name, data)
    assert response.status_code == 400
    assert message in response.get_data(True)
    assert jobs() == []


def test_the_size_limit(app, admin_client, send):
    app.config["REFERENCE_IMPORT_MAX_BYTES"] = 1000
    response = send("big.csv", (GOOD + "\n" * 2000).encode())
    assert response.status_code == 400
    assert "the limit is" in response.get_data(True)
    assert jobs() == []


def test_no_file_and_no_csrf_token(app, admin_client, send):
    page = admin_client.get(URL)
    response = admin_client.post(URL, data={"csrf_token": csrf_token(page.get_data(True))})
    assert response.status_code == 400 and "Choose the CSV file to import." in response.get_data(
        True)
    assert send("reference.csv", GOOD.encode(), token=False).status_code == 400
    assert jobs() == []


@pytest.mark.parametrize("role", ["registrar", "head", "responsible"])
def test_only_administrators(app, client, make_user, login, role):
    make_user("someone", role)
    login("someone")
    assert client.get(URL).status_code == 403
    token = csrf_token(client.get("/account/password").get_data(True))
    response = client.post(URL, data={"csrf_token": token,
                                      "file": (io.BytesIO(GOOD.encode()), "r.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 403
    assert jobs() == []


def test_another_administrators_import_is_not_shown(app, admin_client, send, make_user):
    from flask import g
    send("reference.csv", GOOD.encode())
    [job] = jobs()
    make_user("root2", "admin")
    g.pop("_login_user", None)  # the test's app context is shared by the requests
    other = app.test_client()
    page = other.get("/login")
    other.post("/login", data={"login": "root2", "password": "secret-pass-1",
                               "csrf_token": csrf_token(page.get_data(True))})
    html = other.get(URL).get_data(True)
    assert "Import reference data" in html or "lang" in html
    assert f'data-job-id="{job.id}"' not in html and 'data-testid="import-latest"' not in html
