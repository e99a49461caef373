"""The deferred-work capacity rule of docs/references.md on hand-worked examples and a brute-force check."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safetyops.errors import InvalidInput
from safetyops.planning.backlog import least_capacity, plan_backlog, schedule


def test_reference_example_300_375_350_deadline_2() -> None:
    # windows: 150, 187.5, 175 (single), 225, 241.67 (pairs), 256.25 (all three); mean 341.67 dominates
    assert least_capacity([300, 375, 350], 2) == pytest.approx(1025 / 3)
    plan = plan_backlog([300, 375, 350], 2)
    assert plan.late == 0
    assert plan.processed.sum() == pytest.approx(1025)
    assert plan.backlog[-1] == pytest.approx(0)


def test_window_term_dominates_with_a_quiet_tail() -> None:
    # a burst of 900 in slot 2 then nothing: window [1..1] = 900 / 3 = 300 beats [0..1] = 1000 / 4 = 250
    # and the mean 1000 / 5 = 200
    assert least_capacity([100, 900, 0, 0, 0], 3) == pytest.approx(300)
    assert schedule([100, 900, 0, 0, 0], 3, 299.0).late > 0


def test_deadline_one_is_the_peak() -> None:
    assert least_capacity([5, 40, 10], 1) == pytest.approx(40)
    assert schedule([5, 40, 10], 1, 39.0).late == pytest.approx(1)


def _brute(work: list[float], d: int) -> float:
    n = len(work)
    best = sum(work) / n
    for u in range(n):
        for s in range(u, n):
            best = max(best, sum(work[u : s + 1]) / (s - u + d))
    return best


@settings(max_examples=60, deadline=None)
@given(
    work=st.lists(st.floats(0, 1000, allow_nan=False), min_size=1, max_size=40),
    deadline=st.integers(1, 10),
)
def test_matches_brute_force_and_meets_deadlines(work: list[float], deadline: int) -> None:
    cap = least_capacity(work, deadline)
    assert cap == pytest.approx(_brute(work, deadline), rel=1e-12, abs=1e-12)
    plan = plan_backlog(work, deadline)
    assert plan.late == 0
    assert plan.processed.sum() == pytest.approx(sum(work), rel=1e-9, abs=1e-9)
    windows_bind = cap > np.mean(work) * (1 + 1e-6) and cap > 1e-3
    if windows_bind:  # the rule is tight: any less capacity misses a deadline within the horizon
        assert schedule(work, deadline, cap * (1 - 1e-6)).late > 0


@pytest.mark.parametrize(
    ("work", "deadline", "field"),
    [([], 2, "work"), ([1, -2], 2, "work"), ([1, 2], 0, "deadline"), ([1, float("nan")], 1, "work")],
)
def test_bad_input_named(work: list[float], deadline: int, field: str) -> None:
    with pytest.raises(InvalidInput) as info:
        least_capacity(work, deadline)
    assert info.value.problems[0].field == field
