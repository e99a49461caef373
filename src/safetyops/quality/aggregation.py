"""Label aggregation: majority vote, accuracy-weighted vote and Dawid–Skene EM over integer-coded labels,
and `aggregate_frame`, which runs the chosen method over a LabelFrame with the project's gold answers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from safetyops.errors import InvalidInput, Problem
from safetyops.quality.enums import AggregationMethod, TiePolicy
from safetyops.quality.frame import LabelFrame

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

NO_LABEL = -1
METHODS = tuple(m.value for m in AggregationMethod)
DS_SMOOTHING = 0.01  # default Dirichlet smoothing of Dawid–Skene's counts; 0 is the plain maximum-likelihood fit
DS_MAX_ITER = 1000


@dataclass(frozen=True, eq=False)
class EncodedLabels:
    """Integer-coded (item, rater, label) rows with the original ids of each code."""

    items: IntArray
    raters: IntArray
    labels: IntArray
    item_ids: NDArray[Any]
    rater_ids: NDArray[Any]
    classes: NDArray[Any]

    @property
    def n_items(self) -> int:
        return len(self.item_ids)

    @property
    def n_raters(self) -> int:
        return len(self.rater_ids)

    @property
    def n_classes(self) -> int:
        return len(self.classes)


def _codes(values: NDArray[Any], vocabulary: NDArray[Any] | None, what: str) -> tuple[IntArray, NDArray[Any]]:
    """Codes of `values` in `vocabulary` (sorted distinct values when None); unknown values raise."""
    if vocabulary is None:
        vocab, codes = np.unique(values, return_inverse=True)
        return codes.reshape(-1).astype(np.int64), vocab
    order = np.argsort(vocabulary, kind="stable")
    pos = np.searchsorted(vocabulary[order], values).clip(0, max(len(vocabulary) - 1, 0))
    found = vocabulary[order][pos] == values if len(vocabulary) else np.zeros(len(values), bool)
    if not np.all(found):
        bad = values[~found][0]
        raise ValueError(f"{what} {bad!r} is not in the category list {list(vocabulary)}")
    return order[pos].astype(np.int64), vocabulary


def encode_labels(
    items: ArrayLike, raters: ArrayLike, labels: ArrayLike, classes: Sequence[Any] | None = None
) -> EncodedLabels:
    """Encode arbitrary item, rater and label values as 0-based integer codes (classes in the given order)."""
    it, rt, lb = (np.asarray(x) for x in (items, raters, labels))
    if not len(it) == len(rt) == len(lb):
        raise ValueError("items, raters and labels must have the same length")
    vocab = None
    if classes is not None:
        vocab = np.asarray(list(classes))
        if vocab.dtype.kind not in "iuf" or lb.dtype.kind not in "iuf":
            vocab, lb = vocab.astype(str), lb.astype(str)
        if len(np.unique(vocab)) != len(vocab):
            raise ValueError("the category list has repeated categories")
    item_codes, item_ids = _codes(it, None, "item")
    rater_codes, rater_ids = _codes(rt, None, "rater")
    label_codes, class_ids = _codes(lb, vocab, "label")
    return EncodedLabels(item_codes, rater_codes, label_codes, item_ids, rater_ids, class_ids)


@dataclass(frozen=True, eq=False)
class AggregationResult:
    """Final label per item (−1 = none: tie sent to expert review, or no labels) and its confidence."""

    method: str
    labels: IntArray
    confidence: FloatArray
    posteriors: FloatArray
    tied: BoolArray
    needs_review: BoolArray
    threshold: float
    iterations: int = 0
    converged: bool = True
    log_likelihood: float | None = None
    ll_trace: tuple[float, ...] = ()
    objective_trace: tuple[float, ...] = ()
    priors: FloatArray | None = None
    confusion: FloatArray | None = field(default=None, repr=False)

    @property
    def review_items(self) -> IntArray:
        """Items that need expert review (tie, no labels, or confidence below the threshold)."""
        return np.flatnonzero(self.needs_review).astype(np.int64)


def _severity_rank(n_classes: int, severity_order: Sequence[int] | None) -> FloatArray:
    """Rank per class: position in the severity order (most severe first); unlisted classes after, by code."""
    rank = np.arange(n_classes, dtype=np.float64) + n_classes
    if severity_order is not None:
        order = np.asarray(severity_order, dtype=np.int64)
        rank[order] = np.arange(len(order))
    return rank


def _resolve(
    scores: FloatArray, has_labels: BoolArray, tie: TiePolicy, severity_order: Sequence[int] | None
) -> tuple[IntArray, BoolArray]:
    """Winning class per item and tie flags; ties go to expert review (−1) or the most severe tied class."""
    if tie not in list(TiePolicy):
        raise ValueError(f"unknown tie policy {tie!r}; use {' or '.join(TiePolicy)}")
    if tie == TiePolicy.SEVERITY and severity_order is None:
        raise ValueError("the severity tie policy needs a severity order")
    if scores.shape[1] == 0:
        return np.full(len(scores), NO_LABEL, np.int64), np.zeros(len(scores), bool)
    best = scores.argmax(axis=1)
    top = np.take_along_axis(scores, best[:, None], axis=1)
    at_top = scores >= top - 1e-12 * np.maximum(1.0, np.abs(top))
    tied = (np.count_nonzero(at_top, axis=1) > 1) & has_labels
    if tie == TiePolicy.SEVERITY:
        winner = np.where(at_top, _severity_rank(scores.shape[1], severity_order), np.inf).argmin(axis=1)
    else:
        winner = np.where(tied, NO_LABEL, best)
    return np.where(has_labels, winner, NO_LABEL).astype(np.int64), tied


def _finish(
    method: str,
    posteriors: FloatArray,
    labels: IntArray,
    tied: BoolArray,
    has_labels: BoolArray,
    threshold: float,
    tie: TiePolicy,
    **extra: Any,
) -> AggregationResult:
    """Assemble a result: confidence of the chosen class; review flags for undecided ties, no labels and
    low confidence (a tie the severity policy decided is not sent to review)."""
    picked = np.take_along_axis(posteriors, np.maximum(labels, 0)[:, None], axis=1)[:, 0]
    confidence = np.where(labels >= 0, picked, 0.0)
    undecided = tied & (labels < 0) if tie == TiePolicy.SEVERITY else tied
    review = undecided | ~has_labels | (confidence < threshold)
    return AggregationResult(method, labels, confidence, posteriors, tied, review, threshold, **extra)


def _count_matrix(
    items: IntArray, labels: IntArray, n_items: int, n_classes: int, weights: FloatArray | None = None
) -> FloatArray:
    flat = np.bincount(items * n_classes + labels, weights=weights, minlength=n_items * n_classes)
    return flat.reshape(n_items, n_classes).astype(np.float64)


def majority_vote(
    items: ArrayLike,
    labels: ArrayLike,
    n_items: int,
    n_classes: int,
    *,
    tie: TiePolicy = TiePolicy.EXPERT_REVIEW,
    severity_order: Sequence[int] | None = None,
    threshold: float = 0.0,
) -> AggregationResult:
    """Majority vote; confidence is the winner's vote share. The result does not depend on row order."""
    counts = _count_matrix(np.asarray(items, np.int64), np.asarray(labels, np.int64), n_items, n_classes)
    n_i = counts.sum(axis=1)
    has = n_i > 0
    post = np.divide(counts, n_i[:, None], out=np.full_like(counts, 1.0 / max(n_classes, 1)), where=has[:, None])
    winner, tied = _resolve(counts, has, tie, severity_order)
    return _finish("mv", post, winner, tied, has, threshold, tie)


