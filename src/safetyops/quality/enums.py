"""The vocabulary of the quality statistics the commands offer: agreement metrics, measurement levels, Cohen
weights, aggregation methods, tie policies and interval methods. Imported by the CLI (`quality`, `stats`)."""

from __future__ import annotations

import enum


class Metric(enum.StrEnum):
    percent = "percent"
    cohen = "cohen"
    fleiss = "fleiss"
    alpha = "alpha"
    ac1 = "ac1"


class Level(enum.StrEnum):
    nominal = "nominal"
    ordinal = "ordinal"
    interval = "interval"
    ratio = "ratio"


class Weights(enum.StrEnum):
    linear = "linear"
    quadratic = "quadratic"


class AggregationMethod(enum.StrEnum):
    mv = "mv"
    weighted = "weighted"
    ds = "ds"


class TiePolicy(enum.StrEnum):
    expert_review = "expert_review"
    severity = "severity"


class IntervalMethod(enum.StrEnum):
    wilson = "wilson"
    clopper_pearson = "clopper-pearson"
