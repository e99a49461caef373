"""What crosses the API for training plans, progress and quizzes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from safetyops.workforce.enums import ModuleStatus


class SlotOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    key: str
    kind: str
    title: str
    days: int
    start: date
    end: date
    workdays_before_start: int


class PlanOut(BaseModel):
    project_id: int
    project_start: date
    training_starts: date | None
    certification: str
    quiz_size: int
    pass_mark: float
    max_attempts: int
    cooldown_hours: float
    graded_questions: list[str]
    promote_on_pass: bool
    timeline: list[SlotOut]


class ModuleStateOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    key: str
    kind: str
    status: str
    due: date
    late: bool


class LabelerProgressOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    labeler_id: int
    username: str
    vendor_id: int
    labeler_status: str
    certified: bool
    attempts_used: int
    modules: list[ModuleStateOut]


class ModuleStatusIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: ModuleStatus


class QuizOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    attempt_id: int
    attempt_no: int
    guideline_version: str
    questions: list[dict[str, Any]]


class QuizAnswersIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answers: list[Any] = Field(description="one answer object per question, in the order of the questions")


class QuizResultOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    attempt_id: int
    score: float
    correct: int
    total: int
    passed: bool
    pass_mark: float
    certification: str | None
    labeler_status: str
    attempts_left: int
    retake_after: datetime | None