def rater_accuracy(
    items: ArrayLike, raters: ArrayLike, labels: ArrayLike, reference: ArrayLike, n_raters: int
) -> FloatArray:
    """Each rater's accuracy against reference labels per item (−1 = unknown), with add-one smoothing."""
    it, rt, lb = (np.asarray(x, np.int64) for x in (items, raters, labels))
    ref = np.asarray(reference, np.int64)[it]
    known = ref >= 0
    total = np.bincount(rt[known], minlength=n_raters)
    correct = np.bincount(rt[known], weights=(lb[known] == ref[known]).astype(np.float64), minlength=n_raters)
    return (correct + 1.0) / (total + 2.0)


def weighted_vote(
    items: ArrayLike,
    raters: ArrayLike,
    labels: ArrayLike,
    n_items: int,
    n_classes: int,
    accuracy: ArrayLike,
    *,
    tie: TiePolicy = TiePolicy.EXPERT_REVIEW,
    severity_order: Sequence[int] | None = None,
    threshold: float = 0.0,
) -> AggregationResult:
    """Vote weighted by log((K−1)·a/(1−a)) per rater; confidence is the normalised posterior of the winner.

    This is the exact posterior under a uniform prior when each rater is right with probability a and
    otherwise picks a wrong class uniformly.
    """
    it, rt, lb = (np.asarray(x, np.int64) for x in (items, raters, labels))
    acc = np.clip(np.asarray(accuracy, np.float64), 1e-6, 1 - 1e-6)
    w = np.log(max(n_classes - 1, 1) * acc / (1 - acc))
    scores = _count_matrix(it, lb, n_items, n_classes, weights=w[rt])
    has = np.bincount(it, minlength=n_items) > 0
    shifted = np.exp(scores - scores.max(axis=1, keepdims=True, initial=-np.inf))
    post = shifted / shifted.sum(axis=1, keepdims=True)
    winner, tied = _resolve(scores, has, tie, severity_order)
    return _finish("weighted", post, winner, tied, has, threshold, tie)


