"""The worklist reads the calendar once, however many rows show "due in N working days"."""
from flask import g

from docflow.extensions import db
from docflow.reception.intake import IntakeSchema
from docflow.reception.models import Appeal
from docflow.reception.operations import register_appeal
from tests.api.test_appeals_api import body
from tests.sqlcount import statements_of_get


def _statements(client, url):
    g.pop("docflow_calendar", None)  # the test shares one app context across its requests
    return statements_of_get(client, url)


def test_worklist_statements_do_not_grow_with_the_rows(client, demo, login):
    login("demo-responsible", "demo-pass-2026")
    counts = []
    for n in (2, 12):
        while db.session.execute(db.select(db.func.count(Appeal.id))).scalar() < n:
            i = db.session.execute(db.select(db.func.count(Appeal.id))).scalar()
            register_appeal(IntakeSchema().load(body(external_id=f"Q{i}")), None)
        db.session.commit()
        statements = _statements(client, "/worklist")
        assert sum("calendar_override" in s for s in statements) == 1
        counts.append(len(statements))
    assert counts[0] == counts[1]
