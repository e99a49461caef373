"""Agreement among many raters over an items × categories count matrix: percent agreement, Fleiss' κ,
Krippendorff's α and Gwet's AC1 (two raters at a time, Cohen's κ: `quality.cohen`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import scipy
from numpy.typing import ArrayLike, NDArray

from safetyops.quality.bootstrap import percentile_bootstrap
from safetyops.quality.enums import Level

Weights = str | None  # None, or one of KappaWeights
FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

LEVELS: tuple[str, ...] = tuple(level.value for level in Level)


@dataclass(frozen=True)
class AgreementResult:
    """One agreement statistic; `value` is None and `reason` says why when it is undefined."""

    metric: str
    value: float | None
    ci_low: float | None
    ci_high: float | None
    n_items: int
    n_raters: int
    n_ratings: int
    percent_agreement: float | None
    observed: float | None = None
    expected: float | None = None
    se: float | None = None
    z: float | None = None
    confidence: float = 0.95
    variant: str | None = None
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def finite_or_none(x: float | np.floating[Any] | None) -> float | None:
    """Plain float, or None for None/NaN/inf (never a silent NaN)."""
    if x is None or not np.isfinite(x):
        return None
    return float(x)


# ----------------------------------------------------------------------------------------------- inputs


def count_matrix(items: ArrayLike, labels: ArrayLike, n_items: int, n_categories: int) -> IntArray:
    """Items × categories count matrix from integer-coded (item, label) pairs."""
    it = np.asarray(items, dtype=np.int64)
    lb = np.asarray(labels, dtype=np.int64)
    flat = np.bincount(it * n_categories + lb, minlength=n_items * n_categories)
    return flat.reshape(n_items, n_categories).astype(np.int64, copy=False)


def reliability_counts(data: ArrayLike) -> tuple[IntArray, FloatArray, int]:
    """Units × values counts, sorted values and rater count from raters × units data (NaN = missing)."""
    arr = np.atleast_2d(np.asarray(data, dtype=np.float64))
    mask = ~np.isnan(arr)
    values, codes = _value_codes(arr[mask])
    if len(values) and not np.isfinite(values[[0, -1]]).all():
        raise ValueError("ratings must be finite numbers (NaN marks a missing value)")
    units = np.broadcast_to(np.arange(arr.shape[1]), arr.shape)[mask]
    counts = count_matrix(units, codes, arr.shape[1], max(len(values), 1))[:, : len(values)]
    return counts, values.astype(np.float64), int(mask.any(axis=1).sum())


def _value_codes(x: FloatArray) -> tuple[FloatArray, IntArray]:
    """Sorted distinct values and each entry's index; a bincount fast path for small whole numbers."""
    with np.errstate(invalid="ignore"):
        ints = x.astype(np.int64)
    if len(x) and ints.min() >= 0 and ints.max() <= 4 * len(x) + 1024 and np.array_equal(ints, x):
        present = np.flatnonzero(np.bincount(ints))
        lookup = np.zeros(int(present[-1]) + 1, np.int64)
        lookup[present] = np.arange(len(present))
        return present.astype(np.float64), lookup[ints]
    values, codes = np.unique(x, return_inverse=True)
    return values.astype(np.float64), codes.reshape(-1).astype(np.int64)


def _as_counts(counts: ArrayLike) -> FloatArray:
    """An items × categories float matrix (a 1-D input is one item; empty input is 0 × 0)."""
    c = np.asarray(counts, dtype=np.float64)
    if c.ndim == 1:
        c = c.reshape(1, -1) if c.size else c.reshape(0, 0)
    if c.ndim != 2:
        raise ValueError(f"counts must be an items × categories matrix, got shape {c.shape}")
    return c


def _rowsum(x: FloatArray) -> FloatArray:
    """Row sums as a matrix-vector product (much faster than sum(axis=1) for few columns)."""
    return np.asarray(x @ np.ones(x.shape[1]), dtype=np.float64)


def _pair_agreement(counts: FloatArray) -> tuple[FloatArray, NDArray[np.bool_]]:
    """Per-item share of agreeing rater pairs and the mask of items with ≥ 2 ratings."""
    n_i = _rowsum(counts)
    pairable = n_i >= 2
    den = np.where(pairable, n_i * (n_i - 1), 1.0)
    return _rowsum(counts * (counts - 1)) / den * pairable, pairable


def percent_agreement(counts: ArrayLike) -> float | None:
    """Raw agreement: mean over items with ≥ 2 ratings of the share of rater pairs that agree."""
    c = _as_counts(counts)
    p_i, pairable = _pair_agreement(c)
    return float(p_i[pairable].mean()) if pairable.any() else None


