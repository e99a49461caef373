"""Erlang B / C / A against the published values in docs/references.md, pyworkforce and an independent formula."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate

from safetyops.errors import InvalidInput
from safetyops.planning import erlang

# ---------------------------------------------------------------- docs/references.md: Erlang C worked example
# Call Centre Helper: 100 contacts / 30 min, AHT 180 s, 80 % within 20 s -> A = 10 Erlang.

A, AHT, WITHIN = 100 * 180 / 1800, 180.0, 20.0


def test_reference_traffic() -> None:
    assert A == 10


def test_reference_erlang_c_14_agents() -> None:
    r = erlang.evaluate_erlang_c(14, A, AHT, WITHIN)
    assert round(r.p_wait, 5) == 0.17413
    assert round(r.service_level, 5) == 0.88835
    assert round(r.asa, 2) == 7.84
    assert round(r.occupancy, 4) == 0.7143
    assert round(erlang.erlang_c(14, A), 5) == 0.17413
    assert round(erlang.service_level(14, A, AHT, WITHIN), 5) == 0.88835
    assert round(erlang.average_speed_of_answer(14, A, AHT), 2) == 7.84
    assert round(erlang.occupancy(14, A), 4) == 0.7143


def test_reference_erlang_c_13_agents_fall_short() -> None:
    assert round(erlang.service_level(13, A, AHT, WITHIN), 4) == 0.7956


def test_reference_staffing_and_shrinkage() -> None:
    r = erlang.staff_erlang_c(A, AHT, 0.8, WITHIN, shrinkage=0.3)
    assert r.agents == 14
    assert r.rostered == 20  # 14 / 0.7 = 20.000000000000004 in floating point: must not round up to 21
    assert round(r.service_level, 5) == 0.88835
    assert erlang.rostered(14, 0.3) == 20


def test_occupancy_cap_binds() -> None:
    assert erlang.staff_erlang_c(A, AHT, 0.8, WITHIN, max_occupancy=0.85).agents == 14
    r = erlang.staff_erlang_c(A, AHT, 0.8, WITHIN, max_occupancy=0.6)
    assert r.agents == 17  # ceil(10 / 0.6) = 17
    assert r.occupancy <= 0.6


# ---------------------------------------------------------------- docs/references.md: Erlang B


def test_reference_erlang_b_table() -> None:
    r = erlang.staff_erlang_b(10, 0.01)
    assert r.agents == 18
    assert round(r.blocking, 5) == 0.00714
    assert round(erlang.erlang_b(17, 10), 5) == 0.01295


def test_reference_erlang_b_small() -> None:
    assert erlang.erlang_b(1, 1) == pytest.approx(0.5, abs=1e-15)
    assert erlang.erlang_b(2, 1) == pytest.approx(0.2, abs=1e-15)


def test_erlang_b_matches_poisson_ratio() -> None:
    from scipy.stats import poisson

    for n, a in [(5, 3.0), (50, 40.0), (300, 280.0)]:
        expected = poisson.pmf(n, a) / poisson.cdf(n, a)
        assert erlang.erlang_b(n, a) == pytest.approx(expected, rel=1e-10)


def test_large_systems_do_not_overflow() -> None:
    b = erlang.erlang_b(2000, 1900.0)
    assert 0 < b < 1 and math.isfinite(b)
    r = erlang.staff_erlang_c(1900.0, 60.0, 0.9, 10.0)
    assert 1900 < r.agents < 2100
    assert 0.9 <= r.service_level < 1
    a = erlang.erlang_a(1950, 1900.0, 60.0, 120.0, 10.0)
    assert 0 <= a.p_abandon <= 1 and 0 <= a.service_level <= 1


def test_understaffed_erlang_c() -> None:
    r = erlang.evaluate_erlang_c(10, A, AHT, WITHIN)
    assert r.p_wait == 1 and r.service_level == 0 and math.isinf(r.asa) and r.occupancy == 1


def test_zero_traffic_needs_nobody() -> None:
    r = erlang.staff_erlang_c(0.0, AHT, 0.8, WITHIN)
    assert r.agents == 0 and r.service_level == 1 and r.p_wait == 0


# ---------------------------------------------------------------- vectorised staffing


def test_many_matches_one_by_one() -> None:
    rng = np.random.default_rng(7)
    traffic = rng.gamma(4, 6, size=200)
    traffic[:5] = 0
    plan = erlang.staff_erlang_c_many(traffic, AHT, 0.8, WITHIN, max_occupancy=0.9, shrinkage=0.25)
    for i, a in enumerate(traffic):
        one = erlang.staff_erlang_c(float(a), AHT, 0.8, WITHIN, max_occupancy=0.9, shrinkage=0.25)
        assert plan.agents[i] == one.agents
        assert plan.rostered[i] == one.rostered
        assert plan.service_level[i] == pytest.approx(one.service_level)
        if one.agents:
            below = erlang.evaluate_erlang_c(one.agents - 1, float(a), AHT, WITHIN)
            assert below.service_level < 0.8 or below.occupancy > 0.9


def test_many_week_is_fast() -> None:
    import time

    t = np.arange(672)
    traffic = 40 + 35 * np.sin(2 * np.pi * t / 96) ** 2
    erlang.staff_erlang_c_many(traffic, AHT, 0.8, WITHIN)
    start = time.perf_counter()
    erlang.staff_erlang_c_many(traffic, AHT, 0.8, WITHIN)
    assert time.perf_counter() - start < 0.5  # budget 50 ms; generous for shared CI machines


# ---------------------------------------------------------------- pyworkforce cross-check (tests only)

GRID = [
    (transactions, aht_min, asa_s, interval, sl)
    for transactions in (20, 100, 450, 1300)
    for aht_min in (1.5, 3.0, 7.0)
    for asa_s in (10, 20, 60)
    for interval in (15, 30)
    for sl in (0.7, 0.8, 0.95)
]


def test_erlang_c_against_pyworkforce() -> None:
    try:
        from pyworkforce.queuing import ErlangC
    except ImportError:
        pytest.skip("pyworkforce not installed; `pip install pyworkforce` to cross-check Erlang C")
    for transactions, aht_min, asa_s, interval, sl in GRID:
        traffic = transactions * aht_min / interval
        theirs = ErlangC(transactions=transactions, aht=aht_min, asa=asa_s / 60, interval=interval)
        need = theirs.required_positions(service_level=sl, max_occupancy=1.0)
        ours = erlang.staff_erlang_c(traffic, aht_min * 60, sl, asa_s)
        assert ours.agents == need["raw_positions"], (transactions, aht_min, asa_s, interval, sl)
        n = ours.agents
        assert ours.p_wait == pytest.approx(theirs.waiting_probability(n), rel=1e-9)
        assert ours.service_level == pytest.approx(theirs.service_level(n), rel=1e-9)


# ---------------------------------------------------------------- Erlang A


def _erlang_a_by_integrals(n: int, a: float, aht: float, patience: float, t: float) -> tuple[float, ...]:
    """Mandelbaum & Zeltyn's M/M/n+G formulas (exponential G) by numerical quadrature: independent check."""
    lam, mu, theta = a / aht, 1 / aht, 1 / patience

    def g(x: float) -> float:
        return math.exp(lam * (1 - math.exp(-theta * x)) / theta - n * mu * x)

    j = integrate.quad(g, 0, math.inf, limit=200)[0]
    e = 1 / erlang.erlang_b(n - 1, a)
    d = e + lam * j
    k = integrate.quad(lambda x: math.exp(-theta * x) * g(x), 0, t, limit=200)[0]
    p_wait = lam * j / d
    p_ab = (1 + (lam - n * mu) * j) / d
    sl = (e + lam * k) / d
    return p_wait, p_ab, sl


