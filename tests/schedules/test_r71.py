"""R7-1: every first head and deputy of a central state body receives at a citizen reception
center at least once a month, under a schedule approved by the Head of the Office of the
Government; approving a center's schedule with gaps needs an acknowledgment with a reason."""
import pytest
from flask_babel import force_locale

from docflow.engine import ConditionRefused, history
from docflow.extensions import db
from docflow.schedules import operations as ops
from docflow.schedules import r71_gaps
from tests.conftest import csrf_token
from tests.schedules.conftest import MONTH, PASSWORD

CENTRAL = {"MLSPP-MIN", "MLSPP-DEP1", "MZ-MIN"}


@pytest.mark.parametrize("setup, official, in_gaps", [
    # a head with an entry at a center, in a published / approved schedule: covered
    ([("CRC-AST", "MLSPP-MIN", "published")], "MLSPP-MIN", False),
    ([("CRC-AST", "MLSPP-MIN", "approved")], "MLSPP-MIN", False),
    # only at the body's reception room: not a center, so still listed
    ([("RR-MLSPP", "MLSPP-MIN", "published")], "MLSPP-MIN", True),
    # at a center, but the schedule is not approved yet: not counted
    ([("CRC-AST", "MLSPP-MIN", "submitted")], "MLSPP-MIN", True),
    # no entry anywhere
    ([], "MZ-MIN", True),
    # a deputy counts like a first head
    ([("CRC-AST", "MLSPP-MIN", "published")], "MLSPP-DEP1", True),
    # the akim of a local body is not required by R7-1, with or without an entry
    ([], "AKIMAT-AST-AKIM", False),
])
def test_r71_list(world, setup, official, in_gaps):
    for venue, code, state in setup:
        world.schedule(venue, [world.entry(code, 1)], state=state)
    codes = {o.code for o in r71_gaps(MONTH)}
    assert (official in codes) is in_gaps
    assert codes <= CENTRAL


def test_other_month_does_not_count(world):
    world.schedule("CRC-AST", [world.entry("MLSPP-MIN", 2, month=MONTH.replace(month=11))],
                   state="published", month=MONTH.replace(month=11))
    assert "MLSPP-MIN" in {o.code for o in r71_gaps(MONTH)}
    assert "MLSPP-MIN" not in {o.code for o in r71_gaps(MONTH.replace(month=11, day=20))}


def test_the_schedule_being_approved_counts(world):
    s = world.schedule("CRC-AST", [world.entry("MLSPP-MIN", 1)], state="submitted")
    assert "MLSPP-MIN" in {o.code for o in r71_gaps(MONTH)}
    assert "MLSPP-MIN" not in {o.code for o in r71_gaps(MONTH, including=s)}


def test_approval_with_gaps_needs_acknowledgment_and_reason(world):
    s = world.schedule("CRC-AST", [world.entry("MLSPP-MIN", 1)], state="submitted")
    office = world.user("government_office")
    with force_locale("en"), pytest.raises(ConditionRefused, match="R7-1"):
        ops.approve(s, office)
    db.session.rollback()
    with pytest.raises(ConditionRefused):
        ops.approve(s, office, acknowledge=True, reason="   ")
    db.session.rollback()
    assert s.state == "submitted"

    ops.approve(s, office, acknowledge=True, reason="MZ receives in January")
    db.session.commit()
    assert s.state == "approved" and s.approved_by_id == office.id
    assert s.r71_acknowledged and s.r71_reason == "MZ receives in January"
    assert set(s.r71_gaps) == {"MLSPP-DEP1", "MZ-MIN"}
    row = history(s)[-1]
    assert row.transition == "approve" and row.comment == "MZ receives in January"
    assert row.data["acknowledged"] is True
    assert set(row.data["r71_gaps"]) == {"MLSPP-DEP1", "MZ-MIN"}


def test_approval_without_gaps_needs_no_acknowledgment(world):
    entries = [world.entry("MLSPP-MIN", 1), world.entry("MLSPP-DEP1", 2),
               world.entry("MZ-MIN", 3)]
    s = world.schedule("CRC-AST", entries, state="submitted")
    ops.approve(s, world.user("government_office"))
    db.session.commit()
    assert s.state == "approved" and not s.r71_acknowledged and s.r71_gaps == []


def test_a_rooms_schedule_is_not_checked(world):
    s = world.schedule("RR-MLSPP", [world.entry("MLSPP-MIN", 1)], state="submitted")
    ops.approve(s, world.user("government_office"))
    assert s.state == "approved"


def test_approval_page_shows_gaps_and_refuses_without_acknowledgment(world, client, login):
    s = world.schedule("CRC-AST", [world.entry("MLSPP-MIN", 1)], state="submitted")
    login("demo-government-office", PASSWORD)
    page = client.get("/manage/schedules/approvals")
    html = page.get_data(True)
    assert page.status_code == 200 and 'data-testid="r71-gaps"' in html
    assert world.official("MZ-MIN").full_name("kk") in html or \
        world.official("MZ-MIN").full_name("ru") in html
    token = csrf_token(html)
    refused = client.post(f"/manage/schedules/{s.id}/approve", data={"csrf_token": token},
                          follow_redirects=True)
    assert "R7-1" in refused.get_data(True)
    db.session.expire_all()
    assert s.state == "submitted"
    done = client.post(f"/manage/schedules/{s.id}/approve", data={
        "csrf_token": token, "acknowledge": "y", "reason": "Agreed with the ministries"},
        follow_redirects=True)
    assert done.status_code == 200
    db.session.expire_all()
    assert s.state == "approved" and s.r71_reason == "Agreed with the ministries"
