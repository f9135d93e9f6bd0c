"""Who may prepare, submit, approve, return and publish a schedule: the workflow's roles, held at
the schedule's venue (a reception room's also at its body) or everywhere (admin, the Office of
the Government). Checked by the engine; the pages answer 404 / 403 accordingly."""
import pytest
from flask_babel import force_locale

from docflow.engine import PermissionDenied, RoleRefused, can
from docflow.extensions import db
from docflow.schedules import operations as ops
from tests.conftest import csrf_token
from tests.schedules.conftest import MONTH, PASSWORD


@pytest.mark.parametrize("role, venue, allowed", [
    ("registrar", "CRC-AST", True),  # demo-registrar works at CRC-AST
    ("admin", "CRC-AST", True),
    ("admin", "RR-MLSPP", True),
    ("responsible", "RR-MLSPP", True),  # MLSPP's responsible employee: MLSPP's room
    ("responsible", "CRC-AST", False),  # ... but not the shared center
    ("registrar", "RR-MLSPP", False),  # another venue's registrar
    ("government_office", "CRC-AST", False),  # approves, does not prepare
    ("call_center", "CRC-AST", False),
    ("volunteer", "CRC-AST", False),
])
def test_who_may_prepare(world, role, venue, allowed):
    user = world.user(role)
    if not allowed:
        with pytest.raises(PermissionDenied):
            ops.create_schedule(world.venue(venue), MONTH, user)
        return
    schedule = ops.create_schedule(world.venue(venue), MONTH, user)
    ops.add_entry(schedule, user, world.entry("MLSPP-MIN", 1))
    assert can(user, "edit", schedule)


@pytest.mark.parametrize("role, allowed", [
    ("registrar", True), ("admin", True), ("government_office", False),
    ("call_center", False), ("head", False),
])
def test_who_may_submit(world, role, allowed):
    schedule = world.schedule("CRC-AST", [world.entry("MLSPP-MIN", 1)])
    if allowed:
        ops.submit(schedule, world.user(role))
        assert schedule.state == "submitted"
    else:
        with pytest.raises(RoleRefused):
            ops.submit(schedule, world.user(role))


@pytest.mark.parametrize("role, allowed", [
    ("government_office", True), ("registrar", False), ("admin", False), ("head", False),
])
def test_who_may_approve_or_return(world, role, allowed):
    schedule = world.schedule("CRC-AST", [world.entry("MLSPP-MIN", 1)], state="submitted")
    user = world.user(role)
    if allowed:
        ops.return_for_corrections(schedule, user, "Add MZ")
        assert schedule.state == "draft"
        ops.submit(schedule, world.user("registrar"))
        ops.approve(schedule, user, acknowledge=True, reason="ok")
        assert schedule.state == "approved"
    else:
        with pytest.raises(RoleRefused):
            ops.approve(schedule, user, acknowledge=True, reason="ok")
        with pytest.raises(RoleRefused):
            ops.return_for_corrections(schedule, user, "Add MZ")


@pytest.mark.parametrize("role, allowed", [
    ("registrar", True), ("admin", True), ("government_office", True),
    ("call_center", False), ("responsible", False),
])
def test_who_may_publish(world, role, allowed):
    schedule = world.schedule("CRC-AST", [world.entry("MLSPP-MIN", 1)], state="approved")
    if allowed:
        ops.publish(schedule, world.user(role))
        assert schedule.state == "published"
    else:
        with pytest.raises(RoleRefused):
            ops.publish(schedule, world.user(role))


def test_entries_are_frozen_after_submission(world):
    schedule = world.schedule("CRC-AST", [world.entry("MLSPP-MIN", 1)], state="submitted")
    for action in (lambda: ops.add_entry(schedule, world.user("admin"),
                                         world.entry("MZ-MIN", 2)),
                   lambda: ops.remove_entry(schedule.entries[0], world.user("admin"))):
        with pytest.raises(PermissionDenied):
            action()


def test_a_return_needs_a_reason(world):
    from docflow.engine import DataRequired
    schedule = world.schedule("CRC-AST", [world.entry("MLSPP-MIN", 1)], state="submitted")
    with pytest.raises(DataRequired):
        ops.return_for_corrections(schedule, world.user("government_office"), " ")


