"""The quality area's vocabulary, in one place for models, schemas, services, the CLI and the pure modules.

Values that are stored keep these strings (aggregation_runs.method/tie_policy, expert_reviews.reason,
qa_plans.mode, qa_verdicts.error_type, qa_dispute_decisions.outcome, calibration_sessions.source,
calibration_notes.kind).
"""

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


class ReviewReason(enum.StrEnum):
    """Why an item entered the expert review queue."""

    TIE = "tie"
    NO_LABEL = "no_label"
    LOW_CONFIDENCE = "low_confidence"


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


class AccuracyGroup(enum.StrEnum):
    """What accuracy rows are grouped by."""

    LABELER = "labeler"
    VENDOR = "vendor"
    SITE = "site"
    PROJECT = "project"
    POLICY = "policy"
    DAY = "day"


class Reference(enum.StrEnum):
    """What labels are measured against: gold answers, or the newest aggregation's final labels."""

    GOLD = "gold"
    FINAL = "final"


class SampleMode(enum.StrEnum):
    """How a QA plan sizes its sample: a share of the labels, or the size for a margin of error."""

    RATE = "rate"
    MARGIN = "margin"


class QaStage(enum.StrEnum):
    """Where a blind QA task stands: the reviewer answers, then gives the verdict, then it is done."""

    ANSWER = "answer"
    VERDICT = "verdict"
    DONE = "done"


class VerdictChoice(enum.StrEnum):
    CORRECT = "correct"
    WRONG = "wrong"


class ErrorType(enum.StrEnum):
    FALSE_POSITIVE = "false_positive"
    FALSE_NEGATIVE = "false_negative"
    WRONG_POLICY = "wrong_policy"
    TECHNICAL = "technical"  # a tool problem: never counted against the labeler


class DisputeOutcome(enum.StrEnum):
    UPHELD = "upheld"  # the first verdict stands
    OVERTURNED = "overturned"  # the label was right after all


class CalibrationSource(enum.StrEnum):
    """How a calibration session's items were chosen."""

    MANUAL = "manual"
    DISPUTED = "disputed"


class NoteKind(enum.StrEnum):
    """A calibration note, or an outcome (which may propose a guideline example)."""

    NOTE = "note"
    OUTCOME = "outcome"


class Metric(enum.StrEnum):
    """An agreement statistic `safetyops stats agreement` computes."""

    PERCENT = "percent"
    COHEN = "cohen"
    FLEISS = "fleiss"
    ALPHA = "alpha"
    AC1 = "ac1"
