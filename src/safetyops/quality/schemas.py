"""What crosses the quality API: request bodies, and the declared shape of every answer."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from safetyops.guidelines.enums import ExampleKind
from safetyops.quality.aggregation import DS_SMOOTHING
from safetyops.quality.enums import (
    AccuracyGroup,
    AggregationMethod,
    CalibrationSource,
    DisputeOutcome,
    ErrorType,
    IntervalMethod,
    Level,
    NoteKind,
    Reference,
    ReviewReason,
    SampleMode,
    TiePolicy,
    VerdictChoice,
)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class AggregateIn(_In):
    question: str | None = None
    method: AggregationMethod = AggregationMethod.DAWID_SKENE
    tie: TiePolicy = TiePolicy.EXPERT_REVIEW
    threshold: float = Field(default=0.0, ge=0.0, le=1.0)
    date_from: date | None = Field(default=None, alias="from")
    date_to: date | None = Field(default=None, alias="to")
    smoothing: float = Field(
        default=DS_SMOOTHING,
        ge=0.0,
        allow_inf_nan=False,
        description="Dawid–Skene (method ds): Dirichlet smoothing of the counts; 0 = the plain maximum-likelihood fit",
    )


class DecisionIn(_In):
    label: str = Field(min_length=1, max_length=100)
    note: str = Field(default="", max_length=5000)


class QaPlanIn(_In):
    day: date
    mode: SampleMode = SampleMode.RATE
    rate: float | None = Field(default=None, ge=0.0, le=1.0, description="default: the project's qa_rate")
    expected_accuracy: float = Field(default=0.9, ge=0.0, le=1.0)
    margin: float = Field(default=0.05, gt=0.0, lt=1.0)
    confidence: float = Field(default=0.95, gt=0.0, lt=1.0)
    seed: int | None = None


class BlindAnswerIn(_In):
    answer: dict[str, Any]


class VerdictIn(_In):
    verdict: VerdictChoice
    error_type: ErrorType | None = None
    feedback: str = Field(default="", max_length=5000)


class DisputeIn(_In):
    reason: str = Field(min_length=1, max_length=5000)


class DisputeDecisionIn(_In):
    outcome: DisputeOutcome
    note: str = Field(default="", max_length=5000)


class CalibrationIn(_In):
    question: str | None = None
    title: str = Field(default="", max_length=200)
    item_ids: list[int] | None = None
    disputed_from: date | None = None
    disputed_to: date | None = None
    count: int = Field(default=20, ge=1, le=1000)


class CalibrationAnswerIn(_In):
    item_id: int
    answer: str = Field(min_length=1, max_length=100)


class CalibrationKeyIn(CalibrationAnswerIn):
    rationale: str = Field(default="", max_length=5000)


class CalibrationNoteIn(_In):
    kind: NoteKind
    text: str = Field(min_length=1, max_length=10000)
    item_id: int | None = None
    example_kind: ExampleKind | None = None
    example_version: str | None = Field(default=None, max_length=40)
    example_rationale: str = Field(default="", max_length=5000)


# --- answers ------------------------------------------------------------------------------------------------------
# The services build plain JSON-ready dicts (the command line prints them too); these models are their declared
# shape, checked on the way out. `extra="forbid"`: a key a service adds without its schema fails the tests instead
# of silently vanishing from the answer.


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class PeriodOut(_Out):
    from_: date | None = Field(alias="from")
    to: date | None
    tz: str | None = None


class ScopeOut(_Out):
    """Whose labels the figures cover: one vendor's labelers, one labeler, or everyone (both null)."""

    vendor_id: int | None
    labeler_id: int | None


class RateOut(_Out):
    """A rate k/n with its confidence interval; `accuracy` is null (and `reason` says why) when n is 0."""

    key: int | str | None
    name: str
    n: int
    correct: int
    accuracy: float | None
    ci_low: float | None
    ci_high: float | None
    method: IntervalMethod
    reason: str | None = None


class ClassMetricsOut(_Out):
    class_: str = Field(alias="class")
    support: int
    predicted: int
    precision: float | None
    precision_ci: list[float | None]
    recall: float | None
    recall_ci: list[float | None]
    f1: float | None


class AccuracyOut(_Out):
    """Accuracy per group with the confusion matrix (rows: reference, columns: labels) and per-class metrics."""

    project_id: int
    question: str
    period: PeriodOut
    group_by: AccuracyGroup
    against: Reference
    aggregation_run_id: int | None
    scope: ScopeOut
    overall: RateOut
    groups: list[RateOut]
    classes: list[str]
    confusion: list[list[int]]
    per_class: list[ClassMetricsOut]


