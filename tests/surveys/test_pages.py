"""Survey pages: the operator's call list, restricted contacts (R11), the call script in the
applicant's language, the outcome form's rules, audit, rounds, exports and the figures."""
import csv
import io
from datetime import date

import pytest
from flask_babel import force_locale

from docflow.engine.audit import AuditEntry
from docflow.extensions import db
from docflow.i18n import local_today
from docflow.surveys.models import SurveyTask
from docflow.surveys.operations import start_round
from docflow.surveys.stats import satisfaction
from tests.conftest import csrf_token
from tests.surveys.conftest import PASSWORD, this_quarter


@pytest.fixture
def sampled(app, world):
    """Everyone served is sampled (100 %): two kk and one ru applicant at CRC-AST, one of them
    a foreigner (restricted, R11), and one at the reception room."""
    appeals = {
        "kk": world.serve("consulted"),
        "ru": world.serve("withdrawn", language="ru",
                          applicant__last_name="Иванова", applicant__first_name="Ольга"),
        "secret": world.serve("consulted", foreign=True, applicant__last_name="Каримов",
                              phone="+77009998877"),
        "room": world.serve("consulted", venue="RR-MLSPP"),
    }
    start, end = this_quarter()
    with force_locale("en"):
        start_round(period_start=start, period_end=min(end, local_today()), share_percent=100,
                    seed=1, actor=world.admin)
    db.session.commit()
    tasks = {k: db.session.execute(db.select(SurveyTask).where(
        SurveyTask.appeal_id == a.id)).scalar_one() for k, a in appeals.items()}
    return tasks


@pytest.fixture
def as_user(client, login):
    def do(name):
        login(name, PASSWORD if not name.startswith("demo-") else "demo-pass-2026")
        client.get("/surveys/?lang=en")
        return client
    return do


def numbers_in(html: str, tasks: dict) -> set[str]:
    return {k for k, t in tasks.items() if t.appeal.registration_number in html}


def csv_rows(response) -> list[list[str]]:
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_an_uncleared_operator_sees_the_venue_open_tasks_except_restricted_ones(sampled, as_user):
    client = as_user("op-plain")
    page = client.get("/surveys/").get_data(as_text=True)
    assert numbers_in(page, sampled) == {"kk", "ru"}
    assert "+77009998877" not in page and "Каримов" not in page
    assert 'data-testid="counter-open">\n    To call <span class="count">2</span>' in page
    assert client.get(f"/surveys/tasks/{sampled['secret'].id}").status_code == 404
    token = csrf_token(page)
    assert client.post(f"/surveys/tasks/{sampled['secret'].id}",
                       data={"outcome": "reached", "score": "5", "csrf_token": token}
                       ).status_code == 404
    assert client.get(f"/surveys/tasks/{sampled['room'].id}").status_code == 404
    rows = csv_rows(client.get("/surveys/export.csv"))
    assert [r[0] for r in rows[1:]] == [sampled["kk"].appeal.registration_number,
                                        sampled["ru"].appeal.registration_number]
    assert not any("+77009998877" in cell for row in rows for cell in row)


def test_a_cleared_operator_sees_and_opens_restricted_tasks_and_the_view_is_audited(
        sampled, as_user):
    client = as_user("op-cleared")
    page = client.get("/surveys/").get_data(as_text=True)
    assert numbers_in(page, sampled) == {"kk", "ru", "secret"}
    secret = client.get(f"/surveys/tasks/{sampled['secret'].id}")
    assert secret.status_code == 200 and "+77009998877" in secret.get_data(as_text=True)
    assert db.session.execute(db.select(AuditEntry).where(
        AuditEntry.action == "view", AuditEntry.item_id == sampled["secret"].id)).scalar()
    rows = csv_rows(client.get("/surveys/export.csv"))
    assert "'+77009998877" in [r[2] for r in rows[1:]]  # a phone starting with + is guarded


def test_operators_see_only_their_venue(sampled, as_user):
    page = as_user("op-room").get("/surveys/").get_data(as_text=True)
    assert numbers_in(page, sampled) == {"room"}


