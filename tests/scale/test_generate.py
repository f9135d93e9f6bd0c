"""Generated appeals at scale (issue 11): what ``generate`` writes is what the application would
have written, on SQLite and PostgreSQL, and the normal pages, the API and numbering work on it."""
from datetime import UTC

import pytest
from sqlalchemy import func, select, text

from docflow.auth.models import ApiToken, User
from docflow.calendar.store import current_calendar
from docflow.engine import catalog
from docflow.engine.history import HistoryEntry
from docflow.engine.security import can
from docflow.extensions import db
from docflow.i18n import local_today
from docflow.reception.intake import IntakeSchema
from docflow.reception.models import Appeal
from docflow.reception.numbering import RegistrationCounter
from docflow.reception.operations import deadlines_for, register_appeal
from docflow.reception.queries import REPLY_WORKING_DAYS, TERMINAL_STATES
from docflow.scale.generate import PASSWORD, generate
from tests.conftest import csrf_token

N = 2000


@pytest.fixture
def generated(db_app):
    result = generate(N, seed=7)
    return db_app, result


def responsible_of(appeal: Appeal) -> User:
    return db.session.get(User, appeal.responsible_id)


def test_rows_numbers_and_deadlines_are_what_intake_would_write(generated):
    app, result = generated
    assert result["appeals"] == N
    assert db.session.execute(select(func.count()).select_from(Appeal)).scalar() == N
    # every appeal is catalogued, has its places, an assignment and a history ending in its state
    for table in ("engine_catalog_text", "appeal_assignment"):
        assert db.session.execute(text(
            f"SELECT COUNT(*) FROM {table} t JOIN appeal a ON a.id = "
            f"t.{'item_id' if table.startswith('engine') else 'appeal_id'}")).scalar() == N
    assert db.session.execute(text(
        "SELECT COUNT(DISTINCT item_id) FROM engine_item_place p JOIN appeal a ON a.id = p.item_id"
    )).scalar() == N
    # each responsible employee's open load is counted (the least-loaded rule reads it)
    from docflow.reception.load import naive_counts, stored_counts
    assert stored_counts() == naive_counts() != {}
    wrong_end = db.session.execute(text(
        "SELECT COUNT(*) FROM engine_item i JOIN appeal a ON a.id = i.id WHERE i.state <> "
        "COALESCE((SELECT h.to_state FROM engine_history h WHERE h.item_id = i.id "
        "ORDER BY h.at DESC, h.id DESC LIMIT 1), 'registered')")).scalar()
    assert wrong_end == 0
    assert db.session.execute(text("SELECT COUNT(*) FROM engine_item WHERE path <> "
                                    "'/' || id || '/' AND parent_id IS NULL")).scalar() == 0
    # states along the workflow, ~5% restricted, years 2023..now, several channels and languages
    states = dict(db.session.execute(select(Appeal.state, func.count())
                                     .group_by(Appeal.state)).all())
    assert {"registered", "in_review", "closed", "consulted"} <= set(states)
    assert len(states) >= 8
    restricted = db.session.execute(select(func.count()).select_from(Appeal)
                                    .where(Appeal.restricted)).scalar()
    assert 0.02 * N < restricted < 0.09 * N
    assert db.session.execute(select(func.count()).select_from(Appeal).where(
        Appeal.restricted, Appeal.citizenship == "KZ")).scalar() == 0
    years = set(db.session.execute(select(Appeal.registration_year).distinct()).scalars())
    assert {2023, 2024, 2025} <= years
    assert len(set(db.session.execute(select(Appeal.channel).distinct()).scalars())) == 6
    assert set(db.session.execute(select(Appeal.language).distinct()).scalars()) == {"kk", "ru"}
    # numbers: per venue and year 1..n without a gap, in order of receipt, counters at n
    rows = db.session.execute(select(
        Appeal.venue_id, Appeal.registration_year, func.count(), func.min(Appeal.registration_seq),
        func.max(Appeal.registration_seq)).group_by(Appeal.venue_id, Appeal.registration_year))
    counters = {(s, y): last for s, y, last in db.session.execute(select(
        RegistrationCounter.scope, RegistrationCounter.year, RegistrationCounter.last))}
    for venue_id, year, n, low, high in rows:
        assert (low, high) == (1, n)
        code = db.session.execute(text("SELECT code FROM venue WHERE id = :v"),
                                  {"v": venue_id}).scalar()
        assert counters[(code, year)] == n
    ordered = db.session.execute(select(Appeal.registration_seq).where(
        Appeal.venue_id == venue_id, Appeal.registration_year == year)
        .order_by(Appeal.received_at, Appeal.id)).scalars().all()
    assert ordered == sorted(ordered)
    # deadlines are the calendar's (sample)
    calendar = current_calendar()
    for appeal in db.session.execute(select(Appeal).order_by(Appeal.id).limit(300)).scalars():
        registered_on, reply_due = deadlines_for(appeal.received_at.replace(tzinfo=UTC),
                                                 appeal.venue)
        assert (appeal.registered_on, appeal.reply_due) == (registered_on, reply_due)
        assert reply_due == calendar.shift(registered_on, REPLY_WORKING_DAYS)
        assert appeal.replied_on is None or appeal.replied_on >= appeal.registered_on
    # received in office hours mostly: 09:00-18:30 local is 03:00/04:00-13:30 UTC
    hours = [h.hour for h in db.session.execute(select(Appeal.received_at)).scalars()]
    assert sum(3 <= h <= 13 for h in hours) > 0.75 * N
    assert max(db.session.execute(select(Appeal.registered_on)).scalars()) <= local_today()
    from docflow.engine.core import current_engine
    versions = set(db.session.execute(select(HistoryEntry.workflow_version).distinct()).scalars())
    assert current_engine().workflow_for("appeal").version in versions

    # the index holds what the catalog itself computes, and search finds generated appeals
    appeal = db.session.execute(select(Appeal).where(Appeal.restricted.is_(False))
                                .order_by(Appeal.id.desc()).limit(1)).scalar_one()
    stored = db.session.execute(text("SELECT words FROM engine_catalog_text WHERE item_id = :i"),
                                {"i": appeal.id}).scalar()
    catalog.reindex_item(appeal)   # what the catalog itself computes for the same appeal
    assert db.session.execute(text("SELECT words FROM engine_catalog_text WHERE item_id = :i"),
                              {"i": appeal.id}).scalar() == stored
    officer = responsible_of(appeal)
    found = catalog.search(officer, q=appeal.registration_number, type="appeal")
    assert [a.id for a in found.items] == [appeal.id]
    word = appeal.subject.split()[0].strip(":")
    result = catalog.search(officer, q=word, type="appeal", facets=["state", "year"])
    assert result.total > 0 and result.facets["year"]
    assert all(word.lower() in (a.subject + " " + a.text).lower() for a in result.items)


