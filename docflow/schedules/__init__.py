"""Monthly reception schedules (R7-1, R8 and the appendix form): prepared by venue staff,
approved by the Head of the Office of the Government, published in Kazakh and Russian.

A ``Schedule`` (``models.py``) is an engine Item at the place ``venue:<id>`` (a reception room's
also at ``body:<id>`` of its body) with the workflow ``workflows/schedule.toml``:
draft -> submitted -> approved -> published, and superseded when a newer version of the same
venue and month is published. A change after publication is a new version (``number`` 2, 3...);
entries copied into it keep their ``key``.

Interface for case work (placing approved appeals on slots, R28/R29)::

    from docflow.schedules import (published_entries, entry_slots, affected_by_change,
                                   moved_or_removed)

    published_entries(venue_id, *, official_id=None, body_id=None, date_from=None)
        -> list[ScheduleEntry]   # of the currently published versions, by date and start
    entry_slots(entry) -> list[datetime]
        # aware start times in the venue's zone: ``capacity`` of them, ``slot_minutes`` apart
    affected_by_change(old_entry, new_entry | None) -> bool
        # True when an applicant placed on a slot of old_entry needs a new reply: the entry is
        # gone, its official or venue changed, or one of its slot times no longer exists
    moved_or_removed(schedule) -> list[Change]
        # for a republished version: Change(kind "moved"|"removed", key, old, new) for each entry
        # of the replaced version that is affected (matched by key); list the applicants placed
        # on ``old`` (store the entry's ``key`` and the slot's start with a placement)

Other public functions: ``r71_gaps(month, including=None) -> list[Official]`` (R7-1),
``diff(old, new)`` / ``changes_since_previous(schedule)`` (added / moved / removed),
``sequences(schedule)`` (ICS SEQUENCE per key) and the operations in ``operations.py``
(create_schedule, add_entry, update_entry, remove_entry, submit, return_for_corrections,
approve, publish, new_version). Publishing enqueues ``docflow.schedules.jobs.render_poster``.
"""
from pathlib import Path

from .models import Schedule, ScheduleEntry
from .queries import (
                      Change,
                      affected_by_change,
                      changes_since_previous,
                      diff,
                      entry_slots,
                      moved_or_removed,
                      published_entries,
                      published_schedule,
                      r71_gaps,
                      sequences,
)

WORKFLOWS = Path(__file__).with_name("workflows")

__all__ = ["Change", "Schedule", "ScheduleEntry", "affected_by_change", "changes_since_previous",
           "diff", "entry_slots", "init_app", "moved_or_removed", "published_entries",
           "published_schedule", "r71_gaps", "sequences"]


def init_app(app) -> None:
    from ..engine import engine
    from . import conditions, operations  # noqa: F401  (named conditions; the transition listener)
    from .blueprint import bp, public_bp
    from .converters import MonthConverter

    if "schedule" not in engine.workflows:
        engine.register_workflow(WORKFLOWS / "schedule.toml")
        engine.register_type("schedule", model=Schedule, workflow="schedule",
                             title="Reception schedule")
    app.url_map.converters.setdefault("yearmonth", MonthConverter)
    app.register_blueprint(bp)
    app.register_blueprint(public_bp)
    app.jinja_env.globals["schedule_state_title"] = state_title


def state_title(schedule) -> str:
    """The English title of a schedule's state from the workflow data (templates translate it)."""
    from ..engine.core import current_engine

    state = current_engine().workflow_for(schedule).states.get(schedule.state)
    return state.title if state else schedule.state
