"""R38 sampling rules as plain functions: share and rounding, strata, the seed, one call a
quarter per applicant, quarters and applicant keys."""
import random
from collections import Counter
from datetime import date

import pytest

from docflow.surveys.sampling import (
    Candidate,
    applicant_key,
    draw,
    eligible,
    quarter_bounds,
    quarter_of,
    sample_size,
    strata,
)


def population(sizes: dict[tuple[int, str], int], start_id: int = 1) -> list[Candidate]:
    """Candidates by (venue, group), each a distinct applicant."""
    out, n = [], start_id
    for (venue, group), size in sizes.items():
        for _ in range(size):
            out.append(Candidate(n, venue, 100 + venue, group, date(2026, 11, 2),
                                 f"iin:{n:012d}"))
            n += 1
    return out


SIZES = {(1, "consulted"): 250, (1, "refused"): 37, (2, "consulted"): 9, (2, "refused"): 0,
         (3, "refused"): 1}


@pytest.mark.parametrize("n, share, expected", [
    (0, 10, 0), (1, 10, 1), (9, 10, 1), (10, 10, 1), (11, 10, 2), (30, 10, 3), (70, 10, 7),
    (250, 10, 25), (37, 10, 4), (7, 100, 7), (7, 50, 4), (5, 0, 0), (3, 1, 1),
])
def test_sample_size_rounds_up_in_integers(n, share, expected):
    assert sample_size(n, share) == expected


def test_the_share_is_applied_within_each_venue_and_group():
    people = population(SIZES)
    picked = draw(people, 10, seed=2026)
    by_stratum = Counter((c.venue_id, c.group) for c in picked)
    assert by_stratum == {(1, "consulted"): 25, (1, "refused"): 4, (2, "consulted"): 1,
                          (3, "refused"): 1}
    assert len(set(picked)) == len(picked) and set(picked) <= set(people)


def test_same_seed_and_population_give_the_same_sample_whatever_the_input_order():
    people = population(SIZES)
    shuffled = people[:]
    random.Random(1).shuffle(shuffled)
    assert draw(people, 10, seed=77) == draw(shuffled, 10, seed=77)


def test_a_different_seed_gives_a_different_sample():
    people = population(SIZES)
    samples = {tuple(c.appeal_id for c in draw(people, 10, seed=s)) for s in (1, 2, 3)}
    assert len(samples) == 3


def test_a_stratum_sample_does_not_depend_on_the_other_strata():
    alone = draw(population({(1, "consulted"): 250}), 10, seed=5)
    together = [c for c in draw(population(SIZES), 10, seed=5)
                if (c.venue_id, c.group) == (1, "consulted")]
    assert alone == together


def test_strata_are_sorted_by_a_stable_key():
    people = population({(2, "refused"): 3, (1, "consulted"): 3})
    groups = strata(reversed(people))
    assert list(groups) == [(1, "consulted"), (2, "refused")]
    assert [c.appeal_id for c in groups[(1, "consulted")]] == [4, 5, 6]


def test_eligible_counts_an_applicant_once_and_leaves_out_those_already_called():
    a1 = Candidate(1, 1, 101, "refused", date(2026, 11, 5), "iin:A")
    a2 = Candidate(2, 2, 101, "consulted", date(2026, 10, 5), "iin:A")  # earlier service
    b = Candidate(3, 1, 101, "consulted", date(2026, 10, 7), "phone:77011234567")
    c = Candidate(4, 1, 101, "consulted", date(2026, 10, 8), "iin:C")
    assert eligible([a1, a2, b, c], excluded_keys={"iin:C"}) == [b, a2]


@pytest.mark.parametrize("iin, bin_, phone, key", [
    ("850521300124", None, "+77011234567", "iin:850521300124"),
    (None, "990440000015", "+77011234567", "bin:990440000015"),
    (None, None, "8 (701) 123-45-67", "phone:77011234567"),
    (None, None, "+7 701 123 45 67", "phone:77011234567"),
    (None, None, "701 123 45 67", "phone:77011234567"),
    (None, None, None, None),
    (None, None, "—", None),
])
def test_applicant_key_is_iin_else_bin_else_phone(iin, bin_, phone, key):
    assert applicant_key(iin, bin_, phone) == key


@pytest.mark.parametrize("day, quarter, start, end", [
    (date(2026, 1, 1), "2026-Q1", date(2026, 1, 1), date(2026, 3, 31)),
    (date(2026, 6, 30), "2026-Q2", date(2026, 4, 1), date(2026, 6, 30)),
    (date(2026, 8, 15), "2026-Q3", date(2026, 7, 1), date(2026, 9, 30)),
    (date(2026, 11, 26), "2026-Q4", date(2026, 10, 1), date(2026, 12, 31)),
])
def test_quarters(day, quarter, start, end):
    assert quarter_of(day) == quarter
    assert quarter_bounds(day) == (start, end)
