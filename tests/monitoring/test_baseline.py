"""Weekday baselines and rate levels: what they keep apart, what they pool, and that their spread is unbiased."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from safetyops.monitoring import baseline
from safetyops.monitoring.checks import MonitoringInputError

MONDAY = date(2026, 1, 5)


def _days(n: int) -> list[date]:
    return [MONDAY + timedelta(days=i) for i in range(n)]


def test_weekend_level_is_kept_and_weekdays_pool() -> None:
    rng = np.random.default_rng(1)
    days = _days(42)
    rhythm = np.array([400, 400, 400, 400, 400, 200, 0.0])
    x = np.array([rhythm[d.weekday()] for d in days]) + rng.normal(0, 10, 42) * (
        rhythm[[d.weekday() for d in days]] > 0
    )
    levels = baseline.weekday_levels(days, x)
    assert levels is not None
    assert levels[6].centre == 0.0 and levels[5].centre == pytest.approx(200, abs=10)
    assert levels[0].group_days == 30  # Monday..Friday are one group: their level rests on 30 days, not 6
    assert levels[0].predictive == pytest.approx(1 + baseline.MEDIAN_VAR / 30)
    assert levels[0].scale == pytest.approx(10, rel=0.3)


def test_a_weekday_seen_once_joins_the_others_unless_plainly_different() -> None:
    days = _days(8)  # Monday..Monday: one of each weekday, two Mondays
    x = np.array([100.0, 101, 99, 100, 102, 98, 100, 101])
    level = baseline.weekday_level(days, x, MONDAY + timedelta(days=13), min_days=7)  # a Sunday
    assert level is not None and level.group_days == 8 and level.centre == pytest.approx(100, abs=1)
    x[6] = 0.0  # the one Sunday did not work at all
    level = baseline.weekday_level(days, x, MONDAY + timedelta(days=13), min_days=7)
    assert level is not None and level.centre == 0.0 and level.group_days == 1


def test_one_bad_day_moves_neither_centre_nor_spread() -> None:
    rng = np.random.default_rng(2)
    days = _days(42)
    x = 50 + rng.normal(0, 2, 42)
    clean = baseline.weekday_level(days, x, MONDAY)
    x[10] = 0.0  # an outage day in the history
    dirty = baseline.weekday_level(days, x, MONDAY)
    assert clean is not None and dirty is not None
    assert dirty.centre == pytest.approx(clean.centre, abs=0.5)
    assert dirty.scale == pytest.approx(clean.scale, rel=0.15)


def test_spread_is_unbiased_with_few_days_per_weekday() -> None:
    # in-sample residuals around ~6-day medians would understate σ by a fifth or more
    rng = np.random.default_rng(3)
    days = _days(42)
    rhythm = np.array([10.0, 10, 10, 10, 10, 6, 3])
    sig = [
        baseline.fit_weekdays(days, rhythm[[d.weekday() for d in days]] + rng.normal(0, 1, 42)).sigma
        for _ in range(400)
    ]
    assert np.mean(sig) == pytest.approx(1.0, abs=0.04)


def test_too_few_days_and_bad_values() -> None:
    assert baseline.weekday_level(_days(3), [1.0, 2, 3], MONDAY) is None
    with pytest.raises(MonitoringInputError, match="2026-01-06"):
        baseline.weekday_level(_days(3), [1.0, float("nan"), 3], MONDAY, min_days=1)
    with pytest.raises(MonitoringInputError, match="values"):
        baseline.weekday_level(_days(3), [1.0, 2], MONDAY)


def test_rate_level_and_overdispersion() -> None:
    rng = np.random.default_rng(4)
    n = rng.integers(200, 400, 400).astype(float)
    rho = 0.01
    p = rng.beta(0.9 * (1 - rho) / rho, 0.1 * (1 - rho) / rho, 400)
    k = rng.binomial(n.astype(int), p).astype(float)
    rl = baseline.rate_level(k, n)
    assert rl is not None
    assert rl.rate == pytest.approx(0.9, abs=0.005)
    assert rl.rho == pytest.approx(rho, rel=0.3)
    binomial = baseline.rate_level(rng.binomial(300, 0.9, 200).astype(float), np.full(200, 300.0))
    assert binomial is not None and binomial.rho < 0.002


def test_rate_level_drops_a_broken_day_and_needs_trials() -> None:
    k = np.array([90.0] * 20 + [5.0])
    n = np.array([100.0] * 21)
    rl = baseline.rate_level(k, n)
    assert rl is not None and rl.dropped == 1 and rl.rate == pytest.approx(0.9)
    assert baseline.rate_level([0.0, 0.0], [0.0, 0.0]) is None
    with pytest.raises(MonitoringInputError, match="successes"):
        baseline.rate_level([5.0], [3.0])


def test_count_dispersion_reads_poisson_and_overdispersed_counts() -> None:
    rng = np.random.default_rng(5)
    days = _days(42)
    poisson = rng.poisson(300, 42).astype(float)
    assert baseline.count_dispersion(baseline.fit_weekdays(days, poisson)) == pytest.approx(1.0, abs=0.35)
    doubled = rng.negative_binomial(300, 0.5, 42).astype(float)  # variance twice the mean
    assert baseline.count_dispersion(baseline.fit_weekdays(days, doubled)) == pytest.approx(2.0, rel=0.35)
