"""Manpower formulas on hand-computed cases, vectorised use, and refusal of impossible parameters."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from safetyops.errors import InvalidInput
from safetyops.planning import workload as wl


def test_workload_hours_hand_case() -> None:
    # 10,000 items × overlap 3 × (1 + 5 % gold) × 30 s = 945,000 s; QA 10 % × 10,000 × 60 s = 60,000 s
    hours = wl.workload_hours(10_000, 30, overlap=3, gold_rate=0.05, qa_rate=0.10, review_time_s=60)
    assert hours == pytest.approx(1_005_000 / 3600)


def test_productive_hours_and_fte_hand_case() -> None:
    # 42 days × 8 h × (1 − 0.25) × 0.85 = 214.2 h
    prod = wl.productive_hours_per_fte(42, 8, 0.25, 0.85)
    assert prod == pytest.approx(214.2)
    assert wl.fte_required(1_005_000 / 3600, prod) == pytest.approx(1_005_000 / 3600 / 214.2)
    assert wl.fte_required(0, prod) == 0


def test_vectorised_broadcast() -> None:
    volume = np.array([[1000.0], [2000.0]])  # projects × periods
    hours = wl.workload_hours(volume, np.array([20.0, 40.0]), overlap=2)
    assert isinstance(hours, np.ndarray)
    assert hours.shape == (2, 2)
    assert hours[1, 1] == pytest.approx(2000 * 2 * 40 / 3600)


def test_ramp_up_effective_fte() -> None:
    # 10 new hires, ramp 25 %, 50 %, 75 % then full; over 4 weeks: mean(0.25, 0.5, 0.75, 1) = 0.625
    assert wl.cohort_effective_fte(10, [0.25, 0.5, 0.75], 4) == pytest.approx(6.25)
    # already two weeks in: 0.75, 1, 1, 1 -> 0.9375
    assert wl.cohort_effective_fte(10, [0.25, 0.5, 0.75], 4, start_tenure_weeks=2) == pytest.approx(9.375)
    assert wl.cohort_effective_fte(10, [], 3) == pytest.approx(10)


def test_attrition() -> None:
    assert wl.retained(100, 0.05, 2) == pytest.approx(100 * 0.95**2)
    assert wl.retained(100, 0.0, 6) == 100
    # fully ramped cohort losing 5 % a month, one week: survival at mid-week
    expected = 10 * 0.95 ** (0.5 / (52 / 12))
    assert wl.cohort_effective_fte(10, [], 1, monthly_attrition=0.05) == pytest.approx(expected)


def test_start_hiring_by() -> None:
    got = wl.start_hiring_by(date(2026, 3, 1), timedelta(days=21), timedelta(days=14))
    assert got == date(2026, 1, 25)


def test_gap_against_roster() -> None:
    g = wl.staffing_gap(np.array([12.5, 8.0]), np.array([10.0, 9.0]))
    np.testing.assert_allclose(g.gap, [2.5, -1.0])
    np.testing.assert_allclose(g.shortfall, [2.5, 0.0])
    np.testing.assert_allclose(g.surplus, [0.0, 1.0])
    assert wl.staffing_gap(5, 5).gap == 0


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: wl.workload_hours(100, 0), "handling_time_s"),
        (lambda: wl.workload_hours(100, -3), "handling_time_s"),
        (lambda: wl.workload_hours(-1, 30), "volume"),
        (lambda: wl.workload_hours(np.array([5, -1]), 30), "volume"),
        (lambda: wl.workload_hours(100, 30, overlap=0), "overlap"),
        (lambda: wl.workload_hours(100, 30, gold_rate=1.0), "gold_rate"),
        (lambda: wl.workload_hours(100, 30, qa_rate=1.5), "qa_rate"),
        (lambda: wl.workload_hours(100, 30, review_time_s=-1), "review_time_s"),
        (lambda: wl.workload_hours(float("nan"), 30), "volume"),
        (lambda: wl.productive_hours_per_fte(20, 8, 0.3, 0), "occupancy"),
        (lambda: wl.productive_hours_per_fte(20, 8, 0.3, 1.2), "occupancy"),
        (lambda: wl.productive_hours_per_fte(20, 8, 1.0, 0.8), "shrinkage"),
        (lambda: wl.productive_hours_per_fte(20, 8, -0.1, 0.8), "shrinkage"),
        (lambda: wl.productive_hours_per_fte(0, 8, 0.3, 0.8), "working_days"),
        (lambda: wl.productive_hours_per_fte(20, 25, 0.3, 0.8), "hours_per_day"),
        (lambda: wl.fte_required(100, 0), "productive_hours"),
        (lambda: wl.cohort_effective_fte(10, [0.5, 1.5], 4), "ramp"),
        (lambda: wl.cohort_effective_fte(10, [0.5], 0), "period_weeks"),
        (lambda: wl.cohort_effective_fte(10, [0.5], 4, monthly_attrition=1), "monthly_attrition"),
        (lambda: wl.retained(10, 0.1, -1), "months"),
        (lambda: wl.start_hiring_by(date(2026, 1, 1), timedelta(days=-1), timedelta(0)), "hiring_lead"),
        (lambda: wl.staffing_gap(-1, 3), "required_fte"),
    ],
)
def test_impossible_parameters_refused_by_name(call: object, field: str) -> None:
    with pytest.raises(InvalidInput) as info:
        call()  # type: ignore[operator]
    assert info.value.problems[0].field == field
    assert str(info.value).startswith(field)
    assert isinstance(info.value, ValueError)