def _check_codes(name: str, codes: IntArray, size: int) -> None:
    """Codes must lie in 0..size−1."""
    if len(codes) and (codes.min() < 0 or codes.max() >= size):
        raise ValueError(f"{name} codes must be within 0..{size - 1}, got {codes.min()}..{codes.max()}")


def _gold_arrays(gold: tuple[ArrayLike, ArrayLike] | None, n_items: int, k: int) -> tuple[IntArray, IntArray]:
    if gold is None:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    g_items, g_classes = np.asarray(gold[0], np.int64), np.asarray(gold[1], np.int64)
    if len(g_items) != len(g_classes):
        raise ValueError("gold items and gold classes must have the same length")
    _check_codes("gold item", g_items, n_items)
    _check_codes("gold class", g_classes, k)
    return g_items, g_classes


def _clamp(post: FloatArray, gold_items: IntArray, gold_classes: IntArray) -> FloatArray:
    post[gold_items] = 0.0
    post[gold_items, gold_classes] = 1.0
    return post


def _m_step(
    a_t: sp.csr_matrix, post: FloatArray, n_raters: int, k: int, smoothing: float
) -> tuple[FloatArray, FloatArray]:
    """Class priors and per-rater confusion matrices (rater × true × observed) from soft counts."""
    priors = (np.ones(len(post)) @ post + smoothing) / (len(post) + k * smoothing)
    counts = (a_t @ post).reshape(n_raters, k, k).transpose(0, 2, 1) + smoothing
    totals = counts.sum(axis=2, keepdims=True)
    confusion = np.divide(counts, totals, out=np.full_like(counts, 1.0 / k), where=totals > 0)
    return priors, confusion


