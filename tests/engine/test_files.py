"""Files: every upload or regeneration is a new version; content stored once by its hash."""
import pytest

from docflow.engine import PermissionDenied, add_file_version, files_of, transition, versions
from docflow.engine.filecheck import FileRejected
from docflow.engine.files import read_version
from docflow.extensions import db


def test_uploads_and_regenerations_are_versions(memo_app, new_memo):
    u = memo_app.memo.users
    memo = new_memo()
    v1 = add_file_version(memo, "note", "Бірінші нұсқа\n".encode(), u.alice,
                          filename="../note.txt")
    v2 = add_file_version(memo, "note", b"%PDF-generated", None, filename="note.pdf",
                          generated=True, meta={"template": "v3", "data_hash": "abc",
                                                "media_type": "application/pdf"})
    db.session.commit()
    (file,) = files_of(memo)
    assert [v.number for v in versions(file)] == [1, 2]
    assert v1.media_type.startswith("text/plain") and "/" not in v1.safe_name
    assert v1.original_name == "../note.txt" and v1.created_by_id == u.alice.id
    assert v1.text.strip() == "Бірінші нұсқа" and v1.size == len("Бірінші нұсқа\n".encode())
    assert v2.generated and v2.meta["template"] == "v3" and v2.created_by_id is None
    assert read_version(v1) == "Бірінші нұсқа\n".encode()
    assert read_version(v2) == b"%PDF-generated"


def test_a_rejected_upload_stores_nothing(memo_app, new_memo):
    memo = new_memo()
    with pytest.raises(FileRejected):
        add_file_version(memo, "scan", b"MZ\x90\x00 not a pdf", memo_app.memo.users.alice,
                         filename="scan.pdf")
    assert files_of(memo) == []


def test_adding_files_needs_the_permission_of_the_state(memo_app, new_memo):
    u = memo_app.memo.users
    memo = new_memo()
    transition(memo, "sign", u.sam)
    with pytest.raises(PermissionDenied):
        add_file_version(memo, "late", b"text", u.alice, filename="late.txt")
    assert add_file_version(memo, "late", b"text", u.sam, filename="late.txt").number == 1
