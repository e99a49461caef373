"""Degenerate input gives a defined result with a reason: never NaN, never a crash."""

from __future__ import annotations

import math

import numpy as np
import pytest

from safetyops.quality.aggregation import dawid_skene, encode_labels, majority_vote, weighted_vote
from safetyops.quality.agreement import (
    AgreementResult,
    fleiss_kappa,
    gwet_ac1,
    krippendorff_alpha,
    krippendorff_alpha_counts,
    percent_agreement,
    percent_agreement_result,
)
from safetyops.quality.cohen import cohen_kappa, cohen_kappa_table, pairwise_agreement
from safetyops.quality.intervals import clopper_pearson, proportion_ci, wilson

NAN = np.nan


def _no_nan(result: AgreementResult) -> None:
    for value in result.as_dict().values():
        assert not (isinstance(value, float) and math.isnan(value))


def _undefined(result: AgreementResult, words: str) -> None:
    _no_nan(result)
    assert result.value is None and result.ci_low is None and result.ci_high is None
    assert result.reason is not None and words in result.reason


@pytest.mark.parametrize("data", [[], [[]], [[NAN, NAN], [NAN, NAN]], [[1, 2, 3]], [[1, NAN], [NAN, 2]]])
def test_alpha_without_pairable_values(data: list[list[float]]) -> None:
    for level in ("nominal", "ordinal", "interval", "ratio"):
        _undefined(krippendorff_alpha(data, level), "no pairable values")


def test_alpha_one_value_only() -> None:
    _undefined(krippendorff_alpha([[2, 2, 2], [2, 2, NAN]]), "only one value")


def test_alpha_bad_level() -> None:
    with pytest.raises(ValueError, match="unknown level"):
        krippendorff_alpha([[1, 2], [1, 2]], "cardinal")


def test_fleiss_degenerate() -> None:
    _undefined(fleiss_kappa([]), "no item has two or more ratings")
    _undefined(fleiss_kappa([[1, 0], [0, 1]]), "no item has two or more ratings")  # single rater
    _undefined(fleiss_kappa([[3, 0], [2, 0]]), "same category")
    _undefined(fleiss_kappa([[3], [2]]), "same category")  # one category only


def test_fleiss_unequal_ratings_per_item() -> None:
    result = fleiss_kappa([[2, 0, 0], [1, 1, 1], [0, 4, 0], [0, 0, 1]], bootstrap=0)
    _no_nan(result)
    assert result.value is not None and result.n_items == 3 and result.n_ratings == 10


def test_cohen_degenerate() -> None:
    _undefined(cohen_kappa_table([[0, 0], [0, 0]]), "no item was rated by both")
    _undefined(cohen_kappa_table([[7, 0], [0, 0]]), "chance agreement is 1")
    _undefined(cohen_kappa([0, -1], [-1, 1], 2), "no item was rated by both")
    with pytest.raises(ValueError, match="square"):
        cohen_kappa_table([[1, 2, 3], [4, 5, 6]])


def test_ac1_degenerate() -> None:
    _undefined(gwet_ac1([[3], [2]]), "at least two categories")
    _undefined(gwet_ac1([[1, 0], [0, 1]]), "no item has two or more ratings")
    _undefined(gwet_ac1([]), "at least two categories")
    one_category = gwet_ac1([[3, 0, 0], [2, 0, 0]])  # two more taxonomy categories never used
    assert one_category.value == pytest.approx(1.0)


def test_ac1_uses_the_whole_category_list() -> None:
    counts = np.array([[3, 0], [2, 1], [0, 3], [3, 0]])
    narrow, wide = gwet_ac1(counts), gwet_ac1(np.hstack([counts, np.zeros((4, 3))]))
    assert narrow.value is not None and wide.value is not None
    assert wide.expected is not None and narrow.expected is not None and wide.expected < narrow.expected


def test_percent_agreement_degenerate() -> None:
    assert percent_agreement([]) is None
    result = percent_agreement_result([[1, 0]])
    _undefined(result, "no item has two or more ratings")


def test_alpha_counts_all_zero() -> None:
    _undefined(krippendorff_alpha_counts(np.zeros((3, 2))), "no pairable values")


