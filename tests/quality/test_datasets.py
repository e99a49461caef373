"""Real data end to end: Davidson et al. (2017) and ConvAbuse (EMNLP 2021, CC BY 4.0).
Dawid & Skene's (1979) anaesthetists are in test_dawid_skene_1979.py."""

from __future__ import annotations

import csv
import gzip

import krippendorff
import numpy as np
import pytest

from safetyops.quality.aggregation import dawid_skene, encode_labels, majority_vote
from safetyops.quality.agreement import count_matrix, fleiss_kappa, gwet_ac1, krippendorff_alpha
from safetyops.quality.cohen import pairwise_agreement

from .conftest import DATA

DAVIDSON = DATA / "davidson2017" / "counts.csv.gz"


@pytest.fixture(scope="module")
def davidson() -> dict[str, np.ndarray]:
    """Davidson et al. (2017): per tweet, how many of its 3–9 coders chose hate speech / offensive / neither,
    and the authors' majority class (0, 1, 2 in that order)."""
    with gzip.open(DAVIDSON, "rt", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    counts = np.array([[r["hate_speech"], r["offensive_language"], r["neither"]] for r in rows], np.int64)
    return {
        "counts": counts,
        "count": np.array([r["count"] for r in rows], np.int64),
        "class": np.array([r["class"] for r in rows], np.int64),
    }


def test_davidson_majority_vote_is_the_authors_class(davidson: dict[str, np.ndarray]) -> None:
    """Unequal numbers of ratings per item (3, 4, 6, 7 or 9 coders): the vote over the expanded ratings gives
    the class the authors published for every one of the 24,783 tweets (none of them is tied)."""
    counts = davidson["counts"]
    n_items = len(counts)
    assert n_items == 24783 and np.array_equal(counts.sum(axis=1), davidson["count"])
    assert set(np.unique(davidson["count"]).tolist()) == {3, 4, 6, 7, 9}
    items = np.repeat(np.repeat(np.arange(n_items), 3), counts.ravel())
    labels = np.repeat(np.tile(np.arange(3), n_items), counts.ravel())
    mv = majority_vote(items, labels, n_items, 3)
    assert not mv.tied.any()
    assert np.array_equal(mv.labels, davidson["class"])
    assert np.array_equal(count_matrix(items, labels, n_items, 3), counts)


@pytest.fixture(scope="module")
def ca_matrix(convabuse: dict[str, np.ndarray]) -> np.ndarray:
    matrix = np.full((8, convabuse["n_items"]), np.nan)
    matrix[convabuse["rater"], convabuse["item"]] = convabuse["score"]
    return matrix


@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval"])
def test_convabuse_alpha_matches_krippendorff(ca_matrix: np.ndarray, level: str) -> None:
    ref = krippendorff.alpha(reliability_data=ca_matrix, level_of_measurement=level)
    ours = krippendorff_alpha(ca_matrix, level, bootstrap=300)
    assert ours.value == pytest.approx(ref, abs=1e-10)
    assert ours.ci_low is not None and ours.ci_high is not None
    assert ours.ci_low < ours.value < ours.ci_high and ours.ci_high - ours.ci_low < 0.1
    assert (ours.n_items, ours.n_raters) == (4185, 8)


def test_convabuse_sensible_values(ca_matrix: np.ndarray, convabuse: dict[str, np.ndarray]) -> None:
    nominal = krippendorff_alpha(ca_matrix, "nominal", bootstrap=0).value
    ordinal = krippendorff_alpha(ca_matrix, "ordinal", bootstrap=0).value
    assert nominal is not None and ordinal is not None
    # moderate agreement; the ordered scale credits near-misses (mildly vs strongly abusive)
    assert 0.35 < nominal < 0.55 < ordinal < 0.75
    e = encode_labels(convabuse["item"], convabuse["rater"], convabuse["score"])
    counts = count_matrix(e.items, e.labels, e.n_items, e.n_classes)
    fleiss = fleiss_kappa(counts)
    assert fleiss.value == pytest.approx(nominal, abs=0.01)  # Fleiss' κ ≈ nominal α for many units
    assert fleiss.percent_agreement is not None and 0.75 < fleiss.percent_agreement < 0.85
    ac1 = gwet_ac1(counts)
    assert ac1.value is not None and ac1.value > fleiss.value  # skewed prevalence: AC1 > κ


def test_convabuse_pairwise(convabuse: dict[str, np.ndarray]) -> None:
    e = encode_labels(convabuse["item"], convabuse["rater"], convabuse["score"])
    pw = pairwise_agreement(e.items, e.raters, e.labels, e.n_items, e.n_raters, e.n_classes)
    rows = pw.rows()
    assert len(rows) == 28
    assert all(r["n"] > 200 for r in rows)
    kappas = np.asarray([r["kappa"] for r in rows])
    assert 0.1 < kappas.min() < kappas.max() < 0.8
    assert all(0.6 < r["percent_agreement"] < 0.95 for r in rows)


def test_convabuse_dawid_skene(convabuse: dict[str, np.ndarray]) -> None:
    e = encode_labels(convabuse["item"], convabuse["rater"], convabuse["score"])
    ds = dawid_skene(e.items, e.raters, e.labels, e.n_items, e.n_raters, e.n_classes, max_iter=300, threshold=0.7)
    mv = majority_vote(e.items, e.labels, e.n_items, e.n_classes)
    assert ds.converged and (ds.labels >= 0).all()
    assert ds.priors is not None and e.classes[int(np.argmax(ds.priors))] == 1  # most turns are not abusive
    agree = (ds.labels == mv.labels) | mv.tied
    assert agree.mean() > 0.95
    assert 0 < ds.needs_review.sum() < 0.2 * e.n_items
