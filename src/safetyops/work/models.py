"""Tables: assignments (leases of an item to a labeler) and labels (append-only answers)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from safetyops.db.base import Base, BigId, JSONType, utcnow
from safetyops.work.enums import AssignmentStatus

# Leases and labels carry no foreign keys to their project, item, labeler or lease: the queue's statements
# take each of those from a row they hold locked or from the signed-in labeler, nothing is ever deleted,
# and a key costs PostgreSQL a trigger per row on the hottest writes (migration 0006 says more).


class Assignment(Base):
    """An item leased to one labeler. One row per (item, labeler): nobody gets the same item twice."""

    __tablename__ = "assignments"
    __table_args__ = (
        UniqueConstraint("item_id", "labeler_id"),
        Index(
            "ix_assignments_live",
            "project_id",
            "expires_at",
            postgresql_where=text("status = 'leased'"),
            sqlite_where=text("status = 'leased'"),
        ),
        Index(
            "ix_assignments_labeler_live",
            "labeler_id",
            "project_id",
            postgresql_where=text("status = 'leased'"),
            sqlite_where=text("status = 'leased'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    project_id: Mapped[int] = mapped_column()
    item_id: Mapped[int] = mapped_column(BigId)
    labeler_id: Mapped[int] = mapped_column()
    is_gold: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(16), default=AssignmentStatus.LEASED.value)
    leased_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()
    skip_reason: Mapped[str | None] = mapped_column(String(500))


class Label(Base):
    """One labeler's answer to one item. Never updated: a correction is a new row that supersedes."""

    __tablename__ = "labels"
    __table_args__ = (
        UniqueConstraint("labeler_id", "idempotency_key"),
        UniqueConstraint("assignment_id"),
        Index(
            "uq_labels_item_labeler_original",
            "item_id",
            "labeler_id",
            unique=True,
            postgresql_where=text("supersedes_id IS NULL"),
            sqlite_where=text("supersedes_id IS NULL"),
        ),
        Index("ix_labels_project_id", "project_id", "id"),
        Index("ix_labels_project_item", "project_id", "item_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    project_id: Mapped[int] = mapped_column()
    item_id: Mapped[int] = mapped_column(BigId)
    labeler_id: Mapped[int] = mapped_column()
    assignment_id: Mapped[int | None] = mapped_column(BigId)
    supersedes_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("labels.id"))
    is_gold: Mapped[bool] = mapped_column(default=False)
    answer: Mapped[dict[str, Any]] = mapped_column(JSONType)
    time_spent_ms: Mapped[int] = mapped_column(default=0)
    guideline_version: Mapped[str] = mapped_column(String(40))
    idempotency_key: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