class StatisticOut(_Out):
    """One agreement statistic, with raw percent agreement beside it; null value with a reason when undefined."""

    metric: str
    value: float | None
    ci_low: float | None
    ci_high: float | None
    n_items: int
    n_raters: int
    n_ratings: int
    percent_agreement: float | None
    observed: float | None = None
    expected: float | None = None
    se: float | None = None
    z: float | None = None
    confidence: float = 0.95
    variant: str | None = None
    reason: str | None = None


class PairOut(_Out):
    rater_a: str
    rater_b: str
    labeler_a: int
    labeler_b: int
    n: int
    percent_agreement: float | None
    kappa: float | None


class AgreementOut(_Out):
    """Percent agreement, Fleiss κ, Krippendorff α and Gwet AC1 among the labels the caller may see."""

    project_id: int
    period: PeriodOut
    scope: ScopeOut
    question: str
    level: Level
    categories: list[str]
    n_labels: int
    n_items: int
    n_labelers: int
    percent: StatisticOut
    fleiss: StatisticOut
    alpha: StatisticOut
    ac1: StatisticOut
    pairwise: list[PairOut] = []


class RunOut(_Out):
    """An aggregation run."""

    run_id: int
    project_id: int
    question: str
    method: AggregationMethod
    tie_policy: TiePolicy
    threshold: float
    n_items: int
    n_labels: int
    n_review: int
    iterations: int | None
    converged: bool | None
    log_likelihood: float | None
    period: PeriodOut
    created_at: datetime


class AggregationOut(RunOut):
    smoothing: float | None = Field(
        description="Dawid–Skene's smoothing of the counts (null for other methods; 0 = maximum likelihood)"
    )
    weights_from: str | None = Field(description="where weighted votes took rater accuracy from")
    mean_confidence: float | None


class FinalLabelOut(_Out):
    item_id: int
    external_id: str | None
    label: str | None
    confidence: float


class FinalLabelsOut(_Out):
    run: RunOut
    labels: list[FinalLabelOut]


class ReviewItemOut(_Out):
    """An item waiting for (or decided by) an expert."""

    review_id: int
    run_id: int
    item_id: int
    external_id: str
    content_text: str | None
    reason: ReviewReason
    proposed_label: str | None
    confidence: float
    resolved_label: str | None


class ExpertDecisionOut(_Out):
    decision_id: int
    review_id: int
    item_id: int
    label: str


class SampleOut(_Out):
    labeler_id: int
    population: int
    sample: int


class QaPlanOut(_Out):
    plan_id: int
    project_id: int
    day: date
    mode: SampleMode
    rate: float
    expected_accuracy: float
    margin: float
    confidence: float
    seed: int | None
    labelers: list[SampleOut]


class ReviewItemViewOut(_Out):
    """The item a reviewer sees (content is untrusted: shown escaped)."""

    id: int
    external_id: str
    content_text: str | None
    context: Any
    media_url: str | None
    media_type: str | None
    language: str | None
    market: str | None


class BlindTaskOut(_Out):
    """A QA task before the reviewer's own answer: the item and the questions only, never the original label."""

    task_id: int
    project_id: int
    stage: Literal["answer"]
    item: ReviewItemViewOut
    taxonomy: dict[str, Any]


class OriginalLabelOut(_Out):
    label_id: int
    labeler_id: int
    answer: dict[str, Any]
    guideline_version: str
    created_at: datetime


class VerdictFormOut(_Out):
    verdicts: list[VerdictChoice]
    error_types: list[ErrorType]


class VerdictOut(_Out):
    verdict_id: int
    task_id: int
    labeler_id: int
    reviewer_id: int
    correct: bool
    error_type: ErrorType | None
    feedback: str
    created_at: datetime


class RevealedTaskOut(_Out):
    """A QA task after the reviewer's blind answer: the original label, where they agree, the verdict form."""

    task_id: int
    project_id: int
    stage: Literal["verdict", "done"]
    item: ReviewItemViewOut
    your_answer: dict[str, Any]
    original: OriginalLabelOut
    agrees: dict[str, bool]
    verdict_form: VerdictFormOut
    verdict: VerdictOut | None


QaTaskOut = Annotated[BlindTaskOut | RevealedTaskOut, Field(discriminator="stage")]


class DisputeStateOut(_Out):
    dispute_id: int
    reason: str
    outcome: DisputeOutcome | None
    note: str | None


class FeedbackOut(_Out):
    """A verdict on one of the labeler's own labels (the reviewer stays anonymous)."""

    verdict_id: int
    task_id: int
    labeler_id: int
    correct: bool
    error_type: ErrorType | None
    feedback: str
    created_at: datetime
    item_external_id: str
    content_text: str | None
    your_answer: dict[str, Any]
    dispute: DisputeStateOut | None


class DisputeOut(_Out):
    dispute_id: int
    verdict_id: int
    reason: str


class DisputeRowOut(_Out):
    dispute_id: int
    reason: str
    verdict: VerdictOut
    outcome: DisputeOutcome | None


class DisputeDecisionOut(_Out):
    dispute_id: int
    decision_id: int
    outcome: DisputeOutcome
    note: str


