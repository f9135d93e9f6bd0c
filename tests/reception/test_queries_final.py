"""The worklist and the overdue counts treat exactly the workflow's final states as finished."""
from datetime import date

from docflow.engine import current_engine
from docflow.reception.queries import TERMINAL_STATES, overdue_clause


def test_terminal_states_are_the_workflows_final_states(app):
    assert set(TERMINAL_STATES) == current_engine().workflow_for("appeal").final_states


def test_a_redirected_appeal_is_never_overdue(app):
    """R2-1: a redirected appeal is the competent body's now; its old reply due date is no
    longer this body's deadline (R29)."""
    sql = str(overdue_clause(date(2026, 11, 26)).compile(compile_kwargs={"literal_binds": True}))
    assert "'redirected'" in sql and "'in_review'" not in sql
