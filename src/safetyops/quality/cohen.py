"""Agreement between two raters: Cohen's κ (unweighted, linear or quadratic weights) from their joint table or
their label columns, and percent agreement and κ for every pair of many raters."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from safetyops.quality.agreement import AgreementResult, FloatArray, IntArray, Weights, finite_or_none
from safetyops.quality.enums import KappaWeights
from safetyops.quality.intervals import z_value


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
    half = z_value(confidence) * se
    return AgreementResult(
        value=kappa,
        ci_low=max(-1.0, kappa - half),
        ci_high=min(1.0, kappa + half),
        se=se,
        z=finite_or_none(kappa / se) if se > 0 else None,
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


def unique_pairs(items: ArrayLike, raters: ArrayLike, n_raters: int) -> NDArray[np.intp]:
    """Indices of the first row of each (item, rater) pair: drop repeated annotations."""
    key = np.asarray(items, dtype=np.int64) * max(n_raters, 1) + np.asarray(raters, dtype=np.int64)
    _, first = np.unique(key, return_index=True)
    return np.sort(first)


def rater_columns(items: ArrayLike, raters: ArrayLike, labels: ArrayLike, n_items: int, n_raters: int) -> IntArray:
    """Items × raters matrix of label codes, −1 where a rater did not rate an item (first rating kept)."""
    it, rt, lb = (np.asarray(x, dtype=np.int64) for x in (items, raters, labels))
    keep = unique_pairs(it, rt, n_raters)
    out = np.full((n_items, n_raters), -1, dtype=np.int64)
    out[it[keep], rt[keep]] = lb[keep]
    return out


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
                "percent_agreement": finite_or_none(self.percent[a, b]),
                "kappa": finite_or_none(self.kappa[a, b]),
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