def _e_step(
    a: sp.csr_matrix, priors: FloatArray, confusion: FloatArray, gold_items: IntArray, gold_classes: IntArray
) -> tuple[FloatArray, float]:
    """Posteriors over true classes and the marginal log-likelihood (gold items: joint with their class).

    Works class-major (K × N, in place) so that reductions over classes run over contiguous rows.
    """
    n_raters, k, _ = confusion.shape
    with np.errstate(divide="ignore"):
        log_conf = np.log(confusion).transpose(0, 2, 1).reshape(n_raters * k, k)
        joint = np.ascontiguousarray(np.asarray(a @ log_conf).T)
        joint += np.log(priors)[:, None]
    gold_joint = joint[gold_classes, gold_items]
    top = joint.max(axis=0)
    joint -= top
    np.exp(joint, out=joint)
    total = joint.sum(axis=0)
    joint /= total
    per_item = top + np.log(total)
    per_item[gold_items] = gold_joint
    post = _clamp(np.ascontiguousarray(joint.T), gold_items, gold_classes)
    return post, float(per_item.sum())


def _penalty(priors: FloatArray, confusion: FloatArray, smoothing: float) -> float:
    """Log Dirichlet(1 + smoothing) prior density (up to a constant): EM maximises ll + this."""
    if smoothing == 0:
        return 0.0
    with np.errstate(divide="ignore"):
        return float(smoothing * (np.log(confusion).sum() + np.log(priors).sum()))


def dawid_skene(
    items: ArrayLike,
    raters: ArrayLike,
    labels: ArrayLike,
    n_items: int,
    n_raters: int,
    n_classes: int,
    *,
    gold: tuple[ArrayLike, ArrayLike] | None = None,
    smoothing: float = DS_SMOOTHING,
    tol: float = 1e-7,
    max_iter: int = 1000,
    threshold: float = 0.0,
    tie: TiePolicy = TiePolicy.EXPERT_REVIEW,
    severity_order: Sequence[int] | None = None,
) -> AggregationResult:
    """Dawid–Skene EM: class priors and per-rater confusion matrices; gold items are clamped to their class.

    Starts, as Dawid & Skene (1979) do, from each item's share of ratings per class (a rater may rate an item
    more than once: every rating counts), and stops when the marginal log-likelihood changes by less than
    `tol` relative, or after `max_iter` iterations.

    `smoothing` s ≥ 0 adds s to every soft count of the M-step: the fit is then the posterior mode under a
    symmetric Dirichlet(1 + s) prior on the class priors and on each row of each confusion matrix, which keeps
    a rater's rate for a class it was never seen on away from exactly 0 or 1. With s = 0 the M-step is the
    paper's and the fit is the plain maximum-likelihood one (tested against the paper's own estimates).
    """
    if not (np.isfinite(smoothing) and smoothing >= 0):
        raise ValueError(f"smoothing must be a finite number ≥ 0, got {smoothing!r}")
    it, rt, lb = (np.asarray(x, np.int64) for x in (items, raters, labels))
    k = n_classes
    for name, codes, size in (("item", it, n_items), ("rater", rt, n_raters), ("label", lb, k)):
        _check_codes(name, codes, size)
    g_items, g_classes = _gold_arrays(gold, n_items, k)
    a = sp.csr_matrix((np.ones(len(it)), (it, rt * k + lb)), shape=(n_items, n_raters * k))
    has = np.diff(a.indptr) > 0
    has[g_items] = True  # a gold item has its known class even without labels
    counts = _count_matrix(it, lb, n_items, k)
    n_i = counts @ np.ones(k)
    init = np.divide(counts, n_i[:, None], out=np.full_like(counts, 1.0 / k), where=n_i[:, None] > 0)
    fit = _em(a, _clamp(init, g_items, g_classes), n_raters, k, (g_items, g_classes), smoothing, tol, max_iter)
    post = fit.pop("post")
    winner, tied = _resolve(post, has, tie, severity_order)
    return _finish("ds", post, winner, tied, has, threshold, tie, **fit)


