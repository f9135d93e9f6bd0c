"""A republished schedule lists the applicants placed on moved or removed receptions: each needs
a new reply (R7-1, R28, R29)."""
from docflow.extensions import db
from docflow.reception.intake import IntakeSchema
from docflow.reception.operations import register_appeal
from docflow.reception.receptions import needing_new_reply, place
from tests.api.test_appeals_api import body
from tests.schedules.test_publication import published, republish  # noqa: F401 (fixture)


def test_applicants_on_moved_or_removed_entries_need_a_new_reply(world, published, client,  # noqa: F811
                                                                 login):
    by_day = {e.date.day: e for e in published.entries}
    appeals = {}
    for day in (1, 2, 4):  # 1: moved to 8 Dec; 2: removed; 4: more places, same slots
        appeals[day] = register_appeal(IntakeSchema().load(body(external_id=f"N{day}")),
                                       None).appeal
        place(appeals[day], by_day[day])
    db.session.commit()
    v2 = republish(world, published)
    rows = needing_new_reply(v2, world.user("admin"))
    assert {p.appeal_id: c.kind for p, c in rows} == {appeals[1].id: "moved",
                                                      appeals[2].id: "removed"}
    login("demo-admin", "demo-pass-2026")
    page = client.get(f"/manage/schedules/{v2.id}/to-notify?lang=en").get_data(True)
    assert appeals[1].registration_number in page and appeals[2].registration_number in page
    assert appeals[4].registration_number not in page
    assert "new reply is due" in client.get(f"/manage/schedules/{v2.id}?lang=en").get_data(True)
    assert needing_new_reply(published, world.user("admin")) == []
