"""Tables of the quality area: aggregation runs and final labels, the expert review queue, QA review
(plans, blind answers, verdicts, disputes) and calibration sessions (model predictions: `delivery.models`).

Everything a person submits (verdicts, decisions, answers, keys, notes) is a row that is only inserted.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from safetyops.db.base import Base, BigId, JSONType, utcnow

# --- aggregation -----------------------------------------------------------------------------------------------


class AggregationRun(Base):
    """One aggregation of a project's labels on one question into final labels."""

    __tablename__ = "aggregation_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    question: Mapped[str] = mapped_column(String(64))
    method: Mapped[str] = mapped_column(String(16))
    tie_policy: Mapped[str] = mapped_column(String(16))
    threshold: Mapped[float] = mapped_column(Float)
    n_items: Mapped[int] = mapped_column()
    n_labels: Mapped[int] = mapped_column()
    n_review: Mapped[int] = mapped_column()
    iterations: Mapped[int] = mapped_column(default=0)
    converged: Mapped[bool] = mapped_column(default=True)
    log_likelihood: Mapped[float | None] = mapped_column(Float)
    period_from: Mapped[date | None] = mapped_column()
    period_to: Mapped[date | None] = mapped_column()
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FinalLabel(Base):
    """The aggregated label of one item in one run (None: tie sent to expert review)."""

    __tablename__ = "final_labels"

    run_id: Mapped[int] = mapped_column(ForeignKey("aggregation_runs.id"), primary_key=True)
    item_id: Mapped[int] = mapped_column(BigId, ForeignKey("items.id"), primary_key=True)
    label: Mapped[str | None] = mapped_column(String(100))
    confidence: Mapped[float] = mapped_column(Float)
    needs_review: Mapped[bool] = mapped_column(default=False)


class ExpertReview(Base):
    """An item of an aggregation run sent to expert review (tie, no label, or confidence under the threshold)."""

    __tablename__ = "expert_reviews"
    __table_args__ = (UniqueConstraint("run_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("aggregation_runs.id"))
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    item_id: Mapped[int] = mapped_column(BigId, ForeignKey("items.id"))
    reason: Mapped[str] = mapped_column(String(20))
    proposed_label: Mapped[str | None] = mapped_column(String(100))
    confidence: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ExpertDecision(Base):
    """An expert's resolution of a review item (append-only; the newest one counts)."""

    __tablename__ = "expert_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("expert_reviews.id"), index=True)
    decided_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    label: Mapped[str] = mapped_column(String(100))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# --- QA review -------------------------------------------------------------------------------------------------


class QaPlan(Base):
    """A QA sampling plan for one project and one reporting day: how many labels per labeler to re-review."""

    __tablename__ = "qa_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    day: Mapped[date] = mapped_column()
    mode: Mapped[str] = mapped_column(String(16))
    params: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    n_tasks: Mapped[int] = mapped_column(default=0)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class QaTask(Base):
    """One sampled label to re-review; `reviewer_id` is set when a reviewer takes it (workflow state)."""

    __tablename__ = "qa_tasks"
    __table_args__ = (Index("ix_qa_tasks_project_reviewer", "project_id", "reviewer_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("qa_plans.id"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    label_id: Mapped[int] = mapped_column(BigId, ForeignKey("labels.id"), unique=True)
    item_id: Mapped[int] = mapped_column(BigId, ForeignKey("items.id"))
    labeler_id: Mapped[int] = mapped_column(ForeignKey("labelers.id"))
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    claimed_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class QaBlindAnswer(Base):
    """The reviewer's own answer, given before the original label is shown."""

    __tablename__ = "qa_blind_answers"

    task_id: Mapped[int] = mapped_column(BigId, ForeignKey("qa_tasks.id"), primary_key=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    answer: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class QaVerdict(Base):
    """The verdict on a sampled label: correct, or wrong with an error type, and feedback for the labeler."""

    __tablename__ = "qa_verdicts"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(BigId, ForeignKey("qa_tasks.id"), unique=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    labeler_id: Mapped[int] = mapped_column(ForeignKey("labelers.id"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    correct: Mapped[bool] = mapped_column()
    error_type: Mapped[str | None] = mapped_column(String(20))
    feedback: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class QaDispute(Base):
    """A labeler disputing a verdict on their own label."""

    __tablename__ = "qa_disputes"

    id: Mapped[int] = mapped_column(primary_key=True)
    verdict_id: Mapped[int] = mapped_column(ForeignKey("qa_verdicts.id"), unique=True)
    labeler_id: Mapped[int] = mapped_column(ForeignKey("labelers.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class QaDisputeDecision(Base):
    """A second reviewer's decision on a dispute (never the reviewer who gave the verdict)."""

    __tablename__ = "qa_dispute_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    dispute_id: Mapped[int] = mapped_column(ForeignKey("qa_disputes.id"), unique=True)
    decided_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    outcome: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# --- calibration -----------------------------------------------------------------------------------------------


class CalibrationSession(Base):
    __tablename__ = "calibration_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    question: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200), default="")
    source: Mapped[str] = mapped_column(String(20))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CalibrationItem(Base):
    __tablename__ = "calibration_items"

    session_id: Mapped[int] = mapped_column(ForeignKey("calibration_sessions.id"), primary_key=True)
    item_id: Mapped[int] = mapped_column(BigId, ForeignKey("items.id"), primary_key=True)
    position: Mapped[int] = mapped_column()


class CalibrationAnswer(Base):
    """A participant's blind answer in a session (not a production label)."""

    __tablename__ = "calibration_answers"
    __table_args__ = (UniqueConstraint("session_id", "item_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("calibration_sessions.id"))
    item_id: Mapped[int] = mapped_column(BigId, ForeignKey("items.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    answer: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CalibrationKey(Base):
    """The policy expert's answer key for one item of a session."""

    __tablename__ = "calibration_keys"
    __table_args__ = (UniqueConstraint("session_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("calibration_sessions.id"))
    item_id: Mapped[int] = mapped_column(BigId, ForeignKey("items.id"))
    answer: Mapped[str] = mapped_column(String(100))
    rationale: Mapped[str] = mapped_column(Text, default="")
    keyed_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CalibrationNote(Base):
    """A note or an outcome of a session; an outcome may be proposed as a guideline example."""

    __tablename__ = "calibration_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("calibration_sessions.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    item_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("items.id"))
    example_kind: Mapped[str | None] = mapped_column(String(20))
    example_version: Mapped[str | None] = mapped_column(String(40))
    example_rationale: Mapped[str] = mapped_column(Text, default="")
    example_ref: Mapped[str | None] = mapped_column(String(80))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