# -------------------------------------------------------------------------------------------- Fleiss


def fleiss_kappa(
    counts: ArrayLike,
    confidence: float = 0.95,
    bootstrap: int = 1000,
    seed: int | None = 0,
    n_raters: int | None = None,
) -> AgreementResult:
    """Fleiss' κ from an items × categories count matrix; items may have different numbers of ratings.

    With the same number of ratings on every item this is Fleiss (1971). With different numbers it is the
    generalisation of Gwet, Handbook of Inter-Rater Reliability (4th ed., 2014), ch. 2, "Fleiss' generalized
    kappa" (the one irrCAC computes: R `fleiss.kappa.raw`, Python `CAC.fleiss`): items without ratings are left
    out; observed agreement p_a is the mean, over items with ≥ 2 ratings, of the share of agreeing rater pairs;
    chance agreement p_e = Σ_k π_k², where π_k is the mean over items of the item's share of ratings in
    category k (each item weighs the same, whatever its number of ratings). p_a and π_k are the ones Gwet's
    AC1 uses (`gwet_ac1`), so the two differ only in their chance agreement.

    SE and z are under H0 (Fleiss, Nee & Landis 1979), exact for equal numbers of ratings; with unequal
    numbers N·n(n−1) becomes Σ n_i(n_i−1). The CI is a percentile bootstrap over items.
    """
    c = _as_counts(counts)
    c = c[_rowsum(c) >= 1] if c.size else c
    n_i = c.sum(axis=1)
    p_i, pairable = _pair_agreement(c)
    n_ratings = int(n_i.sum())
    raters = int(n_raters if n_raters is not None else (n_i.max() if len(n_i) else 0))
    base: dict[str, Any] = dict(
        metric="fleiss",
        n_items=int(pairable.sum()),
        n_raters=raters,
        n_ratings=n_ratings,
        confidence=confidence,
    )
    if not pairable.any():
        return AgreementResult(
            value=None,
            ci_low=None,
            ci_high=None,
            percent_agreement=None,
            reason="κ undefined: no item has two or more ratings",
            **base,
        )
    p_bar = float(p_i[pairable].mean())
    p_j = _category_shares(c, n_i)
    p_e = float((p_j**2).sum())
    if np.isclose(p_e, 1.0):
        return AgreementResult(
            value=None,
            ci_low=None,
            ci_high=None,
            percent_agreement=p_bar,
            observed=p_bar,
            expected=p_e,
            reason="κ undefined: every rating is the same category",
            **base,
        )
    kappa = (p_bar - p_e) / (1 - p_e)
    se = _fleiss_se0(p_j, n_i[pairable])
    low, high = percentile_bootstrap(c, _fleiss_stat, bootstrap, confidence, seed)
    return AgreementResult(
        value=kappa,
        ci_low=low,
        ci_high=high,
        percent_agreement=p_bar,
        observed=p_bar,
        expected=p_e,
        se=se,
        z=finite_or_none(kappa / se) if se else None,
        **base,
    )


def _fleiss_se0(p_j: FloatArray, n_i: FloatArray) -> float | None:
    """SE of Fleiss' κ under H0 (Fleiss, Nee & Landis 1979); N·n(n−1) generalised to Σ n_i(n_i−1)."""
    pq = p_j * (1 - p_j)
    s = pq.sum()
    inner = s**2 - (pq * ((1 - p_j) - p_j)).sum()
    pairs = float((n_i * (n_i - 1)).sum())
    if s <= 0 or pairs <= 0 or inner < 0:
        return None
    return float(np.sqrt(2.0) / (s * np.sqrt(pairs)) * np.sqrt(inner))


def _category_shares(c: FloatArray, n_i: FloatArray) -> FloatArray:
    """π_k: the mean over items (each with ≥ 1 rating) of the item's share of ratings in category k."""
    return np.asarray(np.ones(len(c)) @ (c / n_i[:, None]) / len(c), dtype=np.float64)


def _fleiss_stat(w: FloatArray, prof: FloatArray) -> FloatArray:
    """Fleiss' κ for each row of bootstrap weights over count profiles (each with ≥ 1 rating)."""
    p_i, pairable = _pair_agreement(prof)
    with np.errstate(invalid="ignore", divide="ignore"):
        p_bar = (w @ p_i) / (w @ pairable.astype(np.float64))
        p_j = (w @ (prof / _rowsum(prof)[:, None])) / w.sum(axis=1, keepdims=True)
        p_e = (p_j**2).sum(axis=1)
        return np.where(np.isclose(p_e, 1.0), np.nan, (p_bar - p_e) / (1 - p_e))


