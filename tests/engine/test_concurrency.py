"""Optimistic concurrency: an edit made on a stale version is refused and nothing is overwritten."""
import pytest
from sqlalchemy.orm import Session

from docflow.engine import StaleEdit, transition, update_item
from docflow.engine.content import Item
from docflow.extensions import db
from tests.engine.memo import Memo


def test_a_second_session_editing_the_same_item_is_refused(memo_app, new_memo):
    u = memo_app.memo.users
    memo = new_memo(body="v1")
    db.session.commit()
    memo_id, version = memo.id, memo.version
    assert db.session.get(Memo, memo_id).body == "v1"  # loaded by the first editor

    with Session(db.engine) as other:  # the second editor saves first
        theirs = other.get(Memo, memo_id)
        theirs.body, theirs.modified_by_id = "theirs", u.sam.id
        other.commit()

    with pytest.raises(StaleEdit) as stale:
        update_item(memo, u.alice, body="mine")
    assert "changed by Sam at" in str(stale.value) and stale.value.version == version + 1
    db.session.expire_all()
    assert db.session.get(Memo, memo_id).body == "theirs"


def test_an_edit_from_a_stale_form_is_refused_before_writing(memo_app, new_memo):
    u = memo_app.memo.users
    memo = new_memo(body="v1")
    db.session.commit()
    form_version = memo.version
    update_item(memo, u.alice, expected_version=form_version, body="v2")
    db.session.commit()
    with pytest.raises(StaleEdit, match="changed by Alice"):
        update_item(memo, u.alice, expected_version=form_version, body="v3 from an old form")
    db.session.rollback()
    assert db.session.get(Memo, memo.id).body == "v2"


def test_a_transition_on_a_stale_item_is_refused(memo_app, new_memo):
    u = memo_app.memo.users
    memo = new_memo()
    db.session.commit()
    with Session(db.engine) as other:
        other.get(Item, memo.id).title = "renamed meanwhile"
        other.commit()
    with pytest.raises(StaleEdit):
        transition(memo, "sign", u.sam)
    db.session.expire_all()
    assert db.session.get(Item, memo.id).state == "draft"
