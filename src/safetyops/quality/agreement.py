"""Inter-rater agreement: percent agreement, Cohen's κ, Fleiss' κ, Krippendorff's α, Gwet's AC1."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import scipy
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from safetyops.quality.enums import KappaWeights, Level

Weights = str | None  # None, or one of KappaWeights
FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

LEVELS: tuple[str, ...] = tuple(level.value for level in Level)
_MAX_CELLS = 4_000_000  # bootstrap chunk size bound (cells of a resample-weight block)


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


def _f(x: float | np.floating[Any] | None) -> float | None:
    """Plain float, or None for None/NaN/inf (never a silent NaN)."""
    if x is None or not np.isfinite(x):
        return None
    return float(x)


def _z(confidence: float) -> float:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be between 0 and 1 (exclusive), got {confidence}")
    return float(scipy.stats.norm.ppf(1 - (1 - confidence) / 2))


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


def unique_pairs(items: ArrayLike, raters: ArrayLike, n_raters: int) -> NDArray[np.intp]:
    """Indices of the first row of each (item, rater) pair: drop repeated annotations."""
    key = np.asarray(items, dtype=np.int64) * max(n_raters, 1) + np.asarray(raters, dtype=np.int64)
    _, first = np.unique(key, return_index=True)
    return np.sort(first)


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


# ------------------------------------------------------------------------------------------ bootstrap


def _profiles(rows: FloatArray) -> tuple[FloatArray, IntArray, IntArray]:
    """Distinct unit rows, each unit's profile index and profile frequencies.

    Rows of small whole counts are packed into one int64 key each, which is far faster than unique(axis=0).
    """
    if len(rows) == 0:
        return rows, np.zeros(0, np.int64), np.zeros(0, np.int64)
    base = int(rows.max()) + 1
    if rows.shape[1] * np.log2(max(base, 2)) < 62 and np.all(rows == np.floor(rows)) and rows.min() >= 0:
        key = rows.astype(np.int64) @ (base ** np.arange(rows.shape[1], dtype=np.int64))
        _, first, inverse, freq = np.unique(key, return_index=True, return_inverse=True, return_counts=True)
        return rows[first], inverse.reshape(-1).astype(np.int64), freq.astype(np.int64)
    prof, inverse, freq = np.unique(rows, axis=0, return_inverse=True, return_counts=True)
    return prof, inverse.reshape(-1).astype(np.int64), freq.astype(np.int64)


def _resample_weights(inverse: IntArray, freq: IntArray, n_boot: int, rng: np.random.Generator) -> Iterator[FloatArray]:
    """Blocks of bootstrap weights over profiles: how often each profile is drawn when units are resampled."""
    n_units, n_prof = len(inverse), len(freq)
    multinomial = n_prof <= 4096
    chunk = max(1, min(n_boot, _MAX_CELLS // max(n_prof if multinomial else n_units, 1)))
    for start in range(0, n_boot, chunk):
        size = min(chunk, n_boot - start)
        if multinomial:
            yield rng.multinomial(n_units, freq / n_units, size=size).astype(np.float64)
            continue
        drawn = inverse[rng.integers(0, n_units, size=(size, n_units))]
        offset = (np.arange(size)[:, None] * n_prof + drawn).ravel()
        yield np.bincount(offset, minlength=size * n_prof).reshape(size, n_prof).astype(np.float64)


def _bootstrap(
    rows: FloatArray,
    stat: Callable[[FloatArray, FloatArray], FloatArray],
    n_boot: int,
    confidence: float,
    seed: int | None,
) -> tuple[float | None, float | None]:
    """Percentile CI of `stat(weights, profiles)` over unit resamples (undefined resamples are dropped)."""
    if n_boot <= 0 or len(rows) == 0:
        return None, None
    prof, inverse, freq = _profiles(rows)
    rng = np.random.default_rng(seed)
    draws = np.concatenate([stat(w, prof) for w in _resample_weights(inverse, freq, n_boot, rng)])
    draws = draws[np.isfinite(draws)]
    if len(draws) == 0:
        return None, None
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(draws, [tail, 100 - tail])
    return float(low), float(high)


# -------------------------------------------------------------------------------------------- Cohen


def _weight_matrix(k: int, weights: Weights) -> FloatArray:
    """Agreement weights: identity, or 1 − |i−j|/(k−1) (linear), 1 − ((i−j)/(k−1))² (quadratic)."""
    if weights is None:
        return np.eye(k)
    if weights not in list(KappaWeights):
        raise ValueError(f"unknown weights {weights!r}; use {' or '.join(KappaWeights)}")
    dist = np.abs(np.subtract.outer(np.arange(k), np.arange(k))) / max(k - 1, 1)
    return 1.0 - (dist if weights == KappaWeights.LINEAR else dist**2)


def cohen_kappa_table(table: ArrayLike, weights: Weights = None, confidence: float = 0.95) -> AgreementResult:
    """Cohen's κ (optionally weighted) from a square rater-1 × rater-2 table, with Fleiss–Cohen–Everitt SE."""
    t = np.asarray(table, dtype=np.float64)
    if t.ndim != 2 or t.shape[0] != t.shape[1]:
        raise ValueError(f"Cohen's κ needs a square table, got shape {t.shape}")
    metric = "cohen" if weights is None else f"cohen_{weights}"
    n = float(t.sum())
    w = _weight_matrix(t.shape[0], weights)
    if n == 0:
        return AgreementResult(
            metric,
            None,
            None,
            None,
            0,
            2,
            0,
            None,
            variant=weights,
            reason="κ undefined: no item was rated by both raters",
        )
    p = t / n
    row, col = p.sum(axis=1), p.sum(axis=0)
    p_raw = float(np.trace(p))
    p_o, p_e = float((w * p).sum()), float((w * np.outer(row, col)).sum())
    base: dict[str, Any] = dict(
        metric=metric,
        n_items=int(n),
        n_raters=2,
        n_ratings=int(2 * n),
        percent_agreement=p_raw,
        observed=p_o,
        expected=p_e,
        confidence=confidence,
        variant=weights,
    )
    if np.isclose(p_e, 1.0):
        return AgreementResult(
            value=None,
            ci_low=None,
            ci_high=None,
            **base,
            reason="κ undefined: chance agreement is 1 (both raters used one category)",
        )
    kappa = (p_o - p_e) / (1 - p_e)
    se = _cohen_se(p, w, row, col, kappa, p_e, n)
    half = _z(confidence) * se
    return AgreementResult(
        value=kappa,
        ci_low=max(-1.0, kappa - half),
        ci_high=min(1.0, kappa + half),
        se=se,
        z=_f(kappa / se) if se > 0 else None,
        **base,
    )