def _em(
    a: sp.csr_matrix,
    post: FloatArray,
    n_raters: int,
    k: int,
    gold: tuple[IntArray, IntArray],
    smoothing: float,
    tol: float,
    max_iter: int,
) -> dict[str, Any]:
    """EM iterations from initial posteriors until the relative log-likelihood change is below tol."""
    a_t = a.T  # CSC view: the M-step scatters rows of `post` into a small (R·K × K) result
    ll_trace: list[float] = []
    obj_trace: list[float] = []
    priors, confusion = np.full(k, 1.0 / k), np.full((n_raters, k, k), 1.0 / k)
    converged = False
    for _ in range(max_iter):
        priors, confusion = _m_step(a_t, post, n_raters, k, smoothing)
        post, ll = _e_step(a, priors, confusion, *gold)
        ll_trace.append(ll)
        obj_trace.append(ll + _penalty(priors, confusion, smoothing))
        if len(ll_trace) > 1 and abs(ll - ll_trace[-2]) <= tol * max(abs(ll), 1.0):
            converged = True
            break
    return {
        "post": post,
        "iterations": len(ll_trace),
        "converged": converged,
        "log_likelihood": ll_trace[-1] if ll_trace else None,
        "ll_trace": tuple(ll_trace),
        "objective_trace": tuple(obj_trace),
        "priors": priors,
        "confusion": confusion,
    }


# ------------------------------------------------------------------------------------------------ over a frame


def aggregate_frame(
    frame: LabelFrame,
    gold: dict[int, int],
    method: str,
    tie: TiePolicy,
    threshold: float,
    smoothing: float = DS_SMOOTHING,
) -> tuple[IntArray, AggregationResult, str | None]:
    """Aggregate a frame: the item ids (in result order), the result, and where weights came from.

    `weighted` weighs raters by their accuracy on gold (by the majority vote when no gold item was labeled);
    `ds` clamps gold items to their class and smooths by `smoothing` (see dawid_skene).
    """
    if method not in METHODS:
        raise InvalidInput(f"method must be one of {', '.join(METHODS)}", [Problem(method, "method")])
    if not (np.isfinite(smoothing) and smoothing >= 0):
        raise InvalidInput("smoothing must be a number ≥ 0", [Problem(str(smoothing), "smoothing")])
    q = frame.question
    k = len(q.classes)
    item_ids, items = frame.item_codes()
    rater_ids, raters = frame.labeler_codes()
    severity = q.severity_order()
    if tie == TiePolicy.SEVERITY and severity is None:
        raise InvalidInput(
            f"question '{q.key}' has no severity order (no severities, not ordinal); use tie=expert_review",
            [Problem("no severity order", "tie")],
        )
    known = np.array(sorted(gold), np.int64)
    gold_pos = np.searchsorted(item_ids, known)
    hit = (gold_pos < len(item_ids)) & (item_ids[np.minimum(gold_pos, len(item_ids) - 1)] == known)
    g_items = gold_pos[hit].astype(np.int64)
    g_classes = np.array([gold[int(i)] for i in known[hit].tolist()], np.int64)
    source = None
    if method == "mv":
        res = majority_vote(items, frame.codes, len(item_ids), k, tie=tie, severity_order=severity, threshold=threshold)
    elif method == "weighted":
        reference = np.full(len(item_ids), -1, np.int64)
        if len(g_items):
            reference[g_items], source = g_classes, "gold"
        else:
            reference = majority_vote(items, frame.codes, len(item_ids), k).labels
            source = "majority vote"
        acc = rater_accuracy(items, raters, frame.codes, reference, len(rater_ids))
        res = weighted_vote(
            items, raters, frame.codes, len(item_ids), k, acc, tie=tie, severity_order=severity, threshold=threshold
        )
    else:
        res = dawid_skene(
            items,
            raters,
            frame.codes,
            len(item_ids),
            len(rater_ids),
            k,
            gold=(g_items, g_classes),
            smoothing=smoothing,
            max_iter=DS_MAX_ITER,
            threshold=threshold,
            tie=tie,
            severity_order=severity,
        )
    if tie == TiePolicy.SEVERITY:
        # a tie settled by the severity order is decided: only missing or low-confidence labels need an expert
        res = replace(res, needs_review=(res.labels < 0) | (res.confidence < threshold))
    return item_ids, res, source
