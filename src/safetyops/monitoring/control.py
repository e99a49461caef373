"""Control charts over standardized daily residuals, their run lengths, and PELT change points.

Every chart reads z-scores (observation minus its expected value, over its standard deviation) and is written once
as a vectorised step over many independent series: the same `step` watches one slice's days and simulates
100,000 in-control runs to measure an average run length (ARL). Exact ARLs come from the published methods:

- Shewhart individuals chart: ARL = 1 / P(|Z + shift| > L) (370.4 at L = 3).
- Tabular CUSUM: the Markov-chain approximation of Brook & Evans (1972, Biometrika 59:539-549) with m and 2m
  states, Richardson-extrapolated (the error falls as 1/m²); two sides combined as 1/ARL = 1/ARL⁺ + 1/ARL⁻
  (Kemp 1971, exact enough whenever k > 0). Montgomery's table (k = 0.5, h = 4): 168 in control, 8.38 at a 1σ shift.
  Siegmund's (1985) closed form is kept as the textbook cross-check.
- EWMA: the Markov chain of Lucas & Saccucci (1990, Technometrics 32:1-12) on the asymptotic limits.
- Western Electric rules (Western Electric Handbook 1956): no closed form here; their combined in-control ARL
  (91.75 for all four, Champ & Woodall 1987, Technometrics 29:393-399) is reproduced by `simulate_run_lengths`.

Change points in the mean: PELT (Killick, Fearnhead & Eckley 2012, JASA 107:1590-1598) with the Gaussian cost
Σ(x − mean)²/σ², which finds the exact optimum of cost + β·(number of changes).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

import numpy as np
import numpy.typing as npt
from scipy import optimize, stats

from safetyops.monitoring.checks import invalid, require, require_finite
from safetyops.monitoring.robust import mad_sigma

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

WE_RULES: dict[int, str] = {
    1: "one point beyond 3σ",
    2: "2 of 3 successive points beyond 2σ on one side",
    3: "4 of 5 successive points beyond 1σ on one side",
    4: "8 successive points on one side of the centre line",
}


def as_series(values: npt.ArrayLike, field: str = "z") -> FloatArray:
    """A 1-D array of finite floats; a day without data must be left out by the caller, never passed as NaN."""
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1:
        raise invalid(field, f"must be a 1-D series, got shape {arr.shape}")
    bad = ~np.isfinite(arr)
    if bad.any():
        raise invalid(field, f"value {arr[bad][0]} at position {int(np.argmax(bad))} is not a finite number")
    return arr


# ---------------------------------------------------------------- charts as vectorised steps


class Chart(Protocol):
    """A control chart over z-scores. `step` advances every series by one observation and returns, per series,
    0 (no signal) or a signed code: + for a high signal, − for a low one, its size the rule number (1 if one rule)."""

    def start(self, runs: int) -> dict[str, FloatArray]: ...

    def step(self, state: dict[str, FloatArray], z: FloatArray) -> IntArray: ...


@dataclass(frozen=True)
class Shewhart:
    """Individuals chart: a point beyond ±limit."""

    limit: float = 3.0

    def start(self, runs: int) -> dict[str, FloatArray]:
        return {}

    def step(self, state: dict[str, FloatArray], z: FloatArray) -> IntArray:
        return np.where(z > self.limit, 1, np.where(z < -self.limit, -1, 0)).astype(np.int64)


@dataclass(frozen=True)
class WesternElectric:
    """The Western Electric zone rules; a point's code is the lowest-numbered rule it completes."""

    rules: tuple[int, ...] = (1, 2, 3, 4)

    def __post_init__(self) -> None:
        unknown = sorted(set(self.rules) - set(WE_RULES))
        require(not unknown and bool(self.rules), "rules", f"choose among 1-4, got {list(self.rules)}")

    def start(self, runs: int) -> dict[str, FloatArray]:
        # the last 8 points, newest in the last column; NaN before the series has 8 points (compares False)
        return {"last": np.full((runs, 8), np.nan)}

    def step(self, state: dict[str, FloatArray], z: FloatArray) -> IntArray:
        last = np.roll(state["last"], -1, axis=1)
        last[:, -1] = z
        state["last"] = last
        code = np.zeros(len(z), dtype=np.int64)
        for rule in sorted(self.rules, reverse=True):  # lower rule numbers overwrite higher ones
            for sign in (1, -1):
                s = sign * last
                cur = s[:, -1]
                if rule == 1:
                    hit = cur > 3.0
                elif rule == 2:
                    hit = (cur > 2.0) & ((s[:, -3:] > 2.0).sum(axis=1) >= 2)
                elif rule == 3:
                    hit = (cur > 1.0) & ((s[:, -5:] > 1.0).sum(axis=1) >= 4)
                else:
                    hit = np.asarray((s > 0.0).all(axis=1))
                code[hit] = sign * rule
        return code


