"""The item pages: history and transition buttons, refusals flashed (never a 500), sharing,
"who can see this", file versions and audited downloads; restricted items are simply not found."""
import re

import pytest

from docflow.engine import add_file_version, create_item
from docflow.engine.audit import AuditEntry
from docflow.extensions import db
from tests.conftest import csrf_token
from tests.engine.conftest import attach_memo
from tests.engine.memo import PLACE, Memo


@pytest.fixture
def site(app, client, login):
    attach_memo(app)
    memo = create_item(Memo, title="Budget memo", body="text", owner=app.memo.users.alice,
                       places=[PLACE])
    db.session.commit()

    def post(url, **data):
        page = client.get(f"/items/{memo.uid}")
        token = csrf_token(page.get_data(True)) if page.status_code == 200 else ""
        return client.post(url, data={"csrf_token": token, **data}, follow_redirects=True)
    return app.memo.users, memo, client, login, post


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(True))


def test_the_item_page_offers_only_the_users_transitions(site):
    users, memo, client, login, _post = site
    login("sam")
    page = _text(client.get(f"/items/{memo.uid}"))
    assert 'value="sign"' in page and 'value="send"' not in page
    login("alice")
    assert 'value="sign"' not in _text(client.get(f"/items/{memo.uid}"))


def test_a_refused_transition_is_flashed_and_a_permitted_one_applied(site):
    users, memo, client, login, post = site
    login("alice")
    page = post(f"/items/{memo.uid}/transition", transition="sign")
    assert page.status_code == 200 and "needs one of the roles signer" in _text(page)
    login("sam")
    page = post(f"/items/{memo.uid}/transition", transition="sign", comment="ok")
    assert page.status_code == 200
    db.session.expire_all()
    assert db.session.get(Memo, memo.id).state == "signed"
    assert "ok" in _text(page)  # the history shows the comment
    login("carl")
    page = post(f"/items/{memo.uid}/transition", transition="send")  # needs a comment
    assert page.status_code == 200 and "needs comment" in _text(page)
    page = post(f"/items/{memo.uid}/transition", transition="")
    assert page.status_code == 200 and "Choose a transition" in _text(page)


def test_restricted_items_are_not_found_for_the_uncleared_and_views_audited(site, app):
    users, _memo, client, login, _post = site
    cleared = app.memo.directory.user("cleared", ("signer", PLACE), clearances=[PLACE])
    secret = create_item(Memo, title="Secret", body="x", owner=users.alice, places=[PLACE],
                         restricted=True)
    db.session.commit()
    login("sam")
    assert client.get(f"/items/{secret.uid}").status_code == 404
    assert client.get("/items/0123456789abcdef0123456789abcdef").status_code == 404
    login("cleared")
    assert client.get(f"/items/{secret.uid}").status_code == 200
    views = db.session.execute(db.select(AuditEntry).where(
        AuditEntry.action == "view")).scalars().all()
    assert [(v.actor_id, v.item_id) for v in views] == [(cleared.id, secret.id)]


def test_sharing_grants_and_revokes_and_explains(site):
    users, memo, client, login, post = site
    login("sam")  # a signer may see but not manage sharing
    assert client.get(f"/items/{memo.uid}/sharing").status_code == 403
    login("alice")  # the owner may
    page = post(f"/items/{memo.uid}/sharing", principal="ghost", role="reader")
    assert "no user with the login ghost" in _text(page)
    page = post(f"/items/{memo.uid}/sharing", principal="nobody", role="emperor")
    assert "Role: choose one of" in _text(page)
    page = post(f"/items/{memo.uid}/sharing", principal="nobody", role="reader")
    assert f"user:{users.nobody.id}" in _text(page)
    access = _text(client.get(f"/items/{memo.uid}/access"))
    assert "local role on this item" in access and "global role held at Venue № 1" in access
    login("nobody")
    assert client.get(f"/items/{memo.uid}").status_code == 200
    login("alice")
    post(f"/items/{memo.uid}/sharing", principal=f"user:{users.nobody.id}", role="reader",
         action="revoke")
    login("nobody")
    assert client.get(f"/items/{memo.uid}").status_code == 404


def test_file_versions_are_listed_and_downloads_audited(site):
    users, memo, client, login, _post = site
    add_file_version(memo, "note", b"first\n", users.alice, filename="note.txt")
    v2 = add_file_version(memo, "note", b"second\n", users.alice, filename="note.txt")
    db.session.commit()
    login("sam")
    page = _text(client.get(f"/items/{memo.uid}/files"))
    assert page.count("/download") == 2
    response = client.get(f"/items/{memo.uid}/files/{v2.id}/download")
    assert response.status_code == 200 and response.data == b"second\n"
    assert client.get(f"/items/{memo.uid}/files/999/download").status_code == 404
    row = db.session.execute(db.select(AuditEntry).where(
        AuditEntry.action == "download")).scalar_one()
    assert row.actor_id == users.sam.id and row.detail["version"] == 2
