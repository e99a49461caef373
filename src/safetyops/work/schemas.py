"""What crosses the API for the queue: tasks, submits, skips and corrections."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class SubmitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answer: dict[str, Any]
    idempotency_key: str = Field(min_length=1, max_length=100)
    time_spent_ms: int = Field(ge=0, le=24 * 3600 * 1000)


class SkipIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=500)


class CorrectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answer: dict[str, Any]
    idempotency_key: str = Field(min_length=1, max_length=100)


class ReceiptOut(BaseModel):
    label_id: int
    assignment_id: int | None
    guideline_version: str
    created_at: str


class TaskItem(BaseModel):
    text: str | None
    media_url: str | None
    media_type: str | None
    language: str | None
    market: str | None
    context: Any = None


class TaskOut(BaseModel):
    assignment_id: int
    item: TaskItem
    guideline_version: str
    lease_expires_at: str