@dataclass(frozen=True)
class Cusum:
    """Tabular (Page) CUSUM in σ units: C⁺ = max(0, C⁺ + z − k), C⁻ = max(0, C⁻ − z − k), signal above h.
    A signalling side restarts at 0 (Montgomery's convention), so a lasting shift signals again."""

    k: float = 0.5
    h: float = 4.0

    def __post_init__(self) -> None:
        require_finite(self.k, "k", low=0.0)
        require(math.isfinite(self.h) and self.h > 0, "h", f"must be a finite number > 0, got {self.h}")

    def start(self, runs: int) -> dict[str, FloatArray]:
        return {"upper": np.zeros(runs), "lower": np.zeros(runs)}

    def step(self, state: dict[str, FloatArray], z: FloatArray) -> IntArray:
        upper = np.maximum(0.0, state["upper"] + z - self.k)
        lower = np.maximum(0.0, state["lower"] - z - self.k)
        code = np.where(upper > self.h, 1, np.where(lower > self.h, -1, 0)).astype(np.int64)
        state["upper"] = np.where(upper > self.h, 0.0, upper)
        state["lower"] = np.where(lower > self.h, 0.0, lower)
        return code


@dataclass(frozen=True)
class Ewma:
    """EWMA of z with weight λ and asymptotic limits ±L·√(λ/(2−λ)); restarts at 0 after a signal."""

    lam: float = 0.2
    limit: float = 3.0

    def __post_init__(self) -> None:
        require(0 < self.lam <= 1, "lam", f"must be in (0, 1], got {self.lam}")
        require(math.isfinite(self.limit) and self.limit > 0, "limit", f"must be > 0, got {self.limit}")

    @property
    def bound(self) -> float:
        return self.limit * math.sqrt(self.lam / (2.0 - self.lam))

    def start(self, runs: int) -> dict[str, FloatArray]:
        return {"e": np.zeros(runs)}

    def step(self, state: dict[str, FloatArray], z: FloatArray) -> IntArray:
        e = self.lam * z + (1.0 - self.lam) * state["e"]
        b = self.bound
        code = np.where(e > b, 1, np.where(e < -b, -1, 0)).astype(np.int64)
        state["e"] = np.where(code != 0, 0.0, e)
        return code


@dataclass(frozen=True)
class AnyOf:
    """Several charts watching the same series; the code is the first member's that fires, plus 10 × its position
    (so 23 is the third member's rule 2)."""

    charts: tuple[Chart, ...]

    def start(self, runs: int) -> dict[str, FloatArray]:
        return {f"{i}.{key}": value for i, c in enumerate(self.charts) for key, value in c.start(runs).items()}

    def step(self, state: dict[str, FloatArray], z: FloatArray) -> IntArray:
        code = np.zeros(len(z), dtype=np.int64)
        for i in reversed(range(len(self.charts))):
            prefix = f"{i}."
            sub = {k[len(prefix) :]: v for k, v in state.items() if k.startswith(prefix)}
            c = self.charts[i].step(sub, z)
            state.update({prefix + k: v for k, v in sub.items()})
            code = np.where(c != 0, np.sign(c) * (np.abs(c) + 10 * i), code)
        return code


def run_chart(chart: Chart, z: npt.ArrayLike) -> IntArray:
    """The chart's code at each point of one series (0 where it does not signal)."""
    series = as_series(z)
    state = chart.start(1)
    out = np.zeros(len(series), dtype=np.int64)
    for t, value in enumerate(series):
        out[t] = chart.step(state, np.array([value]))[0]
    return out


def run_charts(chart: Chart, z: npt.ArrayLike) -> IntArray:
    """The chart's codes over many series at once: row r of `z` is one series (time along the columns). A row
    may be padded on the left with zeros: every chart starts at rest and a 0 leaves it there."""
    rows = np.asarray(z, dtype=np.float64)
    if rows.ndim != 2 or not np.isfinite(rows).all():
        raise invalid("z", "must be a finite 2-D array (series × time)")
    state = chart.start(rows.shape[0])
    out = np.zeros(rows.shape, dtype=np.int64)
    for t in range(rows.shape[1]):
        out[:, t] = chart.step(state, rows[:, t])
    return out


