"""The worklist counts the appeals whose reference brief is due soon (R26: reception date minus 5
working days), checked against briefs.brief_due computed in Python."""

import pytest

from docflow.calendar.store import current_calendar
from docflow.engine.workflow import transition
from docflow.extensions import db
from docflow.i18n import local_today
from docflow.reception import briefs
from docflow.reception.intake import IntakeSchema
from docflow.reception.operations import register_appeal
from tests.api.test_appeals_api import body
from tests.schedules.test_publication import published  # noqa: F401 (fixture)


@pytest.mark.usefixtures("writing_day")
def test_brief_due_soon_counter(world, published, client, login):  # noqa: F811
    resp = world.user("responsible")
    expected = 0
    for entry in published.entries:
        if entry.official.body.code != "MLSPP":
            continue
        appeal = register_appeal(IntakeSchema().load(body(external_id=f"E{entry.id}")),
                                 None).appeal
        appeal.responsible_id = resp.id
        transition(appeal, "start_review", resp)
        briefs.propose(appeal, resp, entry_id=entry.id)
        due = briefs.brief_due(appeal)
        expected += due <= current_calendar().shift(local_today(), 3)
    db.session.commit()
    assert expected >= 1  # the December receptions' briefs fall due within days
    login("demo-responsible", "demo-pass-2026")
    html = client.get("/worklist?lang=en").get_data(True)
    assert f'Brief due soon <span class="count">{expected}</span>' in html
    shown = client.get("/worklist?show=brief_due_soon&lang=en").get_data(True)
    assert shown.count('name="appeal_ids"') == expected
