"""Tables: labeling requests and the ops manager's decisions on them (decisions are append-only)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from safetyops.db.base import Base, JSONType, utcnow


class LabelingRequest(Base):
    """A request as filed (`spec`, never changed), its latest evaluation and its current status.

    `status`, `evaluation`, `verdict`, `project_id` and the commitment (`fte_needed`, window) follow the decisions;
    the history lives in `request_decisions` and the audit log.
    """

    __tablename__ = "labeling_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(160))
    purpose: Mapped[str] = mapped_column(String(16))
    requester_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(32), index=True)
    spec: Mapped[dict[str, Any]] = mapped_column(JSONType)
    evaluation: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    verdict: Mapped[str] = mapped_column(String(8), default="")
    fte_needed: Mapped[float | None] = mapped_column(Float)
    window_start: Mapped[date] = mapped_column()
    window_end: Mapped[date] = mapped_column()
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class RequestDecision(Base):
    """One decision by an ops manager. Rows are only ever inserted."""

    __tablename__ = "request_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("labeling_requests.id"), index=True)
    outcome: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(Text, default="")
    conditions: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"))
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
