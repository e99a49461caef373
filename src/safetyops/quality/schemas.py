"""What crosses the quality API: request bodies (answers are plain JSON objects built by the services)."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from safetyops.guidelines.enums import ExampleKind
from safetyops.quality.enums import (
    AggregationMethod,
    DisputeOutcome,
    ErrorType,
    NoteKind,
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
