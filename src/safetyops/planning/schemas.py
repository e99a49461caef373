"""What crosses the API for manpower plans."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from safetyops.planning.plans import PlanParams


class PlanIn(BaseModel):
    """A plan to compute: the range, the period length, parameter overrides and scenarios."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: date = Field(alias="from")
    to: date
    period_months: int = Field(default=2, ge=1, le=12)
    name: str = Field(default="", max_length=200)
    scenarios: list[str] = Field(default_factory=list, description="e.g. ['volume+20%', 'shrinkage=0.35']")
    hours_per_day: float | None = Field(default=None, gt=0, le=24)
    shrinkage: float | None = Field(default=None, ge=0, lt=1)
    occupancy: float | None = Field(default=None, gt=0, le=1)
    monthly_attrition: float | None = Field(default=None, ge=0, lt=1)
    hiring_lead_days: int | None = Field(default=None, ge=0)
    training_lead_days: int | None = Field(default=None, ge=0)
    review_time_s: float | None = Field(default=None, ge=0)
    ramp: list[float] | None = None
    measured_days: int = Field(default=28, ge=1)
    min_measured_labels: int = Field(default=20, ge=1)

    @model_validator(mode="after")
    def _ordered(self) -> PlanIn:
        if self.to < self.from_:
            raise ValueError(f"'to' ({self.to}) is before 'from' ({self.from_})")
        return self

    def params(self) -> PlanParams:
        overrides: dict[str, Any] = {
            k: v
            for k, v in self.model_dump(
                include={
                    "hours_per_day",
                    "shrinkage",
                    "occupancy",
                    "monthly_attrition",
                    "hiring_lead_days",
                    "training_lead_days",
                    "review_time_s",
                }
            ).items()
            if v is not None
        }
        if self.ramp is not None:
            overrides["ramp"] = tuple(self.ramp)
        return PlanParams(**overrides)


class _Out(BaseModel):
    """An answer's shape: a key the service adds but the schema lacks fails the tests instead of vanishing."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class ScenarioOut(_Out):
    name: str
    overrides: dict[str, Any]


class PlanSummaryOut(_Out):
    """Per scenario and period: totals over the cells."""

    scenario: str
    period_start: date
    period_end: date
    workload_hours: float
    required_fte: float
    roster_fte: float
    shortfall_fte: float
    surplus_fte: float
    hires: int


class PlanRowOut(_Out):
    """One cell (vendor · site · market · language) in one period of one scenario."""

    scenario: str
    period_start: date
    period_end: date
    vendor: str
    site: str
    market: str
    language: str
    working_days: int
    workload_hours: float
    productive_hours_per_fte: float
    deferred_fte: float
    live_agents: float
    live_fte: float
    required_fte: float
    roster_fte: float
    gap_fte: float
    hires: int
    start_hiring_by: date | None
    method: str


class ManpowerPlanOut(_Out):
    """A stored manpower plan: its range, parameters, scenarios, summary and rows."""

    id: int
    name: str
    from_: date = Field(alias="from")
    to: date
    period_months: int
    params: dict[str, Any]
    scenarios: list[ScenarioOut]
    service_level: str
    notes: list[str]
    summary: list[PlanSummaryOut]
    rows: list[PlanRowOut]
