"""Binomial confidence intervals and audit sample sizes for accuracy rates."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any

import scipy

from safetyops.quality.enums import IntervalMethod


@dataclass(frozen=True)
class Proportion:
    """A rate k/n with its confidence interval; `value` is None (with `reason`) when n is 0."""

    value: float | None
    ci_low: float | None
    ci_high: float | None
    k: int
    n: int
    method: str
    confidence: float
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@lru_cache(maxsize=64)
def z_value(confidence: float) -> float:
    """Two-sided standard-normal quantile for a confidence level (0.95 → 1.959964)."""
    _check_confidence(confidence)
    return float(scipy.stats.norm.ppf(1.0 - (1.0 - confidence) / 2.0))


def _check_confidence(confidence: float) -> None:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be between 0 and 1 (exclusive), got {confidence}")


def _check_counts(k: int, n: int) -> None:
    if n < 0 or k < 0 or k > n:
        raise ValueError(f"need 0 ≤ correct ≤ total, got correct={k}, total={n}")


def wilson(k: int, n: int, confidence: float = 0.95) -> Proportion:
    """Wilson score interval for k successes out of n."""
    _check_counts(k, n)
    if n == 0:
        return Proportion(
            None, None, None, k, n, IntervalMethod.WILSON.value, confidence, "no observations (total is 0)"
        )
    z = z_value(confidence)
    p = k / n
    denom = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return Proportion(
        p, max(0.0, centre - half), min(1.0, centre + half), k, n, IntervalMethod.WILSON.value, confidence
    )


def clopper_pearson(k: int, n: int, confidence: float = 0.95) -> Proportion:
    """Exact (Clopper–Pearson) interval from beta quantiles."""
    _check_counts(k, n)
    if n == 0:
        return Proportion(
            None, None, None, k, n, IntervalMethod.CLOPPER_PEARSON.value, confidence, "no observations (total is 0)"
        )
    alpha = 1.0 - confidence
    low = 0.0 if k == 0 else float(scipy.stats.beta.ppf(alpha / 2, k, n - k + 1))
    high = 1.0 if k == n else float(scipy.stats.beta.ppf(1 - alpha / 2, k + 1, n - k))
    return Proportion(k / n, low, high, k, n, IntervalMethod.CLOPPER_PEARSON.value, confidence)


def proportion_ci(k: int, n: int, method: str = IntervalMethod.WILSON, confidence: float = 0.95) -> Proportion:
    """Rate k/n with a Wilson (default) or Clopper–Pearson interval."""
    if method == IntervalMethod.WILSON:
        return wilson(k, n, confidence)
    if method == IntervalMethod.CLOPPER_PEARSON:
        return clopper_pearson(k, n, confidence)
    raise ValueError(f"unknown interval method {method!r}; use {' or '.join(IntervalMethod)}")


def audit_sample_size(accuracy: float, margin: float, population: int | None = None, confidence: float = 0.95) -> int:
    """Items to audit so accuracy is known to ±margin (normal approximation, finite-population correction)."""
    if not 0.0 <= accuracy <= 1.0:
        raise ValueError(f"expected accuracy must be within [0, 1], got {accuracy}")
    if not 0.0 < margin < 1.0:
        raise ValueError(f"margin must be within (0, 1), got {margin}")
    if population is not None and population < 1:
        raise ValueError(f"population must be at least 1, got {population}")
    z = z_value(confidence)
    n0 = z * z * accuracy * (1.0 - accuracy) / (margin * margin)
    if population is not None:
        n0 = n0 / (1.0 + (n0 - 1.0) / population)
    n = max(1, math.ceil(round(n0, 9)))
    return min(n, population) if population is not None else n


def zero_defect_sample_size(max_error_rate: float, confidence: float = 0.95) -> int:
    """Items to audit with zero errors found to claim error rate < p at confidence C: ⌈ln(1−C)/ln(1−p)⌉."""
    _check_confidence(confidence)
    if not 0.0 < max_error_rate < 1.0:
        raise ValueError(f"error rate must be within (0, 1), got {max_error_rate}")
    return math.ceil(round(math.log(1.0 - confidence) / math.log(1.0 - max_error_rate), 9))