def simulate_run_lengths(
    chart: Chart, shift: float = 0.0, runs: int = 20_000, seed: int = 0, max_steps: int = 1_000_000
) -> IntArray:
    """Run lengths (index of the first signal, from 1) of `runs` independent N(shift, 1) series, seeded."""
    require(runs >= 1, "runs", "must be >= 1")
    rng = np.random.default_rng(seed)
    state = chart.start(runs)
    active = np.arange(runs)
    lengths = np.zeros(runs, dtype=np.int64)
    for t in range(1, max_steps + 1):
        code = chart.step(state, rng.standard_normal(len(active)) + shift)
        done = code != 0
        if done.any():
            lengths[active[done]] = t
            keep = ~done
            active = active[keep]
            state = {key: value[keep] for key, value in state.items()}
            if len(active) == 0:
                return lengths
    raise invalid("max_steps", f"{len(active)} of {runs} runs had not signalled after {max_steps} steps")


# ---------------------------------------------------------------- exact run lengths


def shewhart_arl(limit: float = 3.0, shift: float = 0.0) -> float:
    """1 / P(|Z + shift| > limit) for an individuals chart."""
    p = float(stats.norm.sf(limit - shift) + stats.norm.cdf(-limit - shift))
    return 1.0 / p


def _brook_evans_one_sided(k: float, h: float, shift: float, states: int) -> float:
    """ARL of the upper CUSUM from 0: states are the centres i·w of [0, h] cut into m cells of width
    w = 2h/(2m − 1) (cell 0 also holds the atom at 0); a step leaving [0, h] signals."""
    w = 2.0 * h / (2 * states - 1)
    centre = np.arange(states) * w
    upper = (np.arange(states) + 0.5) * w
    hi = upper[None, :] - centre[:, None] + k - shift
    trans = stats.norm.cdf(hi) - stats.norm.cdf(hi - w)
    trans[:, 0] = stats.norm.cdf(hi[:, 0])
    arl = np.linalg.solve(np.eye(states) - trans, np.ones(states))
    return float(arl[0])


@lru_cache(maxsize=512)
def cusum_arl(k: float = 0.5, h: float = 4.0, shift: float = 0.0, two_sided: bool = True, states: int = 200) -> float:
    """Average run length of a tabular CUSUM (σ units) at a mean shift, by Brook & Evans' Markov chain."""
    require_finite(k, "k", low=0.0)
    require(math.isfinite(h) and h > 0, "h", f"must be > 0, got {h}")
    require_finite(shift, "shift")
    require(states >= 10, "states", "need at least 10 states")

    def one(delta: float) -> float:
        coarse = _brook_evans_one_sided(k, h, delta, states)
        fine = _brook_evans_one_sided(k, h, delta, 2 * states)
        return (4.0 * fine - coarse) / 3.0

    upper = one(shift)
    if not two_sided:
        return upper
    return 1.0 / (1.0 / upper + 1.0 / one(-shift))


def cusum_arl_siegmund(k: float = 0.5, h: float = 4.0, shift: float = 0.0, two_sided: bool = True) -> float:
    """Siegmund's approximation: ARL = (e^(−2Δb) + 2Δb − 1) / (2Δ²), Δ = shift − k, b = h + 1.166."""
    b = h + 1.166

    def one(delta: float) -> float:
        d = delta - k
        if abs(d) < 1e-9:
            return b * b
        return (math.exp(-2.0 * d * b) + 2.0 * d * b - 1.0) / (2.0 * d * d)

    upper = one(shift)
    return 1.0 / (1.0 / upper + 1.0 / one(-shift)) if two_sided else upper