def _cohen_se(
    p: FloatArray, w: FloatArray, row: FloatArray, col: FloatArray, kappa: float, p_e: float, n: float
) -> float:
    """Asymptotic non-null standard error of (weighted) κ (Fleiss, Cohen & Everitt 1969)."""
    w_row = w @ col  # w̄_i. = Σ_j p_.j w_ij
    w_col = row @ w  # w̄_.j = Σ_i p_i. w_ij
    term = (p * (w - (w_row[:, None] + w_col[None, :]) * (1 - kappa)) ** 2).sum()
    numer = term - (kappa - p_e * (1 - kappa)) ** 2
    if numer <= 1e-12 * max(term, 1.0):  # a difference of nearly equal terms: rounding noise, not variance
        return 0.0
    return float(np.sqrt(numer / (n * (1 - p_e) ** 2)))


def cohen_kappa(
    a: ArrayLike, b: ArrayLike, n_categories: int, weights: Weights = None, confidence: float = 0.95
) -> AgreementResult:
    """Cohen's κ from two raters' category codes per item (−1 = not rated; such items are skipped)."""
    x, y = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
    both = (x >= 0) & (y >= 0)
    flat = np.bincount(x[both] * n_categories + y[both], minlength=n_categories * n_categories)
    return cohen_kappa_table(flat.reshape(n_categories, n_categories), weights, confidence)


# -------------------------------------------------------------------------------------------- Fleiss