def test_numbering_continues_and_pages_and_api_work(generated):
    app, _result = generated
    appeal = db.session.execute(select(Appeal).order_by(Appeal.received_at.desc())
                                .limit(1)).scalar_one()
    venue, year = appeal.venue, appeal.registration_year
    last = db.session.execute(select(func.max(Appeal.registration_seq)).where(
        Appeal.venue_id == venue.id, Appeal.registration_year == year)).scalar()
    registrar = db.session.execute(select(User).where(
        User.login == f"g-reg-{venue.code.lower()}")).scalar_one()
    data = IntakeSchema().load({
        "channel": "paper", "received_at": appeal.received_at.replace(tzinfo=UTC).isoformat(),
        "venue": venue.code, "body": appeal.body.code if venue.body_id is None
        else venue.body.code,
        "applicant": {"kind": "individual", "iin": None, "last_name": "Тестов",
                      "first_name": "Тест", "citizenship": "UZ", "language": "ru",
                      "phone": "+7 700 000 0000"},
        "subject": "Проверка нумерации", "text": "После сгенерированных обращений."})
    new = register_appeal(data, registrar).appeal
    db.session.commit()
    assert (new.registration_year, new.registration_seq) == (year, last + 1)

    appeal = db.session.execute(select(Appeal).where(
        Appeal.restricted.is_(False), Appeal.state.notin_(TERMINAL_STATES))
        .order_by(Appeal.id.desc()).limit(1)).scalar_one()
    officer = responsible_of(appeal)
    assert can(officer, "view", appeal)
    appeal_id, number, login = appeal.id, appeal.registration_number, officer.login
    _token_row, token = ApiToken.issue(officer)
    db.session.commit()
    client = app.test_client()
    page = client.get("/login")
    client.post("/login", data={"login": login, "password": PASSWORD,
                                "csrf_token": csrf_token(page.get_data(True))})
    worklist = client.get("/worklist")
    assert worklist.status_code == 200
    assert number in worklist.get_data(True) or client.get(
        "/worklist?scope=all").status_code == 200
    for path in ("/worklist?show=overdue", "/worklist?page=2", "/worklist?scope=all",
                 f"/appeals/{appeal_id}", "/dashboard",
                 "/search?q=" + number, "/search?f_year=2025&f_channel=egov_portal"):
        response = client.get(path)
        assert response.status_code == 200, path
    assert number in client.get(f"/search?q={number}").get_data(True)
    assert number in client.get(f"/appeals/{appeal_id}").get_data(True)
    response = client.get(f"/api/v1/appeals/{appeal_id}",
                          headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.get_json()["registration_number"] == number
    listing = client.get("/api/v1/appeals", headers={"Authorization": f"Bearer {token}"})
    assert listing.status_code == 200
