"""Questions asked of many appeals at once, as SQL (lists, counters, exports) — one place."""
from collections import OrderedDict
from datetime import date
from threading import Lock

from ..calendar.store import current_calendar
from ..i18n import local_today
from .models import Appeal

# The appeal workflow's final states (no transition leaves them): nothing is owed any more, so no
# deadline is overdue there. A test pins this to workflows/appeal.toml's ``final_states``.
TERMINAL_STATES = ("consulted", "withdrawn", "redirected", "closed")
REPLY_WORKING_DAYS = 15  # R29


def overdue_clause(today: date | None = None):
    """R29: no reply sent and the reply due date has passed, in a state still open."""
    today = today or local_today()
    return (Appeal.replied_on.is_(None)) & (Appeal.reply_due < today) & \
        Appeal.state.notin_(TERMINAL_STATES)


def late_reply_clause():
    """R29: the reply was sent after its due date (counted as late wherever replies are)."""
    return Appeal.replied_on.is_not(None) & (Appeal.replied_on > Appeal.reply_due)


def deadlines(appeal: Appeal) -> list[dict]:
    """Every deadline explains itself: start, working days counted, days skipped (DESIGN §4)."""
    explained = current_calendar().explain_shift(appeal.registered_on, REPLY_WORKING_DAYS)
    # an extension or suspension (receptions.change_reply_due) moves reply_due past the rule's
    return [{"name": "reply_due", "due": appeal.reply_due.isoformat(),
             "moved": appeal.reply_due != explained.result,
             "start": explained.start.isoformat(), "working_days": explained.working_days,
             "skipped": [{"date": d.isoformat(), "reason": r} for d, r in explained.skipped],
             "overdue": appeal.replied_on is None and appeal.state not in TERMINAL_STATES
             and appeal.reply_due < local_today(),
             "late": appeal.replied_on is not None and appeal.replied_on > appeal.reply_due}]


def brief_due_soon_clause(today: date, soon_working_days: int):
    """R26: the brief for a proposed reception is due (reception date − 5 working days) within
    the next ``soon_working_days`` working days, and it is not with the head yet."""
    from sqlalchemy import exists, literal, select

    from ..schedules.models import ScheduleEntry
    from .briefs import BRIEF_WORKING_DAYS, BriefProposal

    # shift(reception, -5) <= shift(today, n)  <=>  reception <= shift(today, n + 5)
    limit = current_calendar().shift(today, soon_working_days + BRIEF_WORKING_DAYS)
    return Appeal.state.in_(("in_review", "collecting")) & exists(
        select(literal(1)).select_from(BriefProposal)
        .join(ScheduleEntry, ScheduleEntry.id == BriefProposal.entry_id)
        .where(BriefProposal.appeal_id == Appeal.id, ScheduleEntry.date <= limit))


def worklist_query(user, scope: str, today: date, soon_working_days: int):
    """The worklist (R26, R29, R31): the open appeals ``user`` may view (``scope`` "mine": those
    they are responsible for), and its counters, each also a filter: (select, {name: clause})."""
    from sqlalchemy import select

    from ..engine.security import visible_filter

    # Appeal.is_open is the database's own copy of the second condition (models.py): it lets a
    # responsible officer's open appeals be read from one index range
    mine = select(Appeal).where(visible_filter(user, "view", "appeal"),
                                Appeal.state.notin_(TERMINAL_STATES), Appeal.is_open)
    if scope == "mine":
        mine = mine.where(Appeal.responsible_id == user.id)
    soon = current_calendar().shift(today, soon_working_days)
    late = overdue_clause(today)
    filters = {
        "new": Appeal.state == "registered",
        "in_review": Appeal.state == "in_review",
        "overdue": late,
        "due_soon": ~late & (Appeal.reply_due <= soon),
        "brief_due_soon": brief_due_soon_clause(today, soon_working_days),
        "collecting": Appeal.state == "collecting",
        "late": late_reply_clause(),
    }
    return mine, filters


#: What a worklist page shows of each appeal (and every column it may be sorted by): row tuples,
#: not ORM objects, so a page loads no relationship and no appeal text.
PAGE_COLUMNS = (Appeal.id, Appeal.registration_number, Appeal.last_name, Appeal.first_name,
                Appeal.patronymic, Appeal.subject, Appeal.state, Appeal.registered_on,
                Appeal.reply_due)


