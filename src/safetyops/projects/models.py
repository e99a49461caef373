"""Tables: projects, who may work on them, item batches, items and gold answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    DDL,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from safetyops.db.base import Base, BigId, JSONType, utcnow
from safetyops.projects.enums import BatchKind, ProjectStatus


class Project(Base):
    __tablename__ = "projects"
    __table_args__ = (
        CheckConstraint("overlap >= 1", name="overlap_positive"),
        CheckConstraint("gold_rate >= 0 AND gold_rate <= 1", name="gold_rate_range"),
        CheckConstraint("lease_minutes > 0", name="lease_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    taxonomy: Mapped[dict[str, Any]] = mapped_column(JSONType)
    guideline_version: Mapped[str] = mapped_column(String(40), default="1.0")
    overlap: Mapped[int] = mapped_column(default=1)
    gold_rate: Mapped[float] = mapped_column(Float, default=0.0)
    qa_rate: Mapped[float] = mapped_column(Float, default=0.0)
    lease_minutes: Mapped[int] = mapped_column(default=30)
    priority: Mapped[int] = mapped_column(default=0)
    deadline: Mapped[datetime | None] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), default=ProjectStatus.ACTIVE.value)
    reporting_tz: Mapped[str] = mapped_column(String(64), default="UTC")
    markets: Mapped[list[str]] = mapped_column(JSONType, default=list)
    languages: Mapped[list[str]] = mapped_column(JSONType, default=list)
    required_certifications: Mapped[list[str]] = mapped_column(JSONType, default=list)
    # Where the items' data comes from, shown wherever the items are: {source, link, licence, licence_link}
    # as projects.schemas.DataCredit checks it; None for a project's own data.
    data_credit: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProjectVendor(Base):
    """A vendor whose production labelers may work on the project."""

    __tablename__ = "project_vendors"

    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), primary_key=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id"), primary_key=True, index=True)


class ProjectMember(Base):
    """A person tied to the project by name: a requester, a QA reviewer, or a labeler picked one by one."""

    __tablename__ = "project_members"

    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)


class Batch(Base):
    __tablename__ = "batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default=BatchKind.ITEMS.value)
    filename: Mapped[str] = mapped_column(String(400), default="")
    file_format: Mapped[str] = mapped_column(String(16))
    sha256: Mapped[str] = mapped_column(String(64), default="")
    rows_read: Mapped[int] = mapped_column(default=0)
    rows_added: Mapped[int] = mapped_column(default=0)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Item(Base):
    """One piece of content to label. `open_slots` = overlap − labels − live leases (never below 0).

    `project_id` and `batch_id` carry no foreign-key constraint: items arrive in bulk, and PostgreSQL
    checks a foreign key with a trigger per row (two of them took longer than the insert itself). The
    import checks the project and creates the batch in the transaction that writes the items, so each
    batch's references are checked once; projects and batches are never deleted.
    """

    __tablename__ = "items"
    __table_args__ = (
        UniqueConstraint("project_id", "external_id"),
        CheckConstraint("open_slots >= 0", name="open_slots_nonnegative"),
        Index("ix_items_project_id", "project_id", "id"),
        Index(
            "ix_items_queue",
            "project_id",
            text("priority DESC"),
            "id",
            postgresql_where=text("open_slots > 0 AND NOT is_gold"),
            sqlite_where=text("open_slots > 0 AND NOT is_gold"),
        ),
        Index(
            "ix_items_gold",
            "project_id",
            "id",
            postgresql_where=text("is_gold"),
            sqlite_where=text("is_gold"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    project_id: Mapped[int] = mapped_column()
    batch_id: Mapped[int | None] = mapped_column()
    external_id: Mapped[str] = mapped_column(String(200))
    content_text: Mapped[str | None] = mapped_column(Text)
    media_url: Mapped[str | None] = mapped_column(String(2000))
    media_type: Mapped[str | None] = mapped_column(String(16))
    market: Mapped[str | None] = mapped_column(String(16))
    language: Mapped[str | None] = mapped_column(String(16))
    source: Mapped[str | None] = mapped_column(String(200))
    priority: Mapped[int] = mapped_column(default=0)
    context: Mapped[Any] = mapped_column(JSONType, nullable=True)
    metadata_: Mapped[Any] = mapped_column("metadata", JSONType, nullable=True)
    is_gold: Mapped[bool] = mapped_column(default=False)
    open_slots: Mapped[int] = mapped_column(default=1)
    label_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# No query filters on the JSON columns, and comparing JSONB values is what makes ANALYZE slow (2.5 s
# instead of 0.4 s after importing 100,000 items): PostgreSQL keeps no statistics on them.
event.listen(
    Item.__table__,
    "after_create",
    DDL("ALTER TABLE items ALTER COLUMN context SET STATISTICS 0, ALTER COLUMN metadata SET STATISTICS 0").execute_if(
        dialect="postgresql"
    ),
)


class GoldAnswer(Base):
    """The known right answer of a gold item, set by a QA reviewer or policy expert."""

    __tablename__ = "gold_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    item_id: Mapped[int] = mapped_column(BigId, ForeignKey("items.id"), unique=True)
    answer: Mapped[dict[str, Any]] = mapped_column(JSONType)
    rationale: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
