"""Expected values for one day from a few weeks of daily history: weekday-aware, robust, honest about spread.

- `weekday_level`: the median of the day's weekday group. Weekdays start apart and are fused while their medians
  do not differ beyond noise (|Δ| ≤ 2.5 standard errors of two medians, (π/2)σ²/n each), closest first: Monday to
  Friday of a steady team pool their ~30 days, a weekend that works at a fifth keeps its own level, and a weekday
  seen once or twice joins the others unless it is plainly different (shrinkage to the all-days level, taken to
  the end when the data cannot tell them apart). A median of n days is off by about √((π/2)/n) σ, and that error is
  shared by every day compared with it: pooling is what keeps a CUSUM from mistaking it for a shift.
  σ is the standard deviation of leave-one-out residuals (each day against the median of the OTHER days of its
  group) within 3.5 robust σ: robust to an outage day, unbiased by the fit, and about as efficient as an SD.
- `rate_level`: a proportion's rate pooled over the history after dropping days more than 4 robust σ from the
  median rate, and its beta-binomial overdispersion ρ (method of moments, Kleinman 1973), so that day-to-day
  variation beyond the binomial is expected rather than alarmed on.
- `count_dispersion`: a count's variance-to-mean ratio around the weekday levels (>1: negative binomial).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt

from safetyops.monitoring.checks import invalid, require
from safetyops.monitoring.robust import mad_sigma as _mad
from safetyops.monitoring.robust import median as _median

FloatArray = npt.NDArray[np.float64]
MEDIAN_VAR = math.pi / 2  # variance of a sample median, in units of σ²/n (normal data)


@dataclass(frozen=True)
class Level:
    """A day's expected value (`centre`, the median of its weekday group) and the spread of single days around
    their level (`scale`); `predictive` (>= 1) multiplies a new day's variance for the error of the centre
    itself, `dof` are the degrees of freedom of `scale` (for a Student-t test)."""

    centre: float
    scale: float
    days: int
    weekday_days: int
    group_days: int
    predictive: float
    dof: int


def clean_sd(x: FloatArray) -> tuple[float, int]:
    """Standard deviation of the values within 3.5 robust σ of the median, and how many those are. The MAD alone
    is robust but noisy (37 % efficient: with 6 weeks of days its σ is off by a fifth, which turns 3σ into 4σ);
    dropping only the outliers keeps the standard deviation's efficiency and the MAD's robustness."""
    if len(x) < 2:
        return 0.0, len(x)
    spread = _mad(x)
    keep = x[np.abs(x - _median(x)) <= 3.5 * spread] if spread > 0 else x
    if len(keep) < 2:
        return 0.0, len(keep)
    return float(np.std(keep, ddof=1)), len(keep)


def _check(days: Sequence[date], values: FloatArray) -> None:
    require(len(days) == len(values), "values", f"{len(values)} values for {len(days)} days")
    bad = ~np.isfinite(values)
    if bad.any():
        i = int(np.argmax(bad))
        raise invalid("values", f"the value of {days[i].isoformat()} is not a finite number")


def _loo_medians(x: FloatArray, group: npt.NDArray[np.int64]) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    """Each value's group median without it (defined where its group has >= 2 values). Without the value at
    sorted rank r, the n − 1 others have their middle at ranks a = (n−2)//2 and b = (n−1)//2, shifted up by one
    at or past r."""
    out = np.zeros(len(x))
    ok = np.zeros(len(x), dtype=bool)
    for g in np.unique(group):
        idx = np.flatnonzero(group == g)
        n = len(idx)
        if n < 2:
            continue
        order = np.argsort(x[idx], kind="stable")
        v = x[idx][order]
        r = np.arange(n)
        a, b = (n - 2) // 2, (n - 1) // 2
        out[idx[order]] = 0.5 * (v[a + (a >= r)] + v[b + (b >= r)])
        ok[idx] = True
    return out, ok


@dataclass(frozen=True, eq=False)
class WeekdayFit:
    """Weekday groups of a history: the group of each weekday (absent weekdays: -1, the all-days level), each
    group's median and size, σ and its degrees of freedom, and the days' scaled leave-one-out residuals."""

    group_of: dict[int, int]
    medians: dict[int, float]
    sizes: dict[int, int]
    weekday_counts: dict[int, int]
    grand: float
    total: int
    residuals: FloatArray
    loo_centres: FloatArray
    sigma: float
    dof: int

    def level(self, weekday: int) -> Level:
        g = self.group_of.get(weekday, -1)
        centre = self.medians[g] if g >= 0 else self.grand
        size = self.sizes[g] if g >= 0 else self.total
        predictive = 1.0 + MEDIAN_VAR / max(size, 1)
        return Level(centre, self.sigma, self.total, self.weekday_counts.get(weekday, 0), size, predictive, self.dof)


def _fuse(x: FloatArray, weekday: npt.NDArray[np.int64], sigma: float) -> dict[int, int]:
    """Weekday → group, merging the two closest groups (in median) while they differ by ≤ 2.5 standard errors."""
    values = {int(w): x[weekday == w] for w in np.unique(weekday)}
    groups = {w: [w] for w in values}
    summary = {w: (_median(v), len(v)) for w, v in values.items()}
    while len(groups) > 1:
        ordered = sorted(groups, key=lambda g: summary[g][0])
        best, pair = math.inf, (ordered[0], ordered[0])
        for a, b in itertools.pairwise(ordered):
            (ma, na), (mb, nb) = summary[a], summary[b]
            se = math.sqrt(MEDIAN_VAR * sigma * sigma * (1.0 / na + 1.0 / nb))
            gap = abs(ma - mb) / se if se > 0 else (0.0 if ma == mb else math.inf)
            if gap < best:
                best, pair = gap, (a, b)
        if best > 2.5:
            break
        a, b = pair
        groups[a] += groups.pop(b)
        pooled = np.concatenate([values[w] for w in groups[a]])
        summary[a] = (_median(pooled), len(pooled))
    return {w: g for g, members in groups.items() for w in members}


def fit_weekdays(days: Sequence[date], values: npt.ArrayLike) -> WeekdayFit:
    """Weekday groups, their medians and the noise σ of single days (see the module docstring)."""
    x = np.asarray(values, dtype=np.float64)
    _check(days, x)
    require(len(x) >= 1, "values", "need at least one day")
    weekday = np.array([d.weekday() for d in days], dtype=np.int64)
    loo, ok = _loo_medians(x, weekday)
    n_w = np.bincount(weekday, minlength=7)[weekday].astype(np.float64)
    first = (x - loo)[ok] / np.sqrt(1.0 + MEDIAN_VAR / np.maximum(n_w[ok] - 1, 1))
    sigma0 = clean_sd(first)[0] if ok.sum() >= 2 else _mad(x)
    group_of = _fuse(x, weekday, sigma0)
    group = np.array([group_of[int(w)] for w in weekday], dtype=np.int64)
    medians = {g: _median(x[group == g]) for g in set(group_of.values())}
    sizes = {g: int((group == g).sum()) for g in medians}
    loo, ok = _loo_medians(x, group)
    n_g = np.array([sizes[int(g)] for g in group], dtype=np.float64)
    resid = ((x - loo) / np.sqrt(1.0 + MEDIAN_VAR / np.maximum(n_g - 1, 1)))[ok]
    sigma, kept = clean_sd(resid) if ok.sum() >= 2 else (0.0, 0)
    if sigma == 0.0:
        sigma = sigma0 if sigma0 > 0 else _mad(x)
    counts = {int(w): int((weekday == w).sum()) for w in np.unique(weekday)}
    return WeekdayFit(group_of, medians, sizes, counts, _median(x), len(x), resid, loo[ok], sigma, max(kept - 1, 1))


def weekday_level(days: Sequence[date], values: npt.ArrayLike, target: date, min_days: int = 7) -> Level | None:
    """The expected value on `target` from past `days` (one value per day). None when fewer than `min_days`."""
    levels = weekday_levels(days, values, min_days)
    return None if levels is None else levels[target.weekday()]


def weekday_levels(days: Sequence[date], values: npt.ArrayLike, min_days: int = 7) -> dict[int, Level] | None:
    """`weekday_level` for the seven weekdays at once (one fit)."""
    x = np.asarray(values, dtype=np.float64)
    _check(days, x)
    if len(x) < max(min_days, 1):
        return None
    fit = fit_weekdays(days, x)
    return {w: fit.level(w) for w in range(7)}


@dataclass(frozen=True)
class RateLevel:
    """A pooled rate over the history days kept, with its beta-binomial intra-day correlation ρ (0: binomial)."""

    rate: float
    rho: float
    trials: int
    days: int
    dropped: int


def rate_level(successes: npt.ArrayLike, trials: npt.ArrayLike, min_days: int = 7) -> RateLevel | None:
    """Pooled rate and overdispersion from daily (successes, trials); days with 0 trials carry nothing.
    None when fewer than `min_days` days have trials."""
    k = np.asarray(successes, dtype=np.float64)
    n = np.asarray(trials, dtype=np.float64)
    require(k.shape == n.shape, "successes", "one count of successes per day of trials")
    bad = ~np.isfinite(k) | ~np.isfinite(n) | (k < 0) | (k > n)
    if bad.any():
        raise invalid("successes", f"day {int(np.argmax(bad))}: need 0 <= successes <= trials")
    keep = n > 0
    k, n = k[keep], n[keep]
    if len(n) < min_days:
        return None
    p = k / n
    centre, spread = _median(p), _mad(p)
    # a day is kept within 4 robust σ of the median rate, or 4 binomial σ when the rates barely vary
    tolerance = 4.0 * np.maximum(spread, np.sqrt(max(centre * (1 - centre), 1.0 / n.max()) / n))
    ok = np.abs(p - centre) <= tolerance
    k_ok, n_ok = k[ok], n[ok]
    rate = float(k_ok.sum() / n_ok.sum())
    rho = 0.0
    if 0.0 < rate < 1.0 and len(n_ok) >= 2:
        excess = float(((k_ok - n_ok * rate) ** 2).sum() - (n_ok * rate * (1 - rate)).sum())
        pairs = float((n_ok * (n_ok - 1)).sum())
        if pairs > 0:
            rho = min(max(excess / (rate * (1 - rate) * pairs), 0.0), 0.5)
    return RateLevel(rate, rho, int(n_ok.sum()), len(n_ok), int((~ok).sum()))


def count_dispersion(fit: WeekdayFit) -> float:
    """Variance-to-mean ratio of daily counts around their weekday levels, at least 1 (Poisson), from the fit's
    leave-one-out residuals (x − μ)/√μ within 3.5 robust σ: one outage day in the history does not make later
    drops look normal, and a level fitted to the day itself does not hide its noise."""
    mu = fit.loo_centres
    keep = mu > 0
    if keep.sum() < 3:
        return 1.0
    # fit.residuals are (x − μ)/√factor; dividing by √μ puts them in Poisson units
    return max(1.0, clean_sd(fit.residuals[keep] / np.sqrt(mu[keep]))[0] ** 2)
