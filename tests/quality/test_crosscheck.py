"""Cross-checks on seeded random data against statsmodels, scikit-learn, krippendorff and crowd-kit."""

from __future__ import annotations

import krippendorff
import numpy as np
import pandas as pd
import pytest
from crowdkit.aggregation import DawidSkene
from sklearn.metrics import cohen_kappa_score, precision_score, recall_score
from statsmodels.stats import inter_rater
from statsmodels.stats.proportion import proportion_confint

from safetyops.quality.aggregation import dawid_skene, majority_vote
from safetyops.quality.agreement import count_matrix, fleiss_kappa, gwet_ac1, krippendorff_alpha
from safetyops.quality.cohen import cohen_kappa, cohen_kappa_table, pairwise_agreement
from safetyops.quality.intervals import clopper_pearson, wilson

SEEDS = range(6)
pytestmark = pytest.mark.filterwarnings("ignore:The (inplace|copy) keyword")


def _noisy_raters(rng: np.random.Generator, items: int, raters: int, k: int, accuracy: float) -> np.ndarray:
    truth = rng.integers(0, k, items)
    noise = rng.integers(0, k, (raters, items))
    return np.where(rng.random((raters, items)) < accuracy, truth, noise)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("weights", [None, "linear", "quadratic"])
def test_cohen_vs_sklearn(seed: int, weights: str | None) -> None:
    rng = np.random.default_rng(seed)
    a, b = _noisy_raters(rng, 200, 2, 4, 0.6)
    ours = cohen_kappa(a, b, 4, weights)  # type: ignore[arg-type]
    assert ours.value == pytest.approx(cohen_kappa_score(a, b, weights=weights), abs=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
def test_cohen_se_vs_statsmodels(seed: int) -> None:
    rng = np.random.default_rng(seed)
    a, b = _noisy_raters(rng, 150, 2, 3, 0.7)
    table = np.bincount(a * 3 + b, minlength=9).reshape(3, 3)
    ref = inter_rater.cohens_kappa(table)
    ours = cohen_kappa_table(table)
    assert ours.value == pytest.approx(ref.kappa, abs=1e-12)
    assert ours.se == pytest.approx(ref.std_kappa, rel=1e-9)
    assert ours.ci_low == pytest.approx(ref.kappa_low, rel=1e-9)
    assert ours.ci_high == pytest.approx(ref.kappa_upp, rel=1e-9)


@pytest.mark.parametrize("weights", ["linear", "quadratic"])
def test_weighted_cohen_se_vs_statsmodels(weights: str) -> None:
    table = np.array([[20, 5, 3], [6, 15, 4], [2, 5, 30]])
    ref = inter_rater.cohens_kappa(table, wt=weights)
    ours = cohen_kappa_table(table, weights)  # type: ignore[arg-type]
    assert ours.value == pytest.approx(ref.kappa, abs=1e-12)
    assert ours.se == pytest.approx(ref.std_kappa, rel=1e-9)


def _gwet_generalized_fleiss(ratings: list[list[int | None]], q: int) -> tuple[float, float, float]:
    """Reference for unequal numbers of ratings, written from the published formula and kept apart from the
    product code: Gwet, Handbook of Inter-Rater Reliability (4th ed., 2014), ch. 2, Fleiss' generalized kappa.
    Subjects × raters, None = not rated. Returns (κ, p_a, p_e).

    p_a = (1/n') Σ_{i: r_i ≥ 2} Σ_k r_ik (r_ik − 1) / (r_i (r_i − 1)),  n' = #{i: r_i ≥ 2}
    π_k = (1/n) Σ_i r_ik / r_i over the n subjects with r_i ≥ 1;  p_e = Σ_k π_k²;  κ = (p_a − p_e) / (1 − p_e)
    """
    rows = [[v for v in row if v is not None] for row in ratings]
    rows = [row for row in rows if row]
    agree = [
        sum(row.count(k) * (row.count(k) - 1) for k in range(q)) / (len(row) * (len(row) - 1))
        for row in rows
        if len(row) >= 2
    ]
    p_a = sum(agree) / len(agree)
    pi = [sum(row.count(k) / len(row) for row in rows) / len(rows) for k in range(q)]
    p_e = sum(p * p for p in pi)
    return (p_a - p_e) / (1 - p_e), p_a, p_e


@pytest.mark.parametrize("seed", SEEDS)
def test_fleiss_unequal_ratings_vs_gwet_generalized_formula(seed: int) -> None:
    """irrCAC (which implements this form) pins scipy==1.12 and cannot sit beside our test tools, so the
    cross-check is the published formula above, on data where items have 1 to 6 ratings."""
    rng = np.random.default_rng(seed)
    items, raters, q = 60, 6, 4
    full = _noisy_raters(rng, items, raters, q, 0.55).T
    rated = rng.random((items, raters)) < rng.uniform(0.15, 1.0, (items, 1))
    ratings = [
        [int(v) if r else None for v, r in zip(row, mask, strict=True)] for row, mask in zip(full, rated, strict=True)
    ]
    counts = np.array([[sum(v == k for v in row) for k in range(q)] for row in ratings])
    ours = fleiss_kappa(counts, bootstrap=0)
    kappa, p_a, p_e = _gwet_generalized_fleiss(ratings, q)
    assert len({int(n) for n in counts.sum(axis=1)}) >= 4  # unequal numbers of ratings, some items with 0 or 1
    assert ours.value == pytest.approx(kappa, abs=1e-12)
    assert (ours.observed, ours.expected) == pytest.approx((p_a, p_e), abs=1e-12)
    boot = fleiss_kappa(counts, bootstrap=300)  # the bootstrap resamples the same statistic
    assert boot.ci_low is not None and boot.ci_high is not None and boot.ci_low < kappa < boot.ci_high


@pytest.mark.parametrize("seed", SEEDS)
def test_fleiss_vs_statsmodels(seed: int) -> None:
    rng = np.random.default_rng(seed)
    ratings = _noisy_raters(rng, 80, 5, 4, 0.5)
    counts = np.stack([(ratings == k).sum(axis=0) for k in range(4)], axis=1)
    assert fleiss_kappa(counts, bootstrap=0).value == pytest.approx(inter_rater.fleiss_kappa(counts), abs=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval", "ratio"])
def test_alpha_vs_krippendorff(seed: int, level: str) -> None:
    rng = np.random.default_rng(seed)
    data = _noisy_raters(rng, 60, 4, 5, 0.6).astype(float) + 1
    data[rng.random(data.shape) < 0.25] = np.nan  # missing values
    ref = krippendorff.alpha(reliability_data=data, level_of_measurement=level)
    assert krippendorff_alpha(data, level, bootstrap=0).value == pytest.approx(ref, abs=1e-10)


def test_alpha_vs_krippendorff_real_valued() -> None:
    rng = np.random.default_rng(9)
    truth = rng.normal(10, 3, 40)
    data = truth + rng.normal(0, 1.5, (3, 40))
    data[rng.random(data.shape) < 0.2] = np.nan
    for level in ("interval", "ratio"):
        ref = krippendorff.alpha(reliability_data=data, level_of_measurement=level)
        assert krippendorff_alpha(data, level, bootstrap=0).value == pytest.approx(ref, abs=1e-10)


def test_pairwise_vs_sklearn() -> None:
    rng = np.random.default_rng(3)
    ratings = _noisy_raters(rng, 120, 4, 3, 0.6)
    missing = rng.random(ratings.shape) < 0.3
    rater, item = np.nonzero(~missing)
    labels = ratings[rater, item]
    pw = pairwise_agreement(item, rater, labels, 120, 4, 3)
    for a in range(4):
        for b in range(a + 1, 4):
            both = ~missing[a] & ~missing[b]
            assert pw.n[a, b] == both.sum()
            assert pw.percent[a, b] == pytest.approx((ratings[a, both] == ratings[b, both]).mean())
            ref = cohen_kappa_score(ratings[a, both], ratings[b, both], labels=[0, 1, 2])
            assert pw.kappa[a, b] == pytest.approx(ref, abs=1e-12)
    rows = pw.rows()
    assert len(rows) == 6 and set(rows[0]) == {"rater_a", "rater_b", "n", "percent_agreement", "kappa"}


@pytest.mark.parametrize("seed", SEEDS)
def test_majority_vote_precision_recall_vs_sklearn(seed: int) -> None:
    """Per-class precision/recall of MV labels against the truth, computed from our confusion counts."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 3, 300)
    ratings = np.where(rng.random((5, 300)) < 0.6, truth, rng.integers(0, 3, (5, 300)))
    rater, item = np.nonzero(np.ones_like(ratings, dtype=bool))
    mv = majority_vote(item, ratings[rater, item], 300, 3, tie="severity", severity_order=[2, 1, 0])
    confusion = count_matrix(truth, mv.labels, 3, 3)
    precision = np.diag(confusion) / confusion.sum(axis=0)
    recall = np.diag(confusion) / confusion.sum(axis=1)
    assert precision == pytest.approx(precision_score(truth, mv.labels, average=None))
    assert recall == pytest.approx(recall_score(truth, mv.labels, average=None))


def _separated_crowd(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    items, raters, k = 400, 12, 3
    truth = rng.choice(k, items, p=[0.5, 0.3, 0.2])
    acc = rng.uniform(0.65, 0.95, raters)
    rows = [(i, r) for i in range(items) for r in rng.choice(raters, 5, replace=False)]
    item, rater = np.asarray(rows).T
    right = rng.random(len(item)) < acc[rater]
    label = np.where(right, truth[item], (truth[item] + rng.integers(1, k, len(item))) % k)
    return item, rater, label, truth


@pytest.mark.parametrize("seed", range(3))
def test_dawid_skene_vs_crowdkit(seed: int) -> None:
    item, rater, label, truth = _separated_crowd(seed)
    ours = dawid_skene(item, rater, label, 400, 12, 3, smoothing=0.0, tol=1e-10, max_iter=500)
    # crowd-kit 1.4.2 stops early on its own tolerance: give it many iterations and a tiny tol
    frame = pd.DataFrame({"task": item, "worker": rater, "label": label})
    ref = DawidSkene(n_iter=500, tol=1e-12).fit(frame).labels_.sort_index().to_numpy()
    assert (ours.labels == ref).mean() >= 0.99
    assert (ours.labels == truth).mean() >= 0.9
    assert ours.converged


def test_wilson_and_clopper_pearson_vs_statsmodels() -> None:
    for k, n in [(0, 10), (3, 10), (182, 200), (50, 50), (1, 1000)]:
        w, cp = wilson(k, n), clopper_pearson(k, n)
        assert (w.ci_low, w.ci_high) == pytest.approx(proportion_confint(k, n, method="wilson"), abs=1e-12)
        assert (cp.ci_low, cp.ci_high) == pytest.approx(proportion_confint(k, n, method="beta"), abs=1e-10)


@pytest.mark.parametrize("seed", SEEDS)
def test_ac1_matches_gwet_two_rater_closed_form(seed: int) -> None:
    """Gwet (2008): two-rater AC1 and its variance from the joint table; the multi-rater (irrCAC) form
    used here divides by n − 1 instead of n, so the SEs differ by exactly sqrt(n / (n − 1))."""
    rng = np.random.default_rng(seed)
    n, q = 150, 4
    truth = rng.integers(0, q, n)
    a = np.where(rng.random(n) < 0.8, truth, rng.integers(0, q, n))
    b = np.where(rng.random(n) < 0.7, truth, rng.integers(0, q, n))
    ours = gwet_ac1(count_matrix(np.r_[np.arange(n), np.arange(n)], np.r_[a, b], n, q))
    p = np.bincount(a * q + b, minlength=q * q).reshape(q, q) / n
    p_a, pi = np.trace(p), (p.sum(axis=1) + p.sum(axis=0)) / 2
    p_e = (pi * (1 - pi)).sum() / (q - 1)
    ac1 = (p_a - p_e) / (1 - p_e)
    t2 = (np.diag(p) * (1 - pi)).sum() / (q - 1) - p_a * p_e
    t3 = (p * (1 - (pi[:, None] + pi[None, :]) / 2) ** 2).sum() / (q - 1) ** 2 - p_e**2
    var = (p_a * (1 - p_a) - 4 * (1 - ac1) * t2 + 4 * (1 - ac1) ** 2 * t3) / (n * (1 - p_e) ** 2)
    assert ours.value == pytest.approx(ac1, abs=1e-12)
    assert ours.se == pytest.approx(np.sqrt(var * n / (n - 1)), rel=1e-9)