def test_an_empty_schedule_cannot_be_submitted(world):
    from docflow.engine import ConditionRefused
    with pytest.raises(ConditionRefused):
        ops.submit(world.schedule("CRC-AST"), world.user("registrar"))


def test_a_new_version_only_from_the_published_one_and_one_at_a_time(world):
    schedule = world.schedule("CRC-AST", [world.entry("MLSPP-MIN", 1)], state="published")
    ops.new_version(schedule, world.user("registrar"))
    with force_locale("en"), pytest.raises(ops.ScheduleError, match="already being prepared"):
        ops.new_version(schedule, world.user("registrar"))
    with pytest.raises(PermissionDenied):
        ops.new_version(schedule, world.user("call_center"))


def test_a_month_has_one_schedule_per_venue(world):
    world.schedule("CRC-AST")
    with pytest.raises(ops.ScheduleError) as refused:
        ops.create_schedule(world.venue("CRC-AST"), MONTH, world.user("admin"))
    assert refused.value.field == "month"


@pytest.mark.parametrize("login_name, url, status", [
    ("demo-call-center", "/manage/schedules/{id}", 404),  # cannot see it at all
    ("demo-responsible", "/manage/schedules/{id}", 404),  # MLSPP's staff: not the center's
    ("demo-registrar", "/manage/schedules/{id}", 200),
    ("demo-government-office", "/manage/schedules/{id}", 200),
    ("demo-registrar", "/manage/schedules/approvals", 403),
    ("demo-government-office", "/manage/schedules/approvals", 200),
    ("demo-government-office", "/manage/schedules/{id}/entries/{entry}", 403),  # not staff
    ("demo-registrar", "/manage/schedules/{id}/entries/{entry}", 200),
    ("demo-registrar", "/manage/schedules/{id}/entries/999999", 404),
])
def test_pages(world, client, login, login_name, url, status):
    schedule = world.schedule("CRC-AST", [world.entry("MLSPP-MIN", 1)])
    login(login_name, PASSWORD)
    assert client.get(url.format(id=schedule.id, entry=schedule.entries[0].id)).status_code \
        == status


def test_the_pages_need_a_sign_in(world, client):
    schedule = world.schedule("CRC-AST")
    assert client.get(f"/manage/schedules/{schedule.id}").status_code in (302, 401)


def test_the_whole_path_through_the_pages(world, client, login):
    login("demo-registrar", PASSWORD)
    token = csrf_token(client.get("/manage/schedules/").get_data(True))
    created = client.post("/manage/schedules/", data={"csrf_token": token, "venue": "CRC-AST",
                                                      "month": "2026-12"})
    assert created.status_code == 303
    url = created.headers["Location"]
    bad = client.post("/manage/schedules/", data={"csrf_token": token, "venue": "CRC-AST",
                                                  "month": "2026-13"})
    assert bad.status_code == 200 and 'id="month-error"' in bad.get_data(True)
    for code, day in (("MLSPP-MIN", 1), ("MLSPP-DEP1", 2), ("MZ-MIN", 3)):
        assert client.post(f"{url}/entries", data={
            "csrf_token": token, "official": code, "date": f"2026-12-0{day}",
            "start": "10:00", "end": "12:00", "slot_minutes": "30",
            "capacity": "4"}).status_code == 303
    assert client.post(f"{url}/submit", data={"csrf_token": token}).status_code == 303
    # the registrar cannot approve: refused, flashed, nothing changed
    client.post(f"{url}/approve", data={"csrf_token": token})
    assert "submitted" == world_state(url)
    client.post("/logout", data={"csrf_token": token})
    login("demo-government-office", PASSWORD)
    token = csrf_token(client.get("/manage/schedules/approvals").get_data(True))
    assert client.post(f"{url}/approve", data={"csrf_token": token}).status_code == 303
    assert world_state(url) == "approved"
    assert client.post(f"{url}/publish", data={"csrf_token": token}).status_code == 303
    assert world_state(url) == "published"
    assert client.get("/schedules/CRC-AST/2026-12").status_code == 200


def world_state(url: str) -> str:
    from docflow.schedules.models import Schedule
    db.session.expire_all()
    return db.session.get(Schedule, int(url.rstrip("/").rsplit("/", 1)[1])).state
