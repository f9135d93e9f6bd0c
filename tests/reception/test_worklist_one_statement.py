"""The worklist at scale (issue 11): its counters and its page come from ONE statement over one
pass of the user's open appeals, and that statement gives exactly what the plain queries give —
the same rows in the same order on every page, the same counters, nothing restricted to an
uncleared officer. ``appeal.is_open`` (the database's copy of "the state is not final" that the
statement reads through its index) follows the state whatever writes it."""
from datetime import date

import pytest
from flask_babel import gettext
from markupsafe import Markup
from sqlalchemy import event, func, select, update
from werkzeug.datastructures import MultiDict

from docflow.auth.models import User
from docflow.engine.content import Item
from docflow.engine.security import can
from docflow.engine.workflow import transition
from docflow.extensions import db
from docflow.i18n import format_day, local_today
from docflow.reception.intake import IntakeSchema
from docflow.reception.models import Appeal
from docflow.reception.operations import register_appeal
from docflow.reception.queries import TERMINAL_STATES, run_worklist, worklist_statement
from docflow.reception.views import (
    PAGE_SIZE,
    SOON_WORKING_DAYS,
    SORTS,
    worklist_listing,
    worklist_rows,
)
from docflow.scale.generate import generate
from docflow.sorting import parse_sort
from tests.api.test_appeals_api import body
from tests.conftest import own_database

N = 400
VIEWS = ["all", "new", "in_review", "overdue", "due_soon", "brief_due_soon", "collecting", "late"]
SORT_ARGS = [{}, {"sort": "-due"}, {"sort": "registered", "dir": "desc"}, {"sort": "applicant"},
             {"sort": "-number"}, {"sort": "subject"}, {"sort": "-state"}]


@pytest.fixture
def generated(db_app):
    generate(N, seed=5)
    db.session.commit()
    return db_app


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def generated_once(request, tmp_path_factory):
    """The same generated appeals in a database of the module's own, made once per database for
    the tests that only read them (the ones that change data take ``generated``)."""
    with own_database(request, request.param, tmp_path_factory.mktemp("worklist")) as app:
        generate(N, seed=5)
        db.session.commit()
        yield app


def _officers(limit=4) -> list[User]:
    """Responsible officers with the most open appeals first (so pages have rows)."""
    return db.session.execute(
        select(User).join(Appeal, Appeal.responsible_id == User.id)
        .where(Appeal.state.notin_(TERMINAL_STATES), User.login.like("g-resp-%"))
        .group_by(User.id).order_by(func.count(Appeal.id).desc(), User.id).limit(limit)
    ).scalars().all()


def _one_statement(user, args: dict, size: int, page: int = 1):
    """The page's way: worklist_statement (built once, then reused)."""
    args = MultiDict(args)
    statement, keys, names = worklist_statement(
        user, args.get("scope", "mine"), args.get("show", "all"), parse_sort(args, SORTS, "due"),
        SORTS, local_today(), SOON_WORKING_DAYS, size, (page - 1) * size)
    result = run_worklist(statement)  # on PostgreSQL: the compiled text, sent as it is
    assert [tuple(r) for r in result] == [tuple(r) for r in db.session.execute(statement).all()]
    width = len(names)
    counters = dict(zip(names, [int(c or 0) for c in result[0][:width]], strict=True))
    rows = [dict(zip(keys, r[width:], strict=True)) for r in result if r[width] is not None]
    return counters, rows


def _plain(user, args: dict):
    """The same list the plain way: the ORM select the export uses, and a COUNT per counter."""
    mine, filters, _view, _sort, ordered = worklist_listing(user, MultiDict(args))
    counters = {"all": db.session.execute(
        select(func.count()).select_from(mine.subquery())).scalar()}
    for name, clause in filters.items():
        counters[name] = db.session.execute(
            select(func.count()).select_from(mine.where(clause).subquery())).scalar()
    return counters, [a.id for a in db.session.execute(ordered).scalars()]


