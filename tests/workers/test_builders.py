"""build_document: one stored version per distinct (template, data); generate() through the
outbox; request_document's keys."""
import hashlib

import pytest

from docflow.documents.builders import UnknownBuilder, build_document, request_document
from docflow.engine import files_of, update_item
from docflow.engine.files import FileVersion, read_version
from docflow.extensions import db
from docflow.jobs import OutboxJob, run_job


def _versions(item) -> list[FileVersion]:
    return [v for f in files_of(item) for v in f.versions]


def test_same_data_gives_one_version_and_returns_it_again(memo_env):
    memo = memo_env.memo
    first = build_document("test_letter", memo, memo_env.owner)
    db.session.commit()
    again = build_document("test_letter", memo)
    db.session.commit()
    assert again.id == first.id
    assert [(v.number, v.file.name) for v in _versions(memo)] == [(1, "letter")]
    data = read_version(first)
    assert data.startswith(b"%PDF") and hashlib.sha256(data).hexdigest() == first.sha256
    assert first.generated and first.media_type == "application/pdf"
    assert set(first.meta) >= {"kind", "template_version", "data_hash", "media_type"}
    assert first.meta["kind"] == "test_letter" and len(first.meta["data_hash"]) == 64


def test_changed_data_adds_a_version_and_keeps_the_earlier_one(memo_env):
    memo = memo_env.memo
    first = build_document("test_letter", memo)
    db.session.commit()
    update_item(memo, memo_env.owner, body="Алматы қ., Абай даңғылы, 2")
    db.session.commit()
    second = build_document("test_letter", memo)
    db.session.commit()
    versions = _versions(memo)
    assert [v.number for v in versions] == [1, 2]
    assert second.meta["data_hash"] != first.meta["data_hash"]
    assert second.sha256 != first.sha256
    assert read_version(versions[0]) != read_version(versions[1])  # the earlier one is kept


def test_a_changed_template_version_adds_a_version(memo_env, monkeypatch):
    from docflow.documents.render import get_renderer

    first = build_document("test_letter", memo_env.memo)
    db.session.commit()
    renderer = get_renderer()
    monkeypatch.setitem(renderer._versions, "reply_letter", "0" * 64)
    second = build_document("test_letter", memo_env.memo)
    assert second.id != first.id and second.number == 2


def test_unknown_kind_is_refused(memo_env):
    with pytest.raises(UnknownBuilder):
        build_document("no_such_kind", memo_env.memo)
    with pytest.raises(UnknownBuilder):
        request_document("no_such_kind", memo_env.memo, memo_env.owner)


def test_generate_through_run_job_stores_one_document_even_when_run_again(memo_env):
    job = request_document("test_letter", memo_env.memo, memo_env.owner)
    db.session.commit()
    assert (job.queue, job.func, job.created_by_id) == (
        "documents", "workers.documents.generate", memo_env.owner.id)
    assert run_job(job.id) == "done"
    db.session.refresh(job)
    version = _versions(memo_env.memo)[0]
    assert job.result["version"] == version.id and job.result["number"] == 1
    assert job.result["sha256"] == version.sha256 and job.result["item"] == memo_env.memo.uid
    assert version.created_by_id == memo_env.owner.id
    # A second request (another click) is another job, and stores nothing new.
    second = request_document("test_letter", memo_env.memo, memo_env.owner)
    db.session.commit()
    assert second.id != job.id and second.key != job.key
    assert run_job(second.id) == "done"
    db.session.refresh(second)
    assert second.result["version"] == version.id
    assert len(_versions(memo_env.memo)) == 1


def test_generate_for_a_deleted_item_fails_at_once(memo_env):
    job = request_document("test_letter", memo_env.memo, memo_env.owner)
    db.session.delete(memo_env.memo)
    db.session.commit()
    assert run_job(job.id) == "failed"
    db.session.refresh(job)
    assert job.attempts == 1 and "no longer exists" in job.error


def test_a_render_error_is_retried_and_leaves_no_version(memo_env, monkeypatch):
    import docflow.documents.builders as builders

    def broken(*args, **kwargs):
        raise TimeoutError("renderer stalled")
    monkeypatch.setattr(builders, "render_pdf", broken)
    job = request_document("test_letter", memo_env.memo, memo_env.owner)
    db.session.commit()
    assert run_job(job.id) == "pending"
    db.session.refresh(job)
    assert job.attempts == 1 and "renderer stalled" in job.error
    assert job.available_at > job.created_at  # waits for its backoff
    assert _versions(memo_env.memo) == []
    monkeypatch.undo()
    job.available_at = job.created_at
    db.session.commit()
    assert run_job(job.id) == "done"
    assert len(_versions(memo_env.memo)) == 1
    assert db.session.get(OutboxJob, job.id).error is None


def test_a_version_stored_while_rendering_is_found_under_the_lock(memo_env, monkeypatch):
    """Two attempts at once (a worker thought dead was only slow): the second to finish
    rendering finds the first one's version when it checks again, and stores nothing."""
    import docflow.documents.builders as builders

    real_render = builders.render_pdf
    stored = []

    def render_while_another_attempt_stores(*args, **kwargs):
        if not stored:
            monkeypatch.setattr(builders, "render_pdf", real_render)
            stored.append(build_document("test_letter", memo_env.memo))  # the other attempt
        return real_render(*args, **kwargs)
    monkeypatch.setattr(builders, "render_pdf", render_while_another_attempt_stores)
    result = build_document("test_letter", memo_env.memo)
    db.session.commit()
    assert result.id == stored[0].id
    assert len(_versions(memo_env.memo)) == 1


def test_the_stored_search_text_is_the_renderers_not_a_pdf_parse(memo_env, monkeypatch):
    """Storing a generated PDF does not parse it back (pypdf cost more than the render)."""
    from docflow.engine import filecheck

    def refuse(*args, **kwargs):
        raise AssertionError("the generated PDF was parsed back for its text")

    monkeypatch.setattr(filecheck, "extract_text", refuse)
    version = build_document("test_letter", memo_env.memo)
    db.session.commit()
    assert f"MEMO-{memo_env.memo.id}" in version.text
    assert "Түркістан қ., 1-үй" in version.text.splitlines()
