"""API v1 for case work (DESIGN §5): transitions that need data (approve with entry_id, send with
via), the reception field once set, and the case file's documents with versions and downloads."""
import hashlib
from datetime import date

from docflow.engine.workflow import transition
from docflow.extensions import db
from docflow.i18n import local_today
from docflow.reception import briefs, replies
from tests.api.test_appeals_api import bearer


def _ready(case, users, schedule):
    entry = schedule.add(day=date(2026, 12, 10))
    appeal = case()
    resp = users["responsible"]
    transition(appeal, "start_review", resp)
    briefs.propose(appeal, resp, entry_id=entry.id)
    briefs.generate_brief(appeal, resp, "ru")
    transition(appeal, "submit_brief", resp)
    db.session.commit()
    return appeal, entry


def test_approve_reply_and_documents_through_the_api(app, case, users, schedule):
    appeal, entry = _ready(case, users, schedule)
    client = app.test_client()
    head, resp = bearer("demo-head"), bearer("demo-responsible")
    url = f"/api/v1/appeals/{appeal.id}"
    assert client.get(url, headers=head).get_json()["reception"] is None
    wrong = client.post(f"{url}/transitions", headers=head,
                        json={"name": "approve", "entry_id": 99999})
    assert wrong.status_code == 422 and "entry_id" in wrong.get_json()["errors"]
    refused = client.post(f"{url}/transitions", headers=resp,
                          json={"name": "approve", "entry_id": entry.id})
    assert refused.status_code == 403
    done = client.post(f"{url}/transitions", headers=head,
                       json={"name": "approve", "entry_id": entry.id})
    assert done.status_code == 200, done.get_json()
    reception = done.get_json()["reception"]
    assert reception["date"] == "2026-12-10" and reception["time"] == "10:00"
    assert reception["official"]["code"] == "MLSPP-DEP1"
    no_reply = client.post(f"{url}/transitions", headers=resp,
                           json={"name": "send_reply", "via": "post"})
    assert no_reply.status_code == 409 and "(R29)" in no_reply.get_json()["detail"]
    replies.generate_reply(appeal, users["responsible"])
    db.session.commit()
    sent = client.post(f"{url}/transitions", headers=resp,
                       json={"name": "send_reply", "via": "post"})
    assert sent.status_code == 200 and sent.get_json()["status"] == "notified"
    assert sent.get_json()["replied_on"] == local_today().isoformat()
    assert sent.get_json()["reply_late"] is False

    listed = client.get("/api/v1/appeals?late=false", headers=resp).get_json()["items"]
    assert [a["id"] for a in listed] == [appeal.id] and listed[0]["reply_late"] is False
    assert client.get("/api/v1/appeals?late=true", headers=resp).get_json()["items"] == []
    docs = client.get(f"{url}/documents", headers=resp)
    assert docs.status_code == 200
    by_name = {d["name"]: d for d in docs.get_json()["items"]}
    assert set(by_name) == {"brief", "reply"}
    version = by_name["reply"]["versions"][0]
    assert version["media_type"] == "application/pdf" and version["data_hash"]
    assert version["created_at"].endswith("Z")
    pdf = client.get(version["download"], headers=resp)
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert hashlib.sha256(pdf.data).hexdigest() == version["sha256"]
    assert client.get(version["download"]).status_code == 401
    assert client.get(f"{url}/documents", headers=bearer("demo-division")).status_code == 404


def test_verify_page_confirms_by_checksum_without_personal_data(app, case, users, schedule):
    appeal, entry = _ready(case, users, schedule)
    briefs.approve(appeal, users["head"])
    version = replies.generate_reply(appeal, users["responsible"])
    db.session.commit()
    client = app.test_client()
    code = version.meta["verification"]
    from tests.casework.test_path import squash, text_of
    assert squash(f"/verify/{code}") in squash(text_of(version))  # what the QR code opens
    for key in (code, version.sha256):
        page = client.get(f"/verify/{key}?lang=en")
        html = page.get_data(True)
        assert page.status_code == 200 and "Genuine" in html
        for personal in (appeal.last_name, appeal.first_name, appeal.iin,
                         appeal.registration_number, appeal.subject):
            assert personal not in html
    assert client.get("/verify/" + "0" * 64).status_code == 404
    assert client.get("/verify/not-a-hash").status_code == 404