def test_pairwise_with_disjoint_raters() -> None:
    pw = pairwise_agreement([0, 1], [0, 1], [0, 1], 2, 2, 2)
    assert pw.rows() == [{"rater_a": "0", "rater_b": "1", "n": 0, "percent_agreement": None, "kappa": None}]


def test_aggregation_empty_and_single() -> None:
    empty = np.zeros(0, np.int64)
    for res in (
        majority_vote(empty, empty, 0, 2),
        dawid_skene(empty, empty, empty, 0, 0, 2),
        weighted_vote(empty, empty, empty, 0, 2, []),
    ):
        assert len(res.labels) == 0
    mv = majority_vote([0, 0], [1, 1], 3, 2)  # items 1 and 2 have no labels
    assert mv.labels.tolist() == [1, -1, -1] and mv.needs_review.tolist() == [False, True, True]
    ds = dawid_skene([0, 1], [0, 0], [1, 0], 2, 1, 2)  # single rater
    assert ds.labels.tolist() == [1, 0] and ds.log_likelihood is not None and np.isfinite(ds.log_likelihood)


def test_tie_policies() -> None:
    items, labels = [0, 0, 1, 1, 1], [0, 1, 2, 2, 0]
    mv = majority_vote(items, labels, 2, 3)
    assert mv.labels.tolist() == [-1, 2] and mv.tied.tolist() == [True, False]
    assert mv.review_items.tolist() == [0]
    sev = majority_vote(items, labels, 2, 3, tie="severity", severity_order=[1, 0, 2])
    assert sev.labels.tolist() == [1, 2] and sev.confidence[0] == 0.5
    with pytest.raises(ValueError, match="severity order"):
        majority_vote(items, labels, 2, 3, tie="severity")
    with pytest.raises(ValueError, match="tie policy"):
        majority_vote(items, labels, 2, 3, tie="coin")  # type: ignore[arg-type]


def test_threshold_flags_low_confidence() -> None:
    mv = majority_vote([0, 0, 0, 1, 1, 1], [0, 0, 1, 1, 1, 1], 2, 2, threshold=0.7)
    assert mv.needs_review.tolist() == [True, False]


def test_weighted_vote_follows_accurate_raters() -> None:
    # two weak raters say 0, one expert says 1
    res = weighted_vote([0, 0, 0], [0, 1, 2], [0, 0, 1], 1, 2, [0.55, 0.55, 0.99])
    assert res.labels.tolist() == [1] and 0.5 < res.confidence[0] < 1


def test_encode_labels() -> None:
    enc = encode_labels(["b", "a", "b"], ["x", "y", "x"], ["severe", "none", "mild"], ["none", "mild", "severe"])
    assert enc.labels.tolist() == [2, 0, 1] and enc.items.tolist() == [1, 0, 1]
    assert (enc.n_items, enc.n_raters, enc.n_classes) == (2, 2, 3)
    with pytest.raises(ValueError, match="not in the category list"):
        encode_labels([1], [1], ["other"], ["none"])
    with pytest.raises(ValueError, match="same length"):
        encode_labels([1, 2], [1], [1])


def test_intervals_edges() -> None:
    assert wilson(0, 0).value is None and wilson(0, 0).reason
    assert clopper_pearson(0, 0).reason
    assert clopper_pearson(0, 5).ci_low == 0.0 and clopper_pearson(5, 5).ci_high == 1.0
    with pytest.raises(ValueError):
        wilson(3, 2)
    with pytest.raises(ValueError, match="unknown interval"):
        proportion_ci(1, 2, "exact")  # type: ignore[arg-type]


def test_dawid_skene_checks_codes_and_gold_without_labels() -> None:
    with pytest.raises(ValueError, match="label codes"):
        dawid_skene([0], [0], [5], 1, 1, 2)
    with pytest.raises(ValueError, match="gold class"):
        dawid_skene([0], [0], [1], 1, 1, 2, gold=([0], [2]))
    res = dawid_skene([0, 0], [0, 1], [1, 1], 2, 2, 2, gold=([1], [0]))  # item 1 has no labels, only gold
    assert res.labels[1] == 0 and not res.needs_review[1]


def test_alpha_rejects_infinite_values() -> None:
    with pytest.raises(ValueError, match="finite"):
        krippendorff_alpha([[1.0, np.inf], [1.0, 2.0]])