def worklist_page(mine, filters: dict, view: str, sorts: dict, sort, limit: int, offset: int):
    """The worklist's counters AND one page of its rows in ONE statement, over one pass of the
    user's open appeals: ``(statement, page_columns)``.

    ``mine`` is :func:`worklist_query`'s select, ``filters`` its counters' clauses; the page
    shows the rows of filter ``view`` (all when ``view`` is not a filter) in the order ``sort``
    (a :class:`~docflow.sorting.Sort` over ``sorts``, whose columns are :data:`PAGE_COLUMNS`),
    then by id. The user's open appeals are found once (a CTE with each counter's clause as a
    0/1 column); the counters sum it and the page is its filtered, ordered slice, joined to the
    counters' single row (a LEFT JOIN: an empty page still returns the counters, with NULL
    row columns). Each row: ``count, *one sum per filter, *PAGE_COLUMNS``."""
    from sqlalchemy import case, func, select, true

    from ..sorting import order_by

    flags = [case((clause, 1), else_=0).label(f"f_{name}") for name, clause in filters.items()]
    base = mine.with_only_columns(*PAGE_COLUMNS, *flags).order_by(None).cte("worklist_open")
    counters = select(func.count(base.c.id).label("n_all"),
                      *(func.sum(base.c[f"f_{name}"]).label(f"n_{name}") for name in filters)
                      ).subquery("worklist_counters")
    columns = [base.c[c.key] for c in PAGE_COLUMNS]
    page = select(*columns)
    if view in filters:
        page = page.where(base.c[f"f_{view}"] == 1)

    def on(rows, mapping):
        return {key: ([rows.c[c.key] for c in cols] if isinstance(cols, (list, tuple))
                      else rows.c[cols.key]) for key, cols in mapping.items()}

    page = page.order_by(*order_by(sort, on(base, sorts), base.c.id)).limit(limit).offset(offset)
    page = page.subquery("worklist_page")
    statement = (select(*counters.c, *page.c)
                 .select_from(counters.outerjoin(page, true()))
                 .order_by(*order_by(sort, on(page, sorts), page.c.id)))
    return statement, [c.key for c in PAGE_COLUMNS]


#: Worklist statements already built, by everything they are built from (see worklist_statement).
_STATEMENTS: OrderedDict = OrderedDict()
_STATEMENTS_LOCK = Lock()
MAX_STATEMENTS = 512


def worklist_statement(user, scope: str, view: str, sort, sorts: dict, today: date,
                       soon_working_days: int, limit: int, offset: int):
    """:func:`worklist_page` of :func:`worklist_query`, built once and then reused:
    ``(statement, page_columns, counter_names)``.

    A statement is a function of the user's principal (roles, clearances, groups), their local
    grants (read once per transaction), the engine's workflows, the calendar in force (a new
    object when an administrator changes a day), the day, the scope, the filter, the order and
    the page; all of them make the key, so a change of any gives a new statement. Reusing the
    object saves building the expressions and SQLAlchemy's cache key for them on every request
    (a few milliseconds of CPU)."""
    from ..engine.core import current_engine
    from ..engine.security import local_grants, principal_for

    principal = principal_for(user)
    key = (current_engine(), principal, tuple(sorted(local_grants(principal).items())), user.id,
           scope, view, sort, id(sorts), today, soon_working_days, current_calendar(), limit,
           offset)
    with _STATEMENTS_LOCK:
        built = _STATEMENTS.get(key)
        if built is not None:
            _STATEMENTS.move_to_end(key)
            return built
    mine, filters = worklist_query(user, scope, today, soon_working_days)
    statement, columns = worklist_page(mine, filters, view, sorts, sort, limit, offset)
    built = (statement, columns, ("all", *filters))
    with _STATEMENTS_LOCK:
        _STATEMENTS[key] = built
        while len(_STATEMENTS) > MAX_STATEMENTS:
            _STATEMENTS.popitem(last=False)
    return built


#: PostgreSQL text of the statements worklist_statement built, by statement (see run_worklist).
_SENT: OrderedDict = OrderedDict()


def run_worklist(statement) -> list:
    """The rows of a :func:`worklist_statement` statement (its counters and its page).

    On PostgreSQL the statement is compiled once — with everything in it fixed, its parameters
    are too — and its text and parameters are sent as they are: the ORM's execution (its
    context, the compiled-cache lookup, the result's processing) cost about a millisecond of
    CPU per worklist, more than the statement's own work in the app. A statement with a column
    type that converts values on the way in, and any other database, go through the session
    as usual (SQLite, for one, needs its dates read back into dates)."""
    from ..extensions import db

    connection = db.session.connection()
    dialect = connection.dialect
    if dialect.name != "postgresql":
        return db.session.execute(statement).all()
    with _STATEMENTS_LOCK:
        sent = _SENT.get(id(statement))
    if sent is None or sent[0] is not statement:  # (the statement is held: its id stays its own)
        compiled = statement.compile(dialect=dialect,
                                     compile_kwargs={"render_postcompile": True})
        if compiled._bind_processors:
            sent = (statement, None, None)
        else:
            sent = (statement, str(compiled), compiled.construct_params())
        with _STATEMENTS_LOCK:
            _SENT[id(statement)] = sent
            while len(_SENT) > MAX_STATEMENTS:
                _SENT.popitem(last=False)
    if sent[1] is None:
        return db.session.execute(statement).all()
    return connection.exec_driver_sql(sent[1], sent[2]).all()