@pytest.mark.parametrize(
    ("n", "a", "patience", "t"),
    [(14, 10.0, 300.0, 20.0), (13, 10.0, 60.0, 20.0), (8, 10.0, 120.0, 30.0), (30, 28.0, 600.0, 15.0)],
)
def test_erlang_a_matches_integral_formulas(n: int, a: float, patience: float, t: float) -> None:
    r = erlang.erlang_a(n, a, AHT, patience, t)
    p_wait, p_ab, sl = _erlang_a_by_integrals(n, a, AHT, patience, t)
    assert r.p_wait == pytest.approx(p_wait, rel=1e-7)
    assert r.p_abandon == pytest.approx(p_ab, rel=1e-7)
    assert r.service_level == pytest.approx(sl, rel=1e-7)


def test_erlang_a_little_law_identity() -> None:
    r = erlang.erlang_a(12, 10.0, AHT, 240.0, 20.0)
    assert r.p_abandon == pytest.approx(r.mean_wait / 240.0, rel=1e-10)  # P(Ab) = θ·E[W]


def test_erlang_a_long_patience_is_erlang_c() -> None:
    c = erlang.evaluate_erlang_c(14, A, AHT, WITHIN)
    r = erlang.erlang_a(14, A, AHT, 1e9, WITHIN)
    assert r.p_wait == pytest.approx(c.p_wait, rel=1e-6)
    assert r.service_level == pytest.approx(c.service_level, rel=1e-6)
    assert r.asa == pytest.approx(c.asa, rel=1e-5)
    assert r.p_abandon < 1e-7


