"""The daily screens' main statements, as the application builds them, for EXPLAIN ANALYZE at scale
(bench/scale.py). Each is built by the same functions the pages call."""
from __future__ import annotations

from sqlalchemy import func, select

from ..engine import catalog
from ..engine.security import visible_filter
from ..extensions import db
from ..i18n import local_today
from ..reception.models import Appeal
from ..reception.queries import overdue_clause, worklist_page, worklist_query
from ..reception.search import FACETS
from ..sorting import Sort


def statements(user) -> list[tuple[str, object]]:
    from ..reception.views import PAGE_SIZE, SORTS

    today = local_today()
    mine, filters = worklist_query(user, "mine", today, 3)
    everyone, all_filters = worklist_query(user, "all", today, 3)
    due = Sort("due")
    out = [  # the worklist's counters and first page: one statement (the page's own)
        ("worklist", worklist_page(mine, filters, "all", SORTS, due, PAGE_SIZE, 0)[0]),
        ("worklist_all", worklist_page(everyone, all_filters, "all", SORTS, due, PAGE_SIZE,
                                       0)[0]),
        ("overdue_count", select(func.count()).select_from(Appeal).where(
            visible_filter(user, "view", "appeal"), overdue_clause(today))),
    ]
    query = catalog.prepare(q="очередь", type="appeal")
    facets = list(FACETS)
    # what a search runs: one scan for the total, the facets and the page's ids ...
    out.append(("search_total_and_facets", catalog.counts_statement(user, query, facets,
                                                                     page=(0, 20))))
    # ... and, past COUNT_LIMIT matches, the page by itself
    out.append(("search_page", catalog.page_statement(user, query)))
    # a facet's own filter set: the matches without it are counted too, in the same statement
    filtered = catalog.prepare(q="очередь", type="appeal", filters={"year": [2025]},
                               sort="-registered")
    out.append(("search_filtered_page", catalog.page_statement(user, filtered)))
    out.append(("search_filtered_counts", catalog.counts_statement(user, filtered, facets,
                                                                   page=(0, 20))))
    overdue = catalog.prepare(type="appeal", filters={"overdue": ["1"]})
    out.append(("dashboard_overdue_count", catalog.count_statement(user, overdue)))
    some = db.session.execute(select(Appeal.id).where(visible_filter(user, "view", "appeal"))
                              .limit(1)).scalar()
    from ..reception.case import build_case_statement  # the case view's first statement
    out.append(("case_load", build_case_statement(some)))
    return out
