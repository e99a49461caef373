"""Percentile bootstrap over units for the agreement statistics, fast: units with the same row of counts are
one profile, and a resample is a weight per profile (how often it was drawn), so a statistic is computed for a
whole block of resamples with a few matrix products instead of once per resample."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

_MAX_CELLS = 4_000_000  # bootstrap chunk size bound (cells of a resample-weight block)


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


def percentile_bootstrap(
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
