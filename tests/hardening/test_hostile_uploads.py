"""Hostile uploads end to end through the registrar's intake form (the API takes no files): each
refused with a clear message on the form and nothing saved. The file checks themselves are
tests/engine/test_filecheck.py; an .exe named .pdf through this form is
tests/reception/test_intake_pages.py."""
import io
from pathlib import Path

import pytest

from docflow.engine.files import EngineFile, FileVersion
from docflow.extensions import db
from docflow.reception.models import Appeal
from tests.engine.test_filecheck import make_pdf, zeros_docx
from tests.reception.test_intake_pages import form_data

MB = 1024 * 1024


@pytest.fixture
def registrar(app, client, demo, login):
    login("demo-registrar", "demo-pass-2026")
    return client


def _post(client, filename: str, data: bytes):
    page = client.get("/intake/new?lang=en").get_data(True)
    form = form_data(page)
    form["attachments"] = [(io.BytesIO(data), filename)]
    return client.post("/intake/new?lang=en", data=form, content_type="multipart/form-data")


def _nothing_saved():
    assert db.session.execute(db.select(db.func.count(Appeal.id))).scalar() == 0
    assert db.session.execute(db.select(db.func.count(EngineFile.id))).scalar() == 0


@pytest.mark.parametrize("filename, build, words", [
    ("bomb.docx", lambda: zeros_docx(200 * MB), "expands to far more"),
    ("cut.pdf", lambda: make_pdf("Өтініш")[:-40], "damaged"),
    ("fake.pdf", lambda: b"%PDF-1.7\n%%EOF\n", "damaged"),
    ("scan.pdf", lambda: b"<html><script>alert(1)</script></html>", "something else"),
])
def test_a_hostile_attachment_is_refused_with_a_message_and_nothing_is_saved(
        registrar, filename, build, words):
    answer = _post(registrar, filename, build())
    html = answer.get_data(True)
    assert answer.status_code == 200 and 'class="field-error"' in html, html[:2000]
    assert words in html.lower()
    _nothing_saved()


def test_a_path_traversal_name_is_stored_under_a_safe_name(app, registrar):
    """The bytes go to the content-addressed blob store; the name a download is offered under
    keeps no directory part."""
    answer = _post(registrar, "../../etc/passwd.pdf", make_pdf("Өтініш"))
    assert answer.status_code == 303, answer.get_data(True)[:2000]
    names = db.session.execute(db.select(FileVersion.safe_name)).scalars().all()
    assert names and all("/" not in n and "\\" not in n and not n.startswith(".")
                         for n in names), names
    store = Path(app.config["BLOB_STORE"]).resolve()
    assert all(p.resolve().is_relative_to(store) for p in store.rglob("*"))


def test_an_oversized_upload_is_refused_with_413_and_a_clear_message(app, registrar):
    app.config["MAX_CONTENT_LENGTH"] = 2 * MB
    answer = _post(registrar, "big.pdf", b"%PDF-1.7\n" + bytes(3 * MB))
    assert answer.status_code == 413
    assert "too large" in answer.get_data(True).lower()
    _nothing_saved()