def test_counters_and_every_page_equal_the_plain_queries(generated_once):
    checked_rows = 0
    for user in _officers():
        for scope in ("mine", "all"):
            for view in VIEWS:
                for sort_args in SORT_ARGS if view in ("all", "overdue") else SORT_ARGS[:2]:
                    args = {"scope": scope, "show": view, **sort_args}
                    counters, expected = _plain(user, args)
                    seen, page = [], 1
                    while True:  # small pages: every page boundary is crossed
                        got_counters, rows = _one_statement(user, args, 7, page)
                        assert got_counters == counters, args
                        seen += [r["id"] for r in rows]
                        if len(rows) < 7:
                            break
                        page += 1
                    assert seen == expected, (user.login, args)
                    assert len(seen) == counters[view if view in counters else "all"]
                    checked_rows += len(seen)
    assert checked_rows > 100  # the data gives the comparison something to compare


def test_a_page_past_the_end_still_has_its_counters(generated_once):
    user = _officers(1)[0]
    counters, expected = _plain(user, {})
    got, rows = _one_statement(user, {}, PAGE_SIZE, page=1000)
    assert rows == [] and got == counters and counters["all"] == len(expected) > 0


def test_restricted_appeals_stay_invisible_to_an_uncleared_officer(generated):
    """R11: the officer's restricted appeals are neither rows nor counted; clearance shows them."""
    user = _officers(1)[0]
    restricted = db.session.execute(
        select(Appeal).where(Appeal.responsible_id == user.id, Appeal.restricted.is_(True),
                             Appeal.state.notin_(TERMINAL_STATES))).scalars().all()
    if not restricted:  # make one of the officer's open appeals restricted
        one = db.session.execute(select(Appeal).where(
            Appeal.responsible_id == user.id,
            Appeal.state.notin_(TERMINAL_STATES))).scalars().first()
        one.restricted = True
        db.session.commit()
        restricted = [one]
    ids = {a.id for a in restricted}
    assert not any(can(user, "view", a) for a in restricted)
    counters, rows = _one_statement(user, {}, 10_000)
    assert ids.isdisjoint(r["id"] for r in rows)
    open_ = db.session.execute(select(Appeal).where(
        Appeal.responsible_id == user.id, Appeal.state.notin_(TERMINAL_STATES))).scalars().all()
    assert counters["all"] == sum(1 for a in open_ if can(user, "view", a)) == len(rows)


def _mirror_ok() -> bool:
    rows = db.session.execute(select(Appeal.id, Appeal.state, Appeal.is_open)).all()
    assert rows
    return all(bool(is_open) == (state not in TERMINAL_STATES) for _id, state, is_open in rows)


def test_is_open_follows_the_state_whatever_writes_it(db_app):
    generate(80, seed=3)  # bulk rows (COPY / executemany)
    db.session.commit()
    assert _mirror_ok()
    appeal = db.session.execute(select(Appeal).where(
        Appeal.state.in_(("registered", "in_review", "collecting", "brief_ready", "approved",
                          "notified")), Appeal.restricted.is_(False),
        Appeal.responsible_id.is_not(None)).order_by(Appeal.id)).scalars().first()
    assert db.session.execute(select(Appeal.is_open).where(Appeal.id == appeal.id)).scalar()
    officer = db.session.get(User, appeal.responsible_id)
    transition(appeal, "withdraw", officer, comment="the applicant withdrew")  # the engine
    db.session.commit()
    assert appeal.state == "withdrawn"
    assert not db.session.execute(select(Appeal.is_open).where(Appeal.id == appeal.id)).scalar()
    # a plain UPDATE of the state (a repair script, a test helper) is followed as well
    db.session.execute(update(Item).where(Item.id == appeal.id).values(state="in_review"))
    db.session.commit()
    assert db.session.execute(select(Appeal.is_open).where(Appeal.id == appeal.id)).scalar()
    closed = db.session.execute(select(Item.id).where(
        Item.type == "appeal", Item.state.in_(TERMINAL_STATES))).scalars().all()
    db.session.execute(update(Item).where(Item.id.in_(closed[:5])).values(state="registered"))
    db.session.execute(update(Item).where(Item.type == "appeal", Item.state == "collecting")
                       .values(state="closed"))
    db.session.commit()
    assert _mirror_ok()


