"""The quality area's vocabulary the commands offer: agreement metrics, measurement levels, Cohen weights,
aggregation methods, tie policies and interval methods. Imported by the CLIs (`quality`, `stats`) and filestats."""

from __future__ import annotations

import enum


class AggregationMethod(enum.StrEnum):
    MAJORITY_VOTE = "mv"
    WEIGHTED_VOTE = "weighted"
    DAWID_SKENE = "ds"


class TiePolicy(enum.StrEnum):
    """What a tie (or a too-low confidence) leads to: an expert's decision, or the most severe tied class."""

    EXPERT_REVIEW = "expert_review"
    SEVERITY = "severity"


class IntervalMethod(enum.StrEnum):
    """Confidence interval of a proportion."""

    WILSON = "wilson"
    CLOPPER_PEARSON = "clopper-pearson"


class Level(enum.StrEnum):
    """Measurement level of a question's answers (Krippendorff's α)."""

    NOMINAL = "nominal"
    ORDINAL = "ordinal"
    INTERVAL = "interval"
    RATIO = "ratio"


class KappaWeights(enum.StrEnum):
    """Disagreement weights of a weighted Cohen κ."""

    LINEAR = "linear"
    QUADRATIC = "quadratic"


class Metric(enum.StrEnum):
    """An agreement statistic `safetyops stats agreement` computes."""

    PERCENT = "percent"
    COHEN = "cohen"
    FLEISS = "fleiss"
    ALPHA = "alpha"
    AC1 = "ac1"