def test_the_script_is_in_the_applicant_language(sampled, as_user):
    client = as_user("op-plain")
    kk = client.get(f"/surveys/tasks/{sampled['kk'].id}").get_data(as_text=True)
    ru = client.get(f"/surveys/tasks/{sampled['ru'].id}").get_data(as_text=True)
    venue = sampled["kk"].venue
    assert 'lang="kk" data-testid="call-script"' in kk and venue.name_kk in kk
    assert 'lang="ru" data-testid="call-script"' in ru and venue.name_ru in ru
    # the dates are written in the applicant's language (CLDR month names)
    from babel.dates import format_date
    assert format_date(local_today(), "long", locale="ru") in ru
    assert format_date(local_today(), "long", locale="kk") in kk
    assert "Ольга" in ru and sampled["ru"].appeal.phone in ru


def record(client, task, **data):
    page = client.get(f"/surveys/tasks/{task.id}").get_data(as_text=True)
    return client.post(f"/surveys/tasks/{task.id}",
                       data={"csrf_token": csrf_token(page), **data})


@pytest.mark.parametrize("data, field, message", [
    ({"outcome": "reached", "score": ""}, "score", "Satisfaction score: required when the "
     "applicant was reached"),
    ({"outcome": "not_reached", "score": "4"}, "score", "Satisfaction score: leave it empty"),
    ({"outcome": "refused_to_answer", "score": "1"}, "score", "Satisfaction score: leave it"),
    ({"outcome": "reached", "score": "6"}, "score", "Satisfaction score: a whole number from "
     "1 to 5"),
    ({"outcome": "reached", "score": "x"}, "score", "Satisfaction score: a whole number"),
    ({"score": "3"}, "outcome", "Outcome of the call: choose how the call ended"),
    ({"outcome": "maybe", "score": ""}, "outcome", "Outcome of the call: choose"),
])
def test_the_outcome_form_names_the_field_and_saves_nothing(sampled, as_user, data, field,
                                                           message):
    client = as_user("op-plain")
    response = record(client, sampled["kk"], **data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'id="{field}-error">{message}' in html
    db.session.expire_all()
    task = db.session.get(SurveyTask, sampled["kk"].id)
    assert task.state == "open" and task.outcome is None and task.score is None
    assert not db.session.execute(db.select(AuditEntry).where(
        AuditEntry.action == "survey_outcome")).scalar()


def test_recording_closes_the_task_and_is_audited(sampled, as_user):
    client = as_user("op-plain")
    response = record(client, sampled["kk"], outcome="reached", score="4",
                      comment="=HYPERLINK(\"x\")")
    assert response.status_code == 303
    db.session.expire_all()
    task = db.session.get(SurveyTask, sampled["kk"].id)
    assert (task.state, task.outcome, task.score) == ("done", "reached", 4)
    assert task.recorded_on == local_today() and task.recorded_by.login == "op-plain"
    audit = db.session.execute(db.select(AuditEntry).where(
        AuditEntry.action == "survey_outcome")).scalar_one()
    assert audit.item_id == task.id and audit.detail["score"] == 4
    assert record(client, sampled["ru"], outcome="not_reached").status_code == 303
    # done tasks leave the open list; a second record is refused
    page = client.get("/surveys/").get_data(as_text=True)
    assert numbers_in(page, sampled) == set()
    assert client.post(f"/surveys/tasks/{task.id}", data={
        "outcome": "reached", "csrf_token": csrf_token(page)}).status_code == 403
    rows = csv_rows(client.get("/surveys/export.csv?show=done"))
    by_number = {r[0]: r for r in rows[1:]}
    kk = by_number[task.appeal.registration_number]
    assert kk[7] == "4" and kk[8] == "'=HYPERLINK(\"x\")"
    figures = satisfaction(db.session, start=local_today(), end=local_today())
    assert figures["total"]["called"] == 2 and figures["total"]["reached"] == 1
    assert figures["total"]["response_rate"] == 0.5 and figures["total"]["average_score"] == 4
    assert figures["venues"][task.venue_id]["scores"][4] == 1


def test_only_call_center_operators_record(sampled, as_user):
    client = as_user("demo-admin")
    page = client.get(f"/surveys/tasks/{sampled['kk'].id}")
    assert page.status_code == 200 and 'data-testid="outcome-form"' not in page.get_data(True)
    assert client.post(f"/surveys/tasks/{sampled['kk'].id}", data={
        "outcome": "reached", "score": "3", "csrf_token": csrf_token(page.get_data(True))}
    ).status_code == 403


def test_rounds_page_starts_a_round_and_refuses_operators(app, world, as_user):
    world.serve("consulted")
    world.serve("consulted", venue="RR-MLSPP")
    assert as_user("op-plain").get("/surveys/rounds").status_code == 403
    client = as_user("demo-admin")
    page = client.get("/surveys/rounds").get_data(as_text=True)
    start, end = this_quarter()
    form = {"csrf_token": csrf_token(page), "venue": "*", "period_start": start.isoformat(),
            "period_end": min(end, local_today()).isoformat(), "share_percent": "100",
            "seed": "42"}
    bad = client.post("/surveys/rounds", data={**form, "share_percent": "0"})
    assert bad.status_code == 422
    assert "Share to call (per cent): a whole number from 1 to 100." in bad.get_data(as_text=True)
    done = client.post("/surveys/rounds", data=form, follow_redirects=True)
    html = done.get_data(as_text=True)
    assert "Round started: 2 applicant(s) to call out of 2 (seed 42)." in html
    assert db.session.execute(db.select(db.func.count(SurveyTask.id))).scalar() == 2


def test_a_head_starts_rounds_only_for_their_venue(app, world, as_user):
    world.serve("consulted", venue="RR-MLSPP")
    client = as_user("head-room")
    page = client.get("/surveys/rounds").get_data(as_text=True)
    assert 'value="*"' not in page
    crc = world.serve("consulted").venue
    start, end = this_quarter()
    form = {"csrf_token": csrf_token(page), "venue": str(crc.id),
            "period_start": start.isoformat(),
            "period_end": min(end, local_today()).isoformat(), "share_percent": "100"}
    refused = client.post("/surveys/rounds", data=form)
    assert refused.status_code == 422 and "Venue: choose a venue" in refused.get_data(True)
    room = world.user("head-room").venue
    ok = client.post("/surveys/rounds", data={**form, "venue": str(room.id)})
    assert ok.status_code == 303 and room.code == "RR-MLSPP"
    tasks = db.session.execute(db.select(SurveyTask)).scalars().all()
    assert [t.venue_id for t in tasks] == [room.id]


def test_start_pages_link_to_the_surveys(app, world, as_user):
    assert "/surveys/" in as_user("op-plain").get("/").get_data(as_text=True)


def test_satisfaction_figures_by_venue_and_body(sampled, world):
    from docflow.surveys.operations import record_outcome
    with force_locale("en"):
        record_outcome(sampled["kk"], world.user("op-plain"), outcome="reached", score=5)
        record_outcome(sampled["ru"], world.user("op-plain"), outcome="reached", score=2)
        record_outcome(sampled["room"], world.user("op-room"), outcome="refused_to_answer")
    db.session.commit()
    today = local_today()
    everything = satisfaction(db.session, start=today, end=today)
    assert everything["total"] == {
        "called": 3, "reached": 2, "not_reached": 0, "refused_to_answer": 1,
        "response_rate": 2 / 3, "average_score": 3.5, "scores": {1: 0, 2: 1, 3: 0, 4: 0, 5: 1}}
    crc, room = sampled["kk"].venue_id, sampled["room"].venue_id
    assert set(everything["venues"]) == {crc, room}
    assert everything["venues"][room]["response_rate"] == 0
    assert everything["venues"][room]["average_score"] is None
    only_room = satisfaction(db.session, venue_ids=[room], start=today, end=today)
    assert only_room["total"]["called"] == 1 and set(only_room["venues"]) == {room}
    other_body = satisfaction(db.session, body_ids=[sampled["kk"].body_id + 1000],
                              start=today, end=today)
    assert other_body["total"]["called"] == 0 and other_body["total"]["response_rate"] is None
    yesterday = satisfaction(db.session, start=date(2020, 1, 1), end=date(2020, 12, 31))
    assert yesterday["venues"] == {}
