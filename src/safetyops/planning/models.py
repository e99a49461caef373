"""Tables: stored manpower plans and their rows (one per scenario, period and vendor/site/market/language cell)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from safetyops.db.base import Base, BigId, JSONType, utcnow


class ManpowerPlan(Base):
    """One computed plan: its range, parameters, scenarios and the sources it used. Never changed after saving."""

    __tablename__ = "manpower_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    period_from: Mapped[date] = mapped_column()
    period_to: Mapped[date] = mapped_column()
    period_months: Mapped[int] = mapped_column(default=2)
    params: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    scenarios: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    notes: Mapped[list[str]] = mapped_column(JSONType, default=list)
    service_level: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ManpowerPlanRow(Base):
    __tablename__ = "manpower_plan_rows"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("manpower_plans.id"), index=True)
    scenario: Mapped[str] = mapped_column(String(80))
    period_start: Mapped[date] = mapped_column()
    period_end: Mapped[date] = mapped_column()
    vendor: Mapped[str] = mapped_column(String(200))
    site: Mapped[str] = mapped_column(String(200))
    market: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(16))
    working_days: Mapped[int] = mapped_column()
    workload_hours: Mapped[float] = mapped_column(Float)
    productive_hours_per_fte: Mapped[float] = mapped_column(Float)
    deferred_fte: Mapped[float] = mapped_column(Float)
    live_agents: Mapped[float] = mapped_column(Float)
    live_fte: Mapped[float] = mapped_column(Float)
    required_fte: Mapped[float] = mapped_column(Float)
    roster_fte: Mapped[float] = mapped_column(Float)
    gap_fte: Mapped[float] = mapped_column(Float)
    hires: Mapped[int] = mapped_column()
    start_hiring_by: Mapped[date | None] = mapped_column()
    method: Mapped[str] = mapped_column(String(64))
