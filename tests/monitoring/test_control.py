"""Control charts: the run lengths in REFERENCES.md (exact method and our own seeded simulation), hand-worked
chart values, PELT against a brute-force optimal partitioning, and bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

from safetyops.monitoring import control
from safetyops.monitoring.checks import MonitoringInputError


def _sim_mean(chart: control.Chart, shift: float, runs: int = 20_000, seed: int = 7) -> tuple[float, float]:
    rl = control.simulate_run_lengths(chart, shift=shift, runs=runs, seed=seed)
    return float(rl.mean()), float(rl.std(ddof=1) / math.sqrt(runs))


# ---------------------------------------------------------------- REFERENCES.md: control charts


def test_reference_cusum_brook_evans() -> None:
    # Montgomery, CUSUM ARL table, k = 0.5σ, h = 4σ: 168 in control, 8.38 at a 1σ shift
    assert round(control.cusum_arl(0.5, 4.0, 0.0)) == 168
    assert round(control.cusum_arl(0.5, 4.0, 1.0), 2) == 8.38


def test_reference_cusum_siegmund_is_close() -> None:
    # Siegmund's closed form is an approximation: within 1 % of the table
    assert control.cusum_arl_siegmund(0.5, 4.0, 0.0) == pytest.approx(168, rel=0.01)
    assert control.cusum_arl_siegmund(0.5, 4.0, 1.0) == pytest.approx(8.38, rel=0.01)


def test_reference_shewhart() -> None:
    assert round(control.shewhart_arl(3.0), 1) == 370.4


@pytest.mark.parametrize(
    ("chart", "shift", "published"),
    [
        (control.Cusum(0.5, 4.0), 0.0, 168.0),
        (control.Cusum(0.5, 4.0), 1.0, 8.38),
        (control.Shewhart(3.0), 0.0, 370.4),
        # Champ & Woodall (1987): all four Western Electric rules together, in control
        (control.WesternElectric((1, 2, 3, 4)), 0.0, 91.75),
        # Lucas & Saccucci (1990) via Montgomery's EWMA table: λ = 0.1, L = 2.814 → 500 and 10.3
        (control.Ewma(0.1, 2.814), 0.0, 500.0),
        (control.Ewma(0.1, 2.814), 1.0, 10.3),
    ],
)
def test_simulated_run_lengths_match_published(chart: control.Chart, shift: float, published: float) -> None:
    mean, se = _sim_mean(chart, shift)
    # 4 standard errors of the simulation (plus the published value's own rounding)
    assert abs(mean - published) <= 4 * se + 0.005 * published, (mean, se)


def test_exact_ewma_matches_published_table() -> None:
    assert round(control.ewma_arl(0.1, 2.814, 0.0)) == 500
    assert round(control.ewma_arl(0.1, 2.814, 1.0), 1) == 10.3
    assert round(control.ewma_arl(0.05, 2.615, 1.0), 1) == 11.4


def test_markov_chain_converges() -> None:
    coarse = control.cusum_arl(0.5, 4.0, 0.0, states=50)
    fine = control.cusum_arl(0.5, 4.0, 0.0, states=400)
    assert coarse == pytest.approx(fine, rel=2e-4)


def test_one_sided_is_twice_two_sided_in_control() -> None:
    one = control.cusum_arl(0.5, 4.0, 0.0, two_sided=False)
    assert one == pytest.approx(2 * control.cusum_arl(0.5, 4.0, 0.0), rel=1e-9)
    assert control.cusum_arl(0.5, 4.0, 1.0, two_sided=False) > control.cusum_arl(0.5, 4.0, 1.0)


def test_limits_for_target_arl_invert_the_arl() -> None:
    h = control.cusum_h_for_arl(2000.0)
    assert control.cusum_arl(0.5, h, 0.0, states=60) == pytest.approx(2000.0, rel=1e-4)
    lim = control.ewma_limit_for_arl(2000.0, 0.2)
    assert control.ewma_arl(0.2, lim, 0.0, states=61) == pytest.approx(2000.0, rel=1e-4)
    assert control.shewhart_arl(control.shewhart_limit_for_arl(2000.0)) == pytest.approx(2000.0)
    assert h > 4.0 and lim > 3.0


# ---------------------------------------------------------------- hand-worked chart values


def test_cusum_by_hand() -> None:
    z = [0.0, 1.5, 2.0, 1.0, -3.0, -3.0]
    # C+: 0, 1.0, 2.5, 3.0, 0, 0   C-: 0, 0, 0, 0, 2.5, 5.0 -> signals low at index 5 (h = 4)
    codes = control.run_chart(control.Cusum(0.5, 4.0), z)
    assert codes.tolist() == [0, 0, 0, 0, 0, -1]
    state = control.Cusum(0.5, 4.0).start(1)
    ups = []
    for v in z[:4]:
        control.Cusum(0.5, 4.0).step(state, np.array([v]))
        ups.append(float(state["upper"][0]))
    assert ups == [0.0, 1.0, 2.5, 3.0]


def test_cusum_restarts_after_signal() -> None:
    codes = control.run_chart(control.Cusum(0.5, 4.0), [3.0] * 6)
    # 2.5, 5.0 (signal, restart), 2.5, 5.0 (signal) ...
    assert codes.tolist() == [0, 1, 0, 1, 0, 1]


def test_ewma_by_hand() -> None:
    chart = control.Ewma(0.5, 3.0)  # bound = 3·√(1/3) = 1.732
    codes = control.run_chart(chart, [1.0, 1.0, 3.0, 0.0])
    # e: 0.5, 0.75, 1.875 (signal, restart to 0), 0.0
    assert codes.tolist() == [0, 0, 1, 0]


@pytest.mark.parametrize(
    ("z", "expected"),
    [
        ([0.0, 3.5, 0.0], [0, 1, 0]),
        ([0.0, -3.2], [0, -1]),
        ([2.5, 0.0, 2.1], [0, 0, 2]),  # 2 of 3 beyond 2σ
        ([2.5, 0.0, -2.1], [0, 0, 0]),  # not on one side
        ([1.5, 1.2, 0.0, 1.1, 1.3], [0, 0, 0, 0, 3]),  # 4 of 5 beyond 1σ
        ([-0.1] * 8, [0] * 7 + [-4]),  # 8 on one side
    ],
)
def test_western_electric_rules(z: list[float], expected: list[int]) -> None:
    assert control.run_chart(control.WesternElectric(), z).tolist() == expected


def test_western_electric_subset_and_any_of() -> None:
    assert control.run_chart(control.WesternElectric((1,)), [2.5, 0.0, 2.1]).tolist() == [0, 0, 0]
    both = control.AnyOf((control.Shewhart(3.0), control.Cusum(0.5, 4.0)))
    codes = control.run_chart(both, [5.0, 0.0])
    assert codes.tolist() == [1, 0]  # the Shewhart point; CUSUM (4.5 > 4) also fires but the first member wins
    assert control.run_chart(both, [2.0, 2.0, 2.0]).tolist() == [0, 0, 11]


# ---------------------------------------------------------------- PELT


def _optimal_partition(x: np.ndarray, sigma: float, beta: float, min_size: int) -> list[int]:
    """Brute-force optimal partitioning (Jackson et al. 2005): O(n²), no pruning."""
    n = len(x)
    best = [math.inf] * (n + 1)
    best[0] = -beta
    last = [0] * (n + 1)
    for t in range(min_size, n + 1):
        for tau in [0, *range(min_size, t - min_size + 1)]:
            seg = x[tau:t]
            value = best[tau] + float(((seg - seg.mean()) ** 2).sum()) / sigma**2 + beta
            if value < best[t]:
                best[t], last[t] = value, tau
    out, t = [], n
    while t > 0:
        t = last[t]
        if t > 0:
            out.append(t)
    return sorted(out)


@pytest.mark.parametrize("seed", range(12))
def test_pelt_equals_optimal_partitioning(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(10, 70))
    means = np.repeat(rng.normal(0, 2, size=4), [n // 4, n // 4, n // 4, n - 3 * (n // 4)])
    x = means + rng.standard_normal(n)
    min_size = int(rng.integers(1, 4))
    got = control.pelt_mean_changes(x, sigma=1.0, penalty=6.0, min_size=min_size)
    assert got == _optimal_partition(x, 1.0, 6.0, min_size)


def test_pelt_finds_a_level_shift() -> None:
    rng = np.random.default_rng(3)
    x = np.concatenate([rng.normal(0.9, 0.02, 40), rng.normal(0.84, 0.02, 20)])
    (change,) = control.pelt_mean_changes(x)
    assert abs(change - 40) <= 2


def test_pelt_rarely_splits_noise() -> None:
    rng = np.random.default_rng(11)
    split = sum(bool(control.pelt_mean_changes(rng.standard_normal(60))) for _ in range(400))
    assert split / 400 <= 0.05


def test_pelt_constant_and_short_series() -> None:
    assert control.pelt_mean_changes([1.0] * 20) == []
    assert control.pelt_mean_changes([1.0, 5.0]) == []
    assert control.pelt_mean_changes([0.0] * 10 + [1.0] * 10) == [10]


# ---------------------------------------------------------------- bad input


def test_bad_input_is_named() -> None:
    with pytest.raises(MonitoringInputError, match="position 2"):
        control.run_chart(control.Shewhart(), [0.0, 1.0, float("nan")])
    with pytest.raises(MonitoringInputError, match="1-D"):
        control.pelt_mean_changes([[1.0, 2.0]])
    with pytest.raises(MonitoringInputError, match="h"):
        control.Cusum(0.5, 0.0)
    with pytest.raises(MonitoringInputError, match="rules"):
        control.WesternElectric((5,))
    with pytest.raises(MonitoringInputError, match="lam"):
        control.Ewma(0.0, 3.0)
    with pytest.raises(MonitoringInputError, match="arl0"):
        control.cusum_h_for_arl(0.5)
    with pytest.raises(MonitoringInputError, match="had not signalled"):
        control.simulate_run_lengths(control.Shewhart(50.0), runs=10, max_steps=5)
