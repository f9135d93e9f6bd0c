"""Survey rounds on SQLite and PostgreSQL: the population from the appeal workflow, the share
per venue and group, the recorded seed, nobody twice in a quarter (rule and database), audit."""
from collections import Counter
from datetime import date, timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy.exc import IntegrityError

from docflow.engine.audit import AuditEntry
from docflow.engine.content import create_item
from docflow.engine.history import HistoryEntry
from docflow.extensions import db
from docflow.i18n import local_today
from docflow.surveys.models import SurveyRound, SurveyTask
from docflow.surveys.operations import SurveyError, check_round, start_round
from docflow.surveys.sampling import candidates, draw, eligible
from tests.api.test_appeals_api import IIN
from tests.surveys.conftest import this_quarter


@pytest.fixture(autouse=True)
def english():
    with force_locale("en"):
        yield


def tasks_of(survey_round) -> list[SurveyTask]:
    return db.session.execute(db.select(SurveyTask).where(
        SurveyTask.round_id == survey_round.id).order_by(SurveyTask.id)).scalars().all()


def begin(world, share, seed, venue=None) -> SurveyRound:
    start, end = this_quarter()
    return start_round(period_start=start, period_end=min(end, local_today()),
                       share_percent=share, seed=seed, venue=venue, actor=world.admin)


@pytest.fixture
def served(db_app, world):
    """CRC-AST: 12 consulted (one restricted), 5 withdrawn; RR-MLSPP: 4 consulted."""
    made = [world.serve("consulted") for _ in range(11)]
    made.append(world.serve("consulted", foreign=True))
    made += [world.serve("withdrawn") for _ in range(5)]
    made += [world.serve("consulted", venue="RR-MLSPP") for _ in range(4)]
    return made


def test_population_is_the_consulted_and_the_declined_of_the_period(served):
    start, end = this_quarter()
    people = candidates(start, end)
    assert len(people) == 21
    assert Counter(c.group for c in people) == {"consulted": 16, "refused": 5}
    assert all(c.served_on == local_today() for c in people)
    assert candidates(start - timedelta(days=400), start - timedelta(days=300)) == []
    # an appeal still open is nobody to survey
    assert {c.appeal_id for c in people} == {a.id for a in served}


def test_a_round_samples_the_share_within_each_venue_and_group(world, served):
    made = begin(world, 25, seed=11)
    db.session.commit()
    tasks = tasks_of(made)
    crc, room = served[0].venue_id, served[-1].venue_id
    # ceil(12 × 25 %) = 3, ceil(5 × 25 %) = 2, ceil(4 × 25 %) = 1
    assert Counter((t.venue_id, t.category) for t in tasks) == {
        (crc, "consulted"): 3, (crc, "refused"): 2, (room, "consulted"): 1}
    assert (made.population, made.sampled, made.seed, made.share_percent) == (21, 6, 11, 25)
    for t in tasks:
        assert t.state == "open" and t.places == t.appeal.places
        assert t.restricted == t.appeal.restricted
        assert t.language == t.appeal.applicant_language


def test_the_recorded_seed_repeats_the_draw_and_another_seed_changes_it(world, served):
    first = [t.applicant_key for t in tasks_of(begin(world, 25, seed=11))]
    db.session.rollback()  # the same population again
    again = [t.applicant_key for t in tasks_of(begin(world, 25, seed=11))]
    db.session.rollback()
    start, end = this_quarter()
    expected = [c.applicant_key for c in draw(eligible(candidates(start, end)), 25, 11)]
    other = [t.applicant_key for t in tasks_of(begin(world, 25, seed=12))]
    assert first == again == expected
    assert sorted(other) != sorted(first)


def test_nobody_is_called_twice_in_a_quarter_across_rounds(world, served):
    one = begin(world, 50, seed=1)
    db.session.commit()
    first = {t.applicant_key for t in tasks_of(one)}
    two = begin(world, 100, seed=2)
    db.session.commit()
    second = {t.applicant_key for t in tasks_of(two)}
    assert first and second and not first & second
    assert len(first) + len(second) == 21
    assert two.population == 21 - len(first)
    three = begin(world, 100, seed=3)
    assert three.population == 0 and tasks_of(three) == []


def test_an_applicant_with_two_appeals_is_one_candidate(world, db_app):
    world.serve("consulted", iin=IIN)
    world.serve("withdrawn", iin=IIN)
    world.serve("consulted")
    made = begin(world, 100, seed=1)
    assert made.population == 2 and len(tasks_of(made)) == 2


def test_the_database_refuses_a_second_task_for_the_same_applicant_in_a_quarter(world, served):
    made = begin(world, 10, seed=1)
    db.session.commit()
    taken = tasks_of(made)[0]
    with pytest.raises(IntegrityError):
        create_item(SurveyTask, title="again", places=taken.places, emit=False,
                    round_id=made.id, appeal_id=served[1].id, venue_id=taken.venue_id,
                    body_id=taken.body_id, category="consulted", served_on=local_today(),
                    quarter=taken.quarter, applicant_key=taken.applicant_key)
    db.session.rollback()


def test_a_round_for_one_venue_samples_only_there(world, served):
    room = served[-1].venue
    made = begin(world, 100, seed=1, venue=room)
    assert {t.venue_id for t in tasks_of(made)} == {room.id} and made.sampled == 4


def test_held_and_refused_appeals_count_in_their_groups(world, db_app):
    """States reached through the longer path (R26 brief, approval) are read from history."""
    held, refused, still_open = world.serve(None), world.serve(None), world.serve(None)
    for appeal, state in ((held, "held"), (refused, "refused"), (still_open, "approved")):
        db.session.add(HistoryEntry(item_id=appeal.id, transition="test", from_state="x",
                                    to_state=state, workflow_id="appeal", workflow_version="t"))
    db.session.commit()
    start, end = this_quarter()
    groups = {c.appeal_id: c.group for c in candidates(start, end)}
    assert groups == {held.id: "consulted", refused.id: "refused"}


def test_a_round_is_audited(world, served):
    made = begin(world, 10, seed=5)
    db.session.commit()
    row = db.session.execute(db.select(AuditEntry).where(
        AuditEntry.action == "survey_round")).scalar_one()
    assert row.actor_id == world.admin.id and row.detail["seed"] == 5
    assert row.detail["sampled"] == made.sampled


@pytest.mark.parametrize("start, end, share, seed, field", [
    (None, date(2026, 10, 31), 10, None, "period_start"),
    (date(2026, 10, 1), None, 10, None, "period_end"),
    (date(2026, 10, 31), date(2026, 10, 1), 10, None, "period_end"),
    (date(2026, 9, 1), date(2026, 10, 31), 10, None, "period_end"),
    (date(2026, 10, 1), date(2026, 10, 31), 0, None, "share_percent"),
    (date(2026, 10, 1), date(2026, 10, 31), 101, None, "share_percent"),
    (date(2026, 10, 1), date(2026, 10, 31), None, None, "share_percent"),
    (date(2026, 10, 1), date(2026, 10, 31), 10, -1, "seed"),
    (date(2027, 1, 1), date(2027, 1, 31), 10, None, "period_start"),
])
def test_round_parameters_are_checked_field_by_field(app, start, end, share, seed, field):
    errors = check_round(start, end, share, seed, today=date(2026, 11, 26))
    assert list(errors) == [field]
    with pytest.raises(SurveyError):
        start_round(period_start=start, period_end=end, share_percent=share, seed=seed,
                    actor=None, today=date(2026, 11, 26))