# ---------------------------------------------------------------------------------------- Krippendorff


def _delta2(values: FloatArray, n_c: FloatArray, level: str) -> FloatArray:
    """Squared difference function δ² between values for the measurement level."""
    if level == Level.NOMINAL:
        return 1.0 - np.eye(len(values))
    if level == Level.ORDINAL:
        mid = np.cumsum(n_c) - n_c / 2.0
        return np.subtract.outer(mid, mid) ** 2
    if level == Level.INTERVAL:
        return np.subtract.outer(values, values) ** 2
    if level == Level.RATIO:
        total = np.add.outer(values, values)
        diff = np.subtract.outer(values, values)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(total == 0, 0.0, (diff / np.where(total == 0, 1.0, total)) ** 2)
    raise ValueError(f"unknown level {level!r}; use one of {', '.join(LEVELS)}")


def _coincidences(c: FloatArray) -> FloatArray:
    """Coincidence matrix o_ck = Σ_u (n_uc n_uk − [c=k] n_uc)/(m_u − 1) over pairable units."""
    inv = 1.0 / (_rowsum(c) - 1)
    return (c * inv[:, None]).T @ c - np.diag(inv @ c)


def krippendorff_alpha_counts(
    counts: ArrayLike,
    values: ArrayLike | None = None,
    level: str = "nominal",
    *,
    n_raters: int = 0,
    bootstrap: int = 1000,
    confidence: float = 0.95,
    seed: int | None = 0,
) -> AgreementResult:
    """Krippendorff's α from a units × values count matrix (coincidence method, vectorised).

    `values` are the numeric values of the columns (ascending; needed for interval/ratio, order for ordinal).
    The CI is a percentile bootstrap over units, resampling per-unit coincidence contributions.
    """
    c_all = _as_counts(counts)
    v = np.arange(c_all.shape[1], dtype=np.float64) if values is None else np.asarray(values, np.float64)
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}; use one of {', '.join(LEVELS)}")
    pairable = _rowsum(c_all) >= 2
    c = c_all if pairable.all() else c_all[pairable]
    base: dict[str, Any] = dict(
        metric="alpha",
        n_items=len(c),
        n_raters=n_raters,
        n_ratings=int(c_all.sum()),
        percent_agreement=percent_agreement(c) if len(c) else None,
        confidence=confidence,
        variant=level,
    )
    if len(c) == 0:
        return AgreementResult(
            value=None,
            ci_low=None,
            ci_high=None,
            reason="α undefined: no pairable values (no unit has two or more values)",
            **base,
        )
    o = _coincidences(c)
    n_c = o.sum(axis=1)
    n = n_c.sum()
    d2 = _delta2(v, n_c, level)
    d_o, d_e = (o * d2).sum() / n, (n_c @ d2 @ n_c) / (n * (n - 1))
    if d_e <= 0:
        return AgreementResult(
            value=None,
            ci_low=None,
            ci_high=None,
            observed=d_o,
            expected=d_e,
            reason="α undefined: only one value occurs (no variation to measure)",
            **base,
        )
    stat = _alpha_stat_ordinal if level == Level.ORDINAL else _alpha_stat_fixed(d2)
    low, high = percentile_bootstrap(c, stat, bootstrap, confidence, seed)
    return AgreementResult(
        value=float(1 - d_o / d_e), ci_low=low, ci_high=high, observed=float(d_o), expected=float(d_e), **base
    )


def _unit_coincidences(prof: FloatArray) -> FloatArray:
    """Per-profile coincidence contributions, profiles × V × V."""
    scaled = prof / (prof.sum(axis=1) - 1)[:, None]
    return scaled[:, :, None] * prof[:, None, :] - scaled[:, :, None] * np.eye(prof.shape[1])[None]


def _alpha_stat_fixed(d2: FloatArray) -> Callable[[FloatArray, FloatArray], FloatArray]:
    """Bootstrap α for a level whose δ² does not depend on the marginals (nominal, interval, ratio)."""

    def stat(w: FloatArray, prof: FloatArray) -> FloatArray:
        scaled = prof / (prof.sum(axis=1) - 1)[:, None]
        d_unit = ((scaled @ d2) * prof).sum(axis=1)  # Σ_ck o_uck δ²_ck; δ²_cc = 0
        n_b = w @ prof
        tot = n_b.sum(axis=1)
        d_e = ((n_b @ d2) * n_b).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(d_e > 0, 1 - (tot - 1) * (w @ d_unit) / d_e, np.nan)

    return stat