def test_erlang_a_staffing() -> None:
    r = erlang.staff_erlang_a(A, AHT, 300.0, 0.8, WITHIN, shrinkage=0.3)
    below = erlang.erlang_a(r.agents - 1, A, AHT, 300.0, WITHIN)
    assert r.service_level >= 0.8 > below.service_level
    assert r.agents <= 14  # abandonment relieves the queue, so never more than Erlang C
    assert r.rostered == erlang.rostered(r.agents, 0.3)


def test_erlang_a_understaffed_is_stable() -> None:
    r = erlang.erlang_a(5, 10.0, AHT, 120.0, 20.0)
    assert 0.4 < r.p_abandon < 1
    assert r.occupancy <= 1


@settings(max_examples=40, deadline=None)
@given(
    a=st.floats(0.5, 60),
    ratio=st.floats(1.05, 2.0),
    within=st.floats(0, 120),
)
def test_erlang_a_tends_to_erlang_c(a: float, ratio: float, within: float) -> None:
    n = math.ceil(a * ratio)
    c = erlang.evaluate_erlang_c(n, a, AHT, within)
    r = erlang.erlang_a(n, a, AHT, 1e10, within)
    # the Erlang A correction is O((AHT/patience) / (1 − ρ)²): ≈ 4e-6 at ρ = 1/1.05 with patience 1e10 s
    assert r.p_wait == pytest.approx(c.p_wait, rel=2e-5, abs=1e-12)
    assert r.service_level == pytest.approx(c.service_level, rel=2e-5, abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(
    a=st.floats(0.1, 80),
    patience=st.floats(5, 3600),
    within=st.floats(0, 120),
    n=st.integers(1, 120),
)
def test_erlang_a_properties(a: float, patience: float, within: float, n: int) -> None:
    r = erlang.erlang_a(n, a, AHT, patience, within)
    more = erlang.erlang_a(n + 1, a, AHT, patience, within)
    for x in (r.p_abandon, r.p_wait, r.service_level, r.occupancy):
        assert -1e-12 <= x <= 1 + 1e-12
    assert r.service_level <= 1 - r.p_abandon + 1e-12  # answered within t ⊂ answered
    assert more.p_abandon <= r.p_abandon + 1e-12
    assert more.p_wait <= r.p_wait + 1e-12
    assert more.service_level >= r.service_level - 1e-12
    assert more.mean_wait <= r.mean_wait + 1e-9


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: erlang.staff_erlang_c(10, 0, 0.8, 20), "aht"),
        (lambda: erlang.staff_erlang_c(-1, 180, 0.8, 20), "traffic"),
        (lambda: erlang.staff_erlang_c(10, 180, 1.0, 20), "target_sl"),
        (lambda: erlang.staff_erlang_c(10, 180, 0.8, -1), "within"),
        (lambda: erlang.staff_erlang_c(10, 180, 0.8, 20, max_occupancy=1.5), "max_occupancy"),
        (lambda: erlang.staff_erlang_c(10, 180, 0.8, 20, shrinkage=1.0), "shrinkage"),
        (lambda: erlang.staff_erlang_b(10, 0), "blocking"),
        (lambda: erlang.erlang_a(10, 8, 180, 0, 20), "patience"),
        (lambda: erlang.erlang_b(-1, 3), "agents"),
    ],
)
def test_bad_parameters_are_named(call: object, field: str) -> None:
    with pytest.raises(InvalidInput) as info:
        call()  # type: ignore[operator]
    assert info.value.problems[0].field == field
    assert field in str(info.value)