def fleiss_kappa(
    counts: ArrayLike,
    confidence: float = 0.95,
    bootstrap: int = 1000,
    seed: int | None = 0,
    n_raters: int | None = None,
) -> AgreementResult:
    """Fleiss' κ from an items × categories count matrix; items may have different numbers of ratings.

    SE and z are under H0 (Fleiss, Nee & Landis 1979); the CI is a percentile bootstrap over items.
    """
    c = _as_counts(counts)
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
    p_j = c.sum(axis=0) / n_ratings
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
    low, high = _bootstrap(c, _fleiss_stat, bootstrap, confidence, seed)
    return AgreementResult(
        value=kappa,
        ci_low=low,
        ci_high=high,
        percent_agreement=p_bar,
        observed=p_bar,
        expected=p_e,
        se=se,
        z=_f(kappa / se) if se else None,
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


def _fleiss_stat(w: FloatArray, prof: FloatArray) -> FloatArray:
    """Fleiss' κ for each row of bootstrap weights over count profiles."""
    p_i, pairable = _pair_agreement(prof)
    with np.errstate(invalid="ignore", divide="ignore"):
        p_bar = (w @ p_i) / (w @ pairable.astype(np.float64))
        marg = w @ prof
        p_j = marg / marg.sum(axis=1, keepdims=True)
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
    low, high = _bootstrap(c, stat, bootstrap, confidence, seed)
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
        z=_f(ac1 / se) if se else None,
        **base,
    )


# ----------------------------------------------------------------------------------------- pairwise


@dataclass(frozen=True)
class PairwiseAgreement:
    """Per rater pair: items rated by both (n), percent agreement, Cohen's κ (NaN where undefined)."""

    raters: tuple[str, ...]
    n: IntArray
    percent: FloatArray
    kappa: FloatArray

    def rows(self) -> list[dict[str, Any]]:
        """One dict per unordered pair; undefined values are None."""
        i, j = np.triu_indices(len(self.raters), k=1)
        return [
            {
                "rater_a": self.raters[a],
                "rater_b": self.raters[b],
                "n": int(self.n[a, b]),
                "percent_agreement": _f(self.percent[a, b]),
                "kappa": _f(self.kappa[a, b]),
            }
            for a, b in zip(i.tolist(), j.tolist(), strict=True)
        ]


def pairwise_agreement(
    items: ArrayLike,
    raters: ArrayLike,
    labels: ArrayLike,
    n_items: int,
    n_raters: int,
    n_categories: int,
    rater_names: Sequence[str] | None = None,
) -> PairwiseAgreement:
    """Percent agreement and Cohen's κ for every rater pair, from one sparse one-hot product."""
    it, rt, lb = (np.asarray(x, dtype=np.int64) for x in (items, raters, labels))
    keep = unique_pairs(it, rt, n_raters)
    it, rt, lb = it[keep], rt[keep], lb[keep]
    k = n_categories
    onehot = sp.csr_matrix((np.ones(len(it)), (it, rt * k + lb)), shape=(n_items, n_raters * k))
    joint = (onehot.T @ onehot).toarray().reshape(n_raters, k, n_raters, k).transpose(0, 2, 1, 3)
    n = joint.sum(axis=(2, 3))
    with np.errstate(invalid="ignore", divide="ignore"):
        p = joint / n[:, :, None, None]
        p_o = np.trace(p, axis1=2, axis2=3)
        p_e = (p.sum(axis=3) * p.sum(axis=2)).sum(axis=2)
        kappa = np.where(np.isclose(p_e, 1.0), np.nan, (p_o - p_e) / (1 - p_e))
    names = tuple(rater_names) if rater_names is not None else tuple(str(r) for r in range(n_raters))
    return PairwiseAgreement(names, n.astype(np.int64), np.where(n > 0, p_o, np.nan), kappa)


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
    low, high = _bootstrap(c[pairable], _percent_stat, bootstrap, confidence, seed)
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


def rater_columns(items: ArrayLike, raters: ArrayLike, labels: ArrayLike, n_items: int, n_raters: int) -> IntArray:
    """Items × raters matrix of label codes, −1 where a rater did not rate an item (first rating kept)."""
    it, rt, lb = (np.asarray(x, dtype=np.int64) for x in (items, raters, labels))
    keep = unique_pairs(it, rt, n_raters)
    out = np.full((n_items, n_raters), -1, dtype=np.int64)
    out[it[keep], rt[keep]] = lb[keep]
    return out
