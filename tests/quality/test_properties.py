"""Hypothesis properties: perfect agreement, order invariance, EM monotonicity, order-free MV."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from safetyops.quality.aggregation import dawid_skene, majority_vote, weighted_vote
from safetyops.quality.agreement import (
    LEVELS,
    count_matrix,
    fleiss_kappa,
    gwet_ac1,
    krippendorff_alpha,
    percent_agreement,
)
from safetyops.quality.cohen import cohen_kappa

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def ratings(draw: st.DrawFn, min_raters: int = 2, missing: bool = True) -> tuple[np.ndarray, int]:
    """A raters × items matrix of codes in 0..k−1 with NaN for missing values, and k."""
    k = draw(st.integers(2, 4))
    shape = (draw(st.integers(min_raters, 5)), draw(st.integers(2, 25)))
    codes = draw(hnp.arrays(np.int64, shape, elements=st.integers(0, k - 1))).astype(float)
    if missing:
        codes[draw(hnp.arrays(np.bool_, shape, elements=st.booleans()))] = np.nan
    return codes, k


def _counts(data: np.ndarray, k: int) -> np.ndarray:
    rater, item = np.nonzero(~np.isnan(data))
    return count_matrix(item, data[rater, item].astype(int), data.shape[1], k)


@FAST
@given(truth=hnp.arrays(np.int64, st.integers(2, 30), elements=st.integers(0, 3)), raters=st.integers(2, 5))
def test_perfect_agreement_is_one(truth: np.ndarray, raters: int) -> None:
    data = np.tile(truth.astype(float), (raters, 1))
    counts = _counts(data, 4)
    assert percent_agreement(counts) == 1.0
    defined = len(np.unique(truth)) > 1
    for level in LEVELS:
        alpha = krippendorff_alpha(data + 1, level, bootstrap=0)
        assert (alpha.value == pytest.approx(1.0)) if defined else (alpha.value is None and alpha.reason)
    fleiss = fleiss_kappa(counts, bootstrap=0)
    assert (fleiss.value == pytest.approx(1.0)) if defined else fleiss.reason
    assert gwet_ac1(counts).value == pytest.approx(1.0)  # defined even with one observed category
    cohen = cohen_kappa(truth, truth, 4)
    assert (cohen.value == pytest.approx(1.0)) if defined else cohen.reason


def _same(a: float | None, b: float | None) -> bool:
    return (a is None and b is None) or (a is not None and b is not None and abs(a - b) < 1e-9)


@FAST
@given(case=ratings(), data=st.data())
def test_invariant_to_unit_and_rater_order(case: tuple[np.ndarray, int], data: st.DataObject) -> None:
    matrix, k = case
    units = data.draw(st.permutations(range(matrix.shape[1])))
    raters = data.draw(st.permutations(range(matrix.shape[0])))
    shuffled = matrix[np.asarray(raters)][:, np.asarray(units)]
    for level in LEVELS:
        a, b = (
            krippendorff_alpha(matrix + 1, level, bootstrap=0),
            krippendorff_alpha(shuffled + 1, level, bootstrap=0),
        )
        assert _same(a.value, b.value) and a.reason == b.reason
    c1, c2 = _counts(matrix, k), _counts(shuffled, k)
    assert _same(fleiss_kappa(c1, bootstrap=0).value, fleiss_kappa(c2, bootstrap=0).value)
    assert _same(gwet_ac1(c1).value, gwet_ac1(c2).value)
    assert _same(gwet_ac1(c1).se, gwet_ac1(c2).se)


@FAST
@given(case=ratings(missing=False), data=st.data())
def test_cohen_invariant_to_order_and_rater_swap(case: tuple[np.ndarray, int], data: st.DataObject) -> None:
    matrix, k = case
    a, b = matrix[0].astype(int), matrix[1].astype(int)
    order = np.asarray(data.draw(st.permutations(range(len(a)))))
    base = cohen_kappa(a, b, k, "quadratic")
    for other in (cohen_kappa(b, a, k, "quadratic"), cohen_kappa(a[order], b[order], k, "quadratic")):
        assert _same(base.value, other.value) and _same(base.se, other.se)


def _long(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rater, item = np.nonzero(~np.isnan(matrix))
    return item, rater, matrix[rater, item].astype(np.int64)


@FAST
@given(case=ratings(), smoothing=st.sampled_from([0.0, 0.01, 0.5]))
def test_dawid_skene_likelihood_never_decreases(case: tuple[np.ndarray, int], smoothing: float) -> None:
    matrix, k = case
    item, rater, label = _long(matrix)
    res = dawid_skene(item, rater, label, matrix.shape[1], matrix.shape[0], k, smoothing=smoothing, tol=1e-12)
    # EM climbs the likelihood (smoothing 0) or the penalised likelihood (Dirichlet smoothing)
    trace = np.asarray(res.ll_trace if smoothing == 0 else res.objective_trace)
    assert np.all(np.diff(trace) >= -1e-9 * np.maximum(1.0, np.abs(trace[1:])))
    assert np.allclose(res.posteriors.sum(axis=1), 1.0)


@FAST
@given(case=ratings(), data=st.data(), tie=st.sampled_from(["expert_review", "severity"]))
def test_majority_vote_independent_of_row_order(case: tuple[np.ndarray, int], data: st.DataObject, tie: str) -> None:
    matrix, k = case
    item, rater, label = _long(matrix)
    order = np.asarray(data.draw(st.permutations(range(len(item)))), dtype=np.int64)
    kw = {"tie": tie, "severity_order": list(range(k))[::-1]}
    one = majority_vote(item, label, matrix.shape[1], k, **kw)  # type: ignore[arg-type]
    two = majority_vote(item[order], label[order], matrix.shape[1], k, **kw)  # type: ignore[arg-type]
    assert np.array_equal(one.labels, two.labels) and np.array_equal(one.tied, two.tied)
    assert np.allclose(one.confidence, two.confidence)
    acc = np.linspace(0.6, 0.9, matrix.shape[0])
    w1 = weighted_vote(item, rater, label, matrix.shape[1], k, acc, **kw)  # type: ignore[arg-type]
    w2 = weighted_vote(item[order], rater[order], label[order], matrix.shape[1], k, acc, **kw)  # type: ignore[arg-type]
    assert np.array_equal(w1.labels, w2.labels)
    d1 = dawid_skene(item, rater, label, matrix.shape[1], matrix.shape[0], k)
    d2 = dawid_skene(item[order], rater[order], label[order], matrix.shape[1], matrix.shape[0], k)
    assert np.allclose(d1.posteriors, d2.posteriors, atol=1e-8)
