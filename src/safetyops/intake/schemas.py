"""What crosses the API (and request YAML files) for labeling requests and decisions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from safetyops.guidelines.taxonomy import Taxonomy
from safetyops.intake.enums import Modality, Outcome, Purpose, RequestStatus, Sensitivity, Term
from safetyops.locale_codes import CodeNotes, LanguageList, MarketList

STATUS_OF_OUTCOME = {
    Outcome.ACCEPT: RequestStatus.ACCEPTED,
    Outcome.ACCEPT_WITH_CONDITIONS: RequestStatus.ACCEPTED_WITH_CONDITIONS,
    Outcome.REJECT: RequestStatus.REJECTED,
    Outcome.NEED_INFO: RequestStatus.NEED_INFO,
}
ACCEPTED = (RequestStatus.ACCEPTED.value, RequestStatus.ACCEPTED_WITH_CONDITIONS.value)


class LiveQueue(BaseModel):
    """A live queue with a response-time target (monitoring): planned with Erlang C, or Erlang A with patience."""

    model_config = ConfigDict(extra="forbid")

    arrivals_per_hour: float = Field(gt=0)
    target_sl: float = Field(default=0.8, gt=0, lt=1, description="share of items started within within_s")
    within_s: float = Field(default=300, ge=0)
    patience_s: float | None = Field(default=None, gt=0, description="mean time before an item abandons")
    open_hours_per_day: float = Field(default=24, gt=0, le=24)


class RequestSpec(CodeNotes):
    """A labeling request as filed (POST body or YAML file). Markets and languages are codes (ISO 3166-1,
    BCP 47; a common name is read as its code, with a note in `code_notes`): see safetyops.locale_codes."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=160)
    description: str = ""
    purpose: Purpose
    policies: list[str] = Field(min_length=1)
    markets: MarketList = Field(min_length=1)
    languages: LanguageList = Field(min_length=1)
    modality: Modality = Modality.TEXT
    volume: int = Field(ge=0, description="items to label by the deadline")
    start: date | None = Field(default=None, description="first day of work; default: the day it is filed")
    deadline: date
    term: Term = Term.SHORT
    monthly_volume: int | None = Field(default=None, ge=0, description="items per month after the first volume")
    turnaround_days: int | None = Field(default=None, ge=1, description="working days to label each arriving item")
    overlap: int = Field(default=1, ge=1, le=50)
    gold_rate: float | None = Field(default=None, ge=0, lt=1)
    qa_rate: float | None = Field(default=None, ge=0, le=1)
    quality_target: float = Field(default=0.9, gt=0, le=1, description="target accuracy on gold")
    sensitivity: list[Sensitivity] = Field(default_factory=list)
    data_region: str | None = Field(default=None, max_length=32)
    handling_time_s: float = Field(gt=0, description="estimated seconds to label one item")
    redaction: bool = Field(default=False, description="personal data is redacted before labeling")
    taxonomy: Taxonomy | None = None
    live_queue: LiveQueue | None = None

    @field_validator("deadline")
    @classmethod
    def _not_past(cls, value: date, info: ValidationInfo) -> date:
        """A new request's deadline may not be in the past (stored requests are read with context stored=True)."""
        if (info.context or {}).get("stored"):
            return value
        today = date.today()
        if value < today:
            raise ValueError(f"deadline {value} is before today ({today})")
        return value

    @model_validator(mode="after")
    def _possible(self) -> RequestSpec:
        if self.start is not None and self.start > self.deadline:
            raise ValueError(f"start {self.start} is after the deadline {self.deadline}")
        if self.term == Term.LONG and self.monthly_volume is None:
            raise ValueError("a long-term request needs monthly_volume")
        return self

    def window_start(self, today: date) -> date:
        return self.start or today


class Conditions(BaseModel):
    """What an accept-with-conditions changes: a later deadline, lower overlap, lower volume."""

    model_config = ConfigDict(extra="forbid")

    deadline: date | None = None
    overlap: int | None = Field(default=None, ge=1)
    volume: int | None = Field(default=None, ge=0)

    def is_empty(self) -> bool:
        return self.deadline is None and self.overlap is None and self.volume is None


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: Outcome
    note: str = Field(min_length=1, max_length=4000)
    conditions: Conditions | None = None


class RuleResultOut(BaseModel):
    rule: str
    category: str
    verdict: str
    reason: str
    detail: dict[str, Any] = Field(default_factory=dict)


class DecisionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    request_id: int
    outcome: str
    note: str
    conditions: dict[str, Any]
    project_id: int | None
    decided_by: int | None
    created_at: datetime


class RequestOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    purpose: str
    status: str
    verdict: str
    requester_id: int | None
    spec: dict[str, Any]
    evaluation: list[RuleResultOut]
    fte_needed: float | None
    project_id: int | None
    created_at: datetime
    decisions: list[DecisionOut] = Field(default_factory=list)
    notes: list[str] = Field(
        default_factory=list, description="how what was sent was read (e.g. a language name read as its code)"
    )
