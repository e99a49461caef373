"""Every published worked example in docs/references.md, reproduced to the digits shown."""

from __future__ import annotations

import numpy as np
import pytest

from safetyops.quality.agreement import fleiss_kappa, gwet_ac1, krippendorff_alpha, reliability_counts
from safetyops.quality.cohen import cohen_kappa_table
from safetyops.quality.intervals import audit_sample_size, z_value, zero_defect_sample_size

from .conftest import FLEISS_WIKI, KRIPP_A, KRIPP_B, KRIPP_C, KRIPP_D, fleiss_1971_counts


@pytest.mark.parametrize(
    ("data", "level", "expected"),
    [
        (KRIPP_A, "nominal", 0.095238),
        (KRIPP_B, "nominal", 0.691964),
        (KRIPP_C, "nominal", 0.743421),
        (KRIPP_C, "ordinal", 0.815388),
        (KRIPP_C, "interval", 0.849107),
        (KRIPP_C, "ratio", 0.797403),
        (KRIPP_D, "nominal", 0.691358),
        (KRIPP_D, "interval", 0.810845),
    ],
)
def test_krippendorff_published(data: list[list[float]], level: str, expected: float) -> None:
    result = krippendorff_alpha(data, level, bootstrap=200)
    assert result.value is not None
    assert round(result.value, 6) == expected
    assert result.ci_low is not None and result.ci_high is not None
    assert result.ci_low <= result.value <= result.ci_high
    assert result.percent_agreement is not None


def test_krippendorff_c_counts() -> None:
    result = krippendorff_alpha(KRIPP_C, bootstrap=0)
    # 12 units, unit 12 has one value only: 11 pairable units, 41 values in all
    assert (result.n_items, result.n_raters, result.n_ratings) == (11, 4, 41)
    assert result.ci_low is None


def test_fleiss_1971() -> None:
    result = fleiss_kappa(fleiss_1971_counts())
    assert round(result.value or 0, 7) == 0.4302445
    assert round(result.se or 0, 6) == 0.024374
    assert round(result.z or 0, 5) == 17.65183
    assert (result.n_items, result.n_raters, result.n_ratings) == (30, 6, 180)
    assert result.ci_low is not None and result.ci_low < 0.4302445 < (result.ci_high or 0)


def test_fleiss_wikipedia() -> None:
    result = fleiss_kappa(FLEISS_WIKI)
    assert round(result.value or 0, 6) == 0.209931
    assert result.n_raters == 14


def test_fleiss_and_ac1_with_missing_ratings_gwet_example() -> None:
    """Gwet, Handbook of Inter-Rater Reliability (4th ed., 2014): 4 raters, 12 units, 5 categories, no rater
    rated every unit (Krippendorff's data C above). Values as documented by irrCAC (`raw_4raters`):
    Fleiss' generalized κ 0.76117 (p_a 0.81818, p_e 0.23872), AC1 0.77544 (p_e 0.19032)."""
    counts = reliability_counts(np.asarray(KRIPP_C, dtype=float))[0]
    kappa, ac1 = fleiss_kappa(counts, bootstrap=0), gwet_ac1(counts)
    assert (round(kappa.value or 0, 5), round(kappa.observed or 0, 5), round(kappa.expected or 0, 5)) == (
        0.76117,
        0.81818,
        0.23872,
    )
    assert (round(ac1.value or 0, 5), round(ac1.expected or 0, 5)) == (0.77544, 0.19032)
    assert kappa.observed == ac1.observed  # one observed agreement, two chance models
    assert (kappa.n_items, kappa.n_ratings) == (11, 41)


def test_cohen_wikipedia_2x2() -> None:
    result = cohen_kappa_table([[20, 5], [10, 15]])
    assert result.observed == pytest.approx(0.70)
    assert result.expected == pytest.approx(0.50)
    assert round(result.value or 0, 10) == 0.4
    assert result.percent_agreement == pytest.approx(0.70)
    assert result.n_items == 50


@pytest.mark.parametrize(
    ("accuracy", "margin", "expected"),
    [(0.5, 0.05, 385), (0.9, 0.05, 139), (0.9, 0.03, 385), (0.5, 0.03, 1068)],
)
def test_audit_sample_size_table(accuracy: float, margin: float, expected: int) -> None:
    assert audit_sample_size(accuracy, margin) == expected


def test_z_value() -> None:
    assert round(z_value(0.95), 6) == 1.959964


def test_finite_population_correction() -> None:
    # n0 = 384.146 → n = n0 / (1 + (n0 − 1)/N)
    n0 = 1.959963984540054**2 * 0.25 / 0.0025
    assert audit_sample_size(0.5, 0.05, population=1000) == int(np.ceil(n0 / (1 + (n0 - 1) / 1000)))
    assert audit_sample_size(0.5, 0.05, population=1000) == 278
    assert audit_sample_size(0.5, 0.05, population=50) <= 50


@pytest.mark.parametrize(("rate", "expected"), [(0.01, 299), (0.05, 59)])
def test_zero_defect(rate: float, expected: int) -> None:
    assert zero_defect_sample_size(rate, 0.95) == expected