@lru_cache(maxsize=512)
def ewma_arl(lam: float = 0.2, limit: float = 3.0, shift: float = 0.0, states: int = 201) -> float:
    """ARL of a two-sided EWMA with asymptotic limits, from 0, by Lucas & Saccucci's Markov chain (m odd)."""
    chart = Ewma(lam, limit)
    require(states >= 11 and states % 2 == 1, "states", "need an odd number of states >= 11")

    def arl(m: int) -> float:
        b = chart.bound
        width = 2.0 * b / m
        centre = -b + width * (np.arange(m) + 0.5)
        hi = (centre[None, :] + width / 2 - (1 - lam) * centre[:, None]) / lam - shift
        trans = stats.norm.cdf(hi) - stats.norm.cdf(hi - width / lam)
        return float(np.linalg.solve(np.eye(m) - trans, np.ones(m))[m // 2])

    coarse, fine = arl(states), arl(2 * states + 1)
    return (4.0 * fine - coarse) / 3.0


def _solve_for_arl(arl: Callable[[float], float], target: float, low: float, high: float, field: str) -> float:
    require(math.isfinite(target) and target > 1, field, f"target ARL must be > 1, got {target}")

    def gap(x: float) -> float:
        return math.log(max(arl(x), 1.0)) - math.log(target)

    if gap(low) > 0 or gap(high) < 0:
        raise invalid(field, f"no limit in [{low}, {high}] gives an in-control ARL of {target}")
    return float(optimize.brentq(gap, low, high, xtol=1e-6))


@lru_cache(maxsize=256)
def cusum_h_for_arl(arl0: float, k: float = 0.5) -> float:
    """The decision interval h whose two-sided in-control ARL is `arl0`."""
    return _solve_for_arl(lambda h: cusum_arl(k, h, 0.0, True, 60), arl0, 0.25, 15.0, "arl0")


@lru_cache(maxsize=256)
def ewma_limit_for_arl(arl0: float, lam: float = 0.2) -> float:
    """The limit multiplier L whose in-control ARL is `arl0`."""
    return _solve_for_arl(lambda lim: ewma_arl(lam, lim, 0.0, 61), arl0, 0.5, 8.0, "arl0")


def shewhart_limit_for_arl(arl0: float) -> float:
    """The individuals-chart limit with in-control ARL `arl0`: Φ⁻¹(1 − 1/(2·ARL))."""
    require(math.isfinite(arl0) and arl0 > 1, "arl0", f"target ARL must be > 1, got {arl0}")
    return float(stats.norm.isf(0.5 / arl0))


# ---------------------------------------------------------------- change points


def robust_sigma(x: npt.ArrayLike) -> float:
    """σ of the noise around a piecewise-constant mean: 1.4826 · MAD(first differences) / √2 (level shifts
    touch one difference each, so they barely move it). 0 when the series has fewer than 3 points."""
    arr = as_series(x, "x")
    if len(arr) < 3:
        return 0.0
    return mad_sigma(np.diff(arr)) / math.sqrt(2.0)


def pelt_mean_changes(
    x: npt.ArrayLike, sigma: float | None = None, penalty: float | None = None, min_size: int = 2
) -> list[int]:
    """Positions where a new mean begins (PELT, exact for cost Σ(x − mean)²/σ² + penalty per change).

    `sigma` defaults to `robust_sigma(x)`; `penalty` to 3·ln(n), above the BIC's 2·ln(n) so that pure noise
    rarely splits (the false-split rate is measured in the tests). A constant series has no change."""
    arr = as_series(x, "x")
    n = len(arr)
    require(min_size >= 1, "min_size", "must be >= 1")
    if n < 2 * min_size:
        return []
    s = robust_sigma(arr) if sigma is None else sigma
    require_finite(s, "sigma", low=0.0)
    if s == 0.0:
        s = max(float(np.std(arr)), 1e-12) if np.ptp(arr) > 0 else 1.0
    beta = 3.0 * math.log(n) if penalty is None else penalty
    require_finite(beta, "penalty", low=0.0)
    c1 = np.concatenate([[0.0], np.cumsum(arr)])
    c2 = np.concatenate([[0.0], np.cumsum(arr * arr)])

    def cost(starts: IntArray, end: int) -> FloatArray:
        length = end - starts
        total = c1[end] - c1[starts]
        return np.asarray((c2[end] - c2[starts] - total * total / length) / (s * s), dtype=np.float64)

    best = np.full(n + 1, np.inf)
    best[0] = -beta
    last = np.zeros(n + 1, dtype=np.int64)
    candidates = np.array([0], dtype=np.int64)
    for t in range(min_size, n + 1):
        if t - min_size >= min_size:
            candidates = np.append(candidates, t - min_size)
        values = best[candidates] + cost(candidates, t) + beta
        i = int(np.argmin(values))
        best[t], last[t] = values[i], candidates[i]
        # Killick et al.'s pruning: a start that is already worse than the optimum can never win later
        candidates = candidates[values - beta <= best[t]]
    changes: list[int] = []
    t = n
    while t > 0:
        t = int(last[t])
        if t > 0:
            changes.append(t)
    return sorted(changes)