def test_the_worklist_runs_one_statement_on_the_appeals(client, demo, login):
    """Counters and page together; what else a page reads (the user, the grants, the calendar,
    the inbox count) is per request, not per row."""
    login("demo-responsible", "demo-pass-2026")
    for i in range(12):
        appeal = register_appeal(IntakeSchema().load(body(external_id=f"W{i}")), None).appeal
    db.session.commit()
    assert db.session.execute(select(Appeal.is_open).where(Appeal.id == appeal.id)).scalar()
    seen = []

    def listener(conn, cursor, statement, *args):
        seen.append(statement)
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        for url in ("/worklist", "/worklist?show=overdue&sort=-registered", "/worklist?page=2"):
            seen.clear()
            assert client.get(url).status_code == 200
            on_appeals = [s for s in seen if "appeal" in s and "FROM engine_item JOIN appeal" in s]
            assert len(on_appeals) == 1, on_appeals
            assert "engine_item_place" not in " ".join(s for s in seen if s not in on_appeals)
            assert len(seen) <= 6, seen
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)


def test_rows_are_printed_as_the_calendar_and_the_locale_say(generated_once):
    from docflow.calendar.store import current_calendar

    user = _officers(1)[0]
    with generated_once.test_request_context("/worklist?lang=ru"):
        generated_once.preprocess_request()
        _counters, raw = _one_statement(user, {}, PAGE_SIZE)
        rows = worklist_rows(raw, date(2026, 3, 2))
        for r, shown in zip(raw, rows, strict=True):
            n = current_calendar().working_days_between(date(2026, 3, 2), r["reply_due"])
            assert shown.overdue == (n < 0) and str(abs(n)) in shown.due_text
            assert shown.due == format_day(r["reply_due"])
            assert shown.href == f"/appeals/{r['id']}"
            assert shown.select_label == Markup(gettext("Select %(number)s")) % {
                "number": r["registration_number"]}
            assert shown.registered == format_day(r["registered_on"])


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_format_day_is_flask_babels_format_date(app, lang):
    from flask_babel import force_locale, format_date

    with app.test_request_context(), force_locale(lang):
        for day in (date(2024, 2, 29), date(2026, 11, 26), date(2023, 1, 1)):
            for fmt in ("medium", "short", "long"):
                assert format_day(day, fmt) == format_day(day, fmt) == format_date(day, fmt)


def test_a_built_statement_is_reused_until_what_it_is_built_from_changes(generated):
    from docflow.calendar.store import set_override
    from docflow.engine.security import grant
    from docflow.sorting import Sort

    user, other = _officers(2)
    today = date.today()

    def built(who=user, day=today, view="all"):
        with generated.test_request_context():  # the calendar is read once per request
            return worklist_statement(who, "mine", view, Sort("due"), SORTS, day, 3, 50, 0)[0]

    first = built()
    assert built() is first
    assert built(view="overdue") is not first and built(other) is not first
    assert built(day=date(2026, 1, 5)) is not first
    # a local grant (a new principal's reach) and a calendar change both build anew
    appeal = db.session.execute(select(Appeal).where(Appeal.responsible_id == other.id)
                                ).scalars().first()
    grant(appeal, f"user:{user.id}", "helper", None)
    db.session.commit()
    granted = built()
    assert granted is not first and built() is granted
    set_override(date(2026, 12, 31), False, "Decree of the Government (test)")
    db.session.commit()
    assert built() is not granted
    # and a reused statement still gives the plain queries' rows
    counters, expected = _plain(user, {})
    for _ in range(2):
        got, rows = _one_statement(user, {}, 10_000)
        assert got == counters and [r["id"] for r in rows] == expected