class QaScoresCoreOut(_Out):
    """QA scores: technical errors excluded, overturned verdicts count as correct."""

    overall: RateOut
    technical_excluded: int
    overturned: int
    errors: dict[str, int]
    per_labeler: list[RateOut]
    per_vendor: list[RateOut]


class QaScoresOut(QaScoresCoreOut):
    project_id: int
    period: PeriodOut
    scope: ScopeOut


class CalibrationOut(_Out):
    session_id: int
    project_id: int
    question: str
    source: CalibrationSource
    item_ids: list[int]


class CalibrationItemOut(_Out):
    item_id: int
    external_id: str
    content_text: str | None
    context: Any
    your_answer: str | None


class CalibrationItemsOut(_Out):
    session_id: int
    title: str
    question: str
    choices: list[str]
    items: list[CalibrationItemOut]


class CalibrationAnswerOut(_Out):
    answer_id: int
    item_id: int
    answer: str


class CalibrationKeyOut(_Out):
    key_id: int
    item_id: int
    answer: str


class PersonAccuracyOut(_Out):
    user_id: int
    username: str | None
    answered: int
    n: int
    correct: int
    accuracy: float | None
    ci_low: float | None
    ci_high: float | None


class GroupAgreementOut(_Out):
    percent: StatisticOut
    fleiss: StatisticOut
    alpha: StatisticOut


class SplitItemOut(_Out):
    item_id: int
    n: int
    agreement: float | None
    split: dict[str, int]
    key: str | None


class ProposedExampleOut(_Out):
    kind: ExampleKind
    version: str | None
    rationale: str
    guideline_example_ref: str | None


class NoteOut(_Out):
    note_id: int
    kind: NoteKind
    text: str
    item_id: int | None
    proposed_example: ProposedExampleOut | None
    created_at: datetime


class CalibrationResultsOut(_Out):
    """Accuracy per person against the key, group agreement, and the items that split the group most."""

    session_id: int
    question: str
    level: Level
    n_items: int
    n_keyed: int
    people: list[PersonAccuracyOut]
    group: GroupAgreementOut
    items: list[SplitItemOut]
    notes: list[NoteOut]


class NoteAddedOut(_Out):
    note_id: int
    kind: NoteKind
    proposed_example: bool
    guideline_example_ref: str | None
    kept_in_calibration_because: str | None


class ModelRunOut(_Out):
    model_run_id: int
    project_id: int
    name: str
    rows: int


class ConfusionOut(_Out):
    tp: int
    fp: int
    fn: int
    tn: int


class CurveOut(_Out):
    thresholds: list[float]
    precision: list[float]
    recall: list[float]


class OperatingPointOut(_Out):
    threshold: float
    precision: float
    recall: float


class ModelDisagreementOut(_Out):
    item_id: int
    external_id: str | None
    model_score: float | None
    model_label: str | None
    human_label: str | None
    human_confidence: float
    disagreement: float


class PolicyEvaluationOut(_Out):
    policy: str
    positive_choices: list[str]
    n_predictions: int
    n_compared: int
    threshold: float
    n: int
    confusion: ConfusionOut
    precision: float | None
    precision_ci: list[float | None]
    recall: float | None
    recall_ci: list[float | None]
    f1: float | None
    pr_curve: CurveOut
    target_precision: float
    threshold_for_target: OperatingPointOut | None
    disagreements: list[ModelDisagreementOut]


class ModelEvaluationOut(_Out):
    """A model's predictions against the newest final human labels, per policy."""

    model_run_id: int
    name: str
    project_id: int
    question: str
    aggregation_run_id: int
    policies: list[PolicyEvaluationOut]


class ProjectRefOut(_Out):
    id: int
    name: str


class ReportAccuracyOut(_Out):
    overall: RateOut
    per_labeler: list[RateOut]
    per_vendor: list[RateOut]
    n_gold_items: int


class ReportAgreementOut(_Out):
    level: Level
    n_items: int
    percent: StatisticOut
    fleiss: StatisticOut
    alpha: StatisticOut
    ac1: StatisticOut


class ReportAggregationOut(RunOut):
    open_reviews: int


class QualityReportOut(_Out):
    """Everything an ops manager checks on a project's quality for a period."""

    project: ProjectRefOut
    period: PeriodOut
    question: str
    scope: ScopeOut
    n_labels: int
    n_items: int
    n_labelers: int
    unanswered: int
    accuracy: ReportAccuracyOut
    agreement: ReportAgreementOut
    qa: QaScoresCoreOut
    aggregation: ReportAggregationOut | None
    # Only a project whose data is credited carries the key (the command line prints the same dict).
    data_credit: str | None = Field(
        default=None,
        exclude_if=lambda credit: credit is None,
        description="the source and licence of the project's data (absent when the project credits no one)",
    )
