"""Tables: vendors (BPO companies), their sites, labelers, training plans, quiz attempts and certifications."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from safetyops.db.base import Base, JSONType, utcnow
from safetyops.workforce.enums import LabelerStatus, ModuleStatus


class Vendor(Base):
    __tablename__ = "vendors"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    data_regions: Mapped[list[str]] = mapped_column(JSONType, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Site(Base):
    __tablename__ = "sites"
    __table_args__ = (UniqueConstraint("vendor_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")


class Labeler(Base):
    __tablename__ = "labelers"
    __table_args__ = (UniqueConstraint("vendor_id", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), unique=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id"), index=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    external_id: Mapped[str] = mapped_column(String(120))
    name: Mapped[str] = mapped_column(String(200), default="")
    languages: Mapped[list[str]] = mapped_column(JSONType, default=list)
    markets: Mapped[list[str]] = mapped_column(JSONType, default=list)
    skills: Mapped[list[str]] = mapped_column(JSONType, default=list)
    certifications: Mapped[list[str]] = mapped_column(JSONType, default=list)
    status: Mapped[str] = mapped_column(String(20), default=LabelerStatus.PRODUCTION.value)
    start_date: Mapped[date | None] = mapped_column()
    extra: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


# --- training and certification -------------------------------------------------------------------------------


class TrainingPlan(Base):
    """How a project's labelers are trained before production: modules on a timeline, and the quiz rules."""

    __tablename__ = "training_plans"
    __table_args__ = (
        CheckConstraint("pass_mark >= 0 AND pass_mark <= 1", name="pass_mark_range"),
        CheckConstraint("quiz_size >= 1", name="quiz_size_positive"),
        CheckConstraint("max_attempts >= 1", name="max_attempts_positive"),
        CheckConstraint("cooldown_hours >= 0", name="cooldown_nonnegative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), unique=True)
    project_start: Mapped[date] = mapped_column()
    # [{"key": "read", "kind": "read_guideline", "title": "...", "days": 1}, ...] in order
    modules: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    quiz_size: Mapped[int] = mapped_column(default=10)
    pass_mark: Mapped[float] = mapped_column(Float, default=0.8)
    max_attempts: Mapped[int] = mapped_column(default=3)
    cooldown_hours: Mapped[float] = mapped_column(Float, default=24.0)
    graded_questions: Mapped[list[str]] = mapped_column(JSONType, default=list)
    promote_on_pass: Mapped[bool] = mapped_column(default=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ModuleProgress(Base):
    """One labeler's status on one module of a training plan."""

    __tablename__ = "training_progress"

    plan_id: Mapped[int] = mapped_column(ForeignKey("training_plans.id"), primary_key=True)
    labeler_id: Mapped[int] = mapped_column(ForeignKey("labelers.id"), primary_key=True, index=True)
    module_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default=ModuleStatus.NOT_STARTED.value)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class QuizAttempt(Base):
    """N gold items put to one labeler; answered once, then scored."""

    __tablename__ = "quiz_attempts"
    __table_args__ = (Index("ix_quiz_attempts_plan_labeler", "plan_id", "labeler_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("training_plans.id"))
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    labeler_id: Mapped[int] = mapped_column(ForeignKey("labelers.id"))
    guideline_version: Mapped[str] = mapped_column(String(40))
    guideline_major: Mapped[int] = mapped_column()
    item_ids: Mapped[list[int]] = mapped_column(JSONType)
    answers: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONType, nullable=True)
    score: Mapped[float | None] = mapped_column(Float)
    passed: Mapped[bool | None] = mapped_column()
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()


class CertificationGrant(Base):
    """A certification a labeler earned; `expired_at` is set (and the name leaves Labeler.certifications) on expiry."""

    __tablename__ = "certification_grants"

    id: Mapped[int] = mapped_column(primary_key=True)
    labeler_id: Mapped[int] = mapped_column(ForeignKey("labelers.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"))
    guideline_major: Mapped[int | None] = mapped_column()
    attempt_id: Mapped[int | None] = mapped_column(ForeignKey("quiz_attempts.id"))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)
    expired_at: Mapped[datetime | None] = mapped_column()
    expiry_reason: Mapped[str] = mapped_column(String(200), default="")
