"""Properties of the deadline arithmetic that must hold for every date the data covers."""
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from docflow.calendar import default_calendar

CAL = default_calendar()
# 20 working days either side of these bounds stay inside 2023-2027.
days = st.dates(min_value=date(2023, 2, 1), max_value=date(2027, 11, 30))
steps = st.integers(min_value=-20, max_value=20)
forward = st.integers(min_value=0, max_value=20)


@given(days, forward)
def test_counting_back_what_shift_added(d, n):
    assert CAL.working_days_between(d, CAL.shift(d, n)) == n


@given(days, days)
def test_working_days_between_is_antisymmetric(a, b):
    assert CAL.working_days_between(a, b) == -CAL.working_days_between(b, a)


@given(days, steps.filter(bool))
def test_shift_lands_on_a_working_day(d, n):
    assert CAL.is_working_day(CAL.shift(d, n))


@given(days, days, steps)
def test_shift_is_monotonic_in_the_start(a, b, n):
    a, b = min(a, b), max(a, b)
    assert CAL.shift(a, n) <= CAL.shift(b, n)


@given(days, st.integers(min_value=-20, max_value=19))
def test_shift_is_strictly_increasing_in_n(d, n):
    assert CAL.shift(d, n) < CAL.shift(d, n + 1)


@given(days, steps.filter(bool))
def test_shifting_back_returns_to_the_start_or_beyond(d, n):
    back = CAL.shift(CAL.shift(d, n), -n)
    assert (back <= d) if n > 0 else (back >= d)
    assert (back == d) == CAL.is_working_day(d)


@given(days, st.integers(min_value=1, max_value=10), st.integers(min_value=1, max_value=10),
       st.sampled_from([1, -1]))
def test_shifts_in_one_direction_compose(d, a, b, sign):
    assert CAL.shift(CAL.shift(d, sign * a), sign * b) == CAL.shift(d, sign * (a + b))


@given(days, steps.filter(bool))
def test_explanation_accounts_for_every_calendar_day(d, n):
    e = CAL.explain_shift(d, n)
    lo, hi = min(d, e.result), max(d, e.result)
    between = [lo + timedelta(days=i) for i in range(1, (hi - lo).days)]
    assert [day for day in between if not CAL.is_working_day(day)] == [s for s, _ in e.skipped]
    assert (hi - lo).days == abs(n) + len(e.skipped)


@given(days, forward.filter(bool), days)
def test_an_extra_day_off_delays_a_deadline_by_at_most_one_working_day(d, n, off):
    edited = CAL.with_overrides([{"day": off, "working": False, "reason": "closed"}])
    due = CAL.shift(d, n)
    assert due <= edited.shift(d, n) <= CAL.shift(due, 1)
    assert (edited.shift(d, n) == due) == (not d < off <= due or not CAL.is_working_day(off))