def _alpha_stat_ordinal(w: FloatArray, prof: FloatArray) -> FloatArray:
    """Bootstrap ordinal α: δ² follows each resample's marginals."""
    v = prof.shape[1]
    o_b = (w @ _unit_coincidences(prof).reshape(len(prof), v * v)).reshape(-1, v, v)
    n_b = o_b.sum(axis=2)
    mid = np.cumsum(n_b, axis=1) - n_b / 2.0
    d2 = (mid[:, :, None] - mid[:, None, :]) ** 2
    tot = n_b.sum(axis=1)
    d_e = np.einsum("bi,bij,bj->b", n_b, d2, n_b)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(d_e > 0, 1 - (tot - 1) * (o_b * d2).sum(axis=(1, 2)) / d_e, np.nan)


def krippendorff_alpha(
    data: ArrayLike,
    level: str = "nominal",
    *,
    bootstrap: int = 1000,
    confidence: float = 0.95,
    seed: int | None = 0,
) -> AgreementResult:
    """Krippendorff's α from a raters × units reliability matrix with NaN for missing values."""
    counts, values, n_raters = reliability_counts(data)
    return krippendorff_alpha_counts(
        counts, values, level, n_raters=n_raters, bootstrap=bootstrap, confidence=confidence, seed=seed
    )


# --------------------------------------------------------------------------------------------- Gwet


def gwet_ac1(counts: ArrayLike, confidence: float = 0.95, n_raters: int | None = None) -> AgreementResult:
    """Gwet's AC1 from items × categories counts whose columns are the whole category list (the taxonomy).

    Chance agreement uses every listed category, observed or not; SE as in Gwet (2008) / irrCAC.
    """
    c = _as_counts(counts)
    q = c.shape[1]
    c = c[c.sum(axis=1) >= 1]
    n_i = c.sum(axis=1)
    p_i, pairable = _pair_agreement(c)
    base: dict[str, Any] = dict(
        metric="ac1",
        n_items=int(pairable.sum()),
        n_ratings=int(n_i.sum()),
        confidence=confidence,
        n_raters=int(n_raters if n_raters is not None else (n_i.max() if len(n_i) else 0)),
    )
    if q < 2 or not pairable.any():
        why = "needs at least two categories" if q < 2 else "no item has two or more ratings"
        return AgreementResult(
            value=None,
            ci_low=None,
            ci_high=None,
            percent_agreement=None,
            reason=f"AC1 undefined: {why}",
            **base,
        )
    n, n2 = len(c), int(pairable.sum())
    p_a = float(p_i[pairable].mean())
    pi = (c / n_i[:, None]).mean(axis=0)
    p_e = float((pi * (1 - pi)).sum() / (q - 1))
    ac1 = (p_a - p_e) / (1 - p_e)
    ac1_i = (n / n2) * (p_i - p_e * pairable) / (1 - p_e)
    pe_i = (c @ (1 - pi)) / n_i / (q - 1)
    star = ac1_i - 2 * (1 - ac1) * (pe_i - p_e) / (1 - p_e)
    se = float(np.sqrt(((star - ac1) ** 2).sum() / (n * (n - 1)))) if n > 1 else None
    half = float(scipy.stats.t.ppf(1 - (1 - confidence) / 2, n - 1)) * se if se is not None else None
    return AgreementResult(
        value=ac1,
        ci_low=None if half is None else max(-1.0, ac1 - half),
        ci_high=None if half is None else min(1.0, ac1 + half),
        percent_agreement=p_a,
        observed=p_a,
        expected=p_e,
        se=se,
        z=finite_or_none(ac1 / se) if se else None,
        **base,
    )


def percent_agreement_result(
    counts: ArrayLike,
    confidence: float = 0.95,
    bootstrap: int = 1000,
    seed: int | None = 0,
    n_raters: int | None = None,
) -> AgreementResult:
    """Raw percent agreement with a percentile bootstrap CI over items."""
    c = _as_counts(counts)
    n_i = c.sum(axis=1)
    _, pairable = _pair_agreement(c)
    value = percent_agreement(c)
    low, high = percentile_bootstrap(c[pairable], _percent_stat, bootstrap, confidence, seed)
    return AgreementResult(
        "percent",
        value,
        low,
        high,
        int(pairable.sum()),
        int(n_raters if n_raters is not None else (n_i.max() if len(n_i) else 0)),
        int(n_i.sum()),
        value,
        observed=value,
        confidence=confidence,
        reason=None if value is not None else "agreement undefined: no item has two or more ratings",
    )


def _percent_stat(w: FloatArray, prof: FloatArray) -> FloatArray:
    p_i, _ = _pair_agreement(prof)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (w @ p_i) / w.sum(axis=1)
