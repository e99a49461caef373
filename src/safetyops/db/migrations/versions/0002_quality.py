"""quality: aggregation runs, final labels, expert review, QA review, calibration, model predictions

Revision ID: 0002_quality
Revises: 0001
Create Date: 2026-11-23 13:20:00
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002_quality"
down_revision = "0001"
branch_labels = None
depends_on = None

BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _time(name: str = "created_at", nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"))


def _pk(table: str, *columns: str) -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint(*(columns or ("id",)), name=op.f(f"pk_{table}"))


def _index(table: str, column: str) -> None:
    op.create_index(op.f(f"ix_{table}_{column}"), table, [column])


def upgrade() -> None:
    op.create_table(
        "aggregation_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("question", sa.String(length=64), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("tie_policy", sa.String(length=16), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("n_items", sa.Integer(), nullable=False),
        sa.Column("n_labels", sa.Integer(), nullable=False),
        sa.Column("n_review", sa.Integer(), nullable=False),
        sa.Column("iterations", sa.Integer(), nullable=False),
        sa.Column("converged", sa.Boolean(), nullable=False),
        sa.Column("log_likelihood", sa.Float(), nullable=True),
        sa.Column("period_from", sa.Date(), nullable=True),
        sa.Column("period_to", sa.Date(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        _time(),
        _fk("aggregation_runs", "created_by", "users"),
        _fk("aggregation_runs", "project_id", "projects"),
        _pk("aggregation_runs"),
    )
    _index("aggregation_runs", "project_id")

    op.create_table(
        "final_labels",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("item_id", BIG, nullable=False),
        sa.Column("label", sa.String(length=100), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("needs_review", sa.Boolean(), nullable=False),
        _fk("final_labels", "item_id", "items"),
        _fk("final_labels", "run_id", "aggregation_runs"),
        _pk("final_labels", "run_id", "item_id"),
    )

    op.create_table(
        "expert_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("item_id", BIG, nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("proposed_label", sa.String(length=100), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=False),
        _time(),
        _fk("expert_reviews", "item_id", "items"),
        _fk("expert_reviews", "project_id", "projects"),
        _fk("expert_reviews", "run_id", "aggregation_runs"),
        _pk("expert_reviews"),
        sa.UniqueConstraint("run_id", "item_id", name=op.f("uq_expert_reviews_run_id_item_id")),
    )
    _index("expert_reviews", "project_id")

    op.create_table(
        "expert_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        _time(),
        _fk("expert_decisions", "decided_by", "users"),
        _fk("expert_decisions", "review_id", "expert_reviews"),
        _pk("expert_decisions"),
    )
    _index("expert_decisions", "review_id")

    op.create_table(
        "qa_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("params", _json(), nullable=False),
        sa.Column("n_tasks", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        _time(),
        _fk("qa_plans", "created_by", "users"),
        _fk("qa_plans", "project_id", "projects"),
        _pk("qa_plans"),
    )
    _index("qa_plans", "project_id")

    op.create_table(
        "qa_tasks",
        sa.Column("id", BIG, autoincrement=True, nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("label_id", BIG, nullable=False),
        sa.Column("item_id", BIG, nullable=False),
        sa.Column("labeler_id", sa.Integer(), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=True),
        _time("claimed_at", nullable=True),
        _time(),
        _fk("qa_tasks", "item_id", "items"),
        _fk("qa_tasks", "label_id", "labels"),
        _fk("qa_tasks", "labeler_id", "labelers"),
        _fk("qa_tasks", "plan_id", "qa_plans"),
        _fk("qa_tasks", "project_id", "projects"),
        _fk("qa_tasks", "reviewer_id", "users"),
        _pk("qa_tasks"),
        sa.UniqueConstraint("label_id", name=op.f("uq_qa_tasks_label_id")),
    )
    _index("qa_tasks", "plan_id")
    op.create_index("ix_qa_tasks_project_reviewer", "qa_tasks", ["project_id", "reviewer_id"])

    op.create_table(
        "qa_blind_answers",
        sa.Column("task_id", BIG, nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=False),
        sa.Column("answer", _json(), nullable=False),
        _time(),
        _fk("qa_blind_answers", "reviewer_id", "users"),
        _fk("qa_blind_answers", "task_id", "qa_tasks"),
        _pk("qa_blind_answers", "task_id"),
    )

    op.create_table(
        "qa_verdicts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", BIG, nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("labeler_id", sa.Integer(), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=False),
        sa.Column("correct", sa.Boolean(), nullable=False),
        sa.Column("error_type", sa.String(length=20), nullable=True),
        sa.Column("feedback", sa.Text(), nullable=False),
        _time(),
        _fk("qa_verdicts", "labeler_id", "labelers"),
        _fk("qa_verdicts", "project_id", "projects"),
        _fk("qa_verdicts", "reviewer_id", "users"),
        _fk("qa_verdicts", "task_id", "qa_tasks"),
        _pk("qa_verdicts"),
        sa.UniqueConstraint("task_id", name=op.f("uq_qa_verdicts_task_id")),
    )
    _index("qa_verdicts", "labeler_id")
    _index("qa_verdicts", "project_id")

    op.create_table(
        "qa_disputes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("verdict_id", sa.Integer(), nullable=False),
        sa.Column("labeler_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        _time(),
        _fk("qa_disputes", "labeler_id", "labelers"),
        _fk("qa_disputes", "verdict_id", "qa_verdicts"),
        _pk("qa_disputes"),
        sa.UniqueConstraint("verdict_id", name=op.f("uq_qa_disputes_verdict_id")),
    )

    op.create_table(
        "qa_dispute_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dispute_id", sa.Integer(), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        _time(),
        _fk("qa_dispute_decisions", "decided_by", "users"),
        _fk("qa_dispute_decisions", "dispute_id", "qa_disputes"),
        _pk("qa_dispute_decisions"),
        sa.UniqueConstraint("dispute_id", name=op.f("uq_qa_dispute_decisions_dispute_id")),
    )

    op.create_table(
        "calibration_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("question", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        _time(),
        _fk("calibration_sessions", "created_by", "users"),
        _fk("calibration_sessions", "project_id", "projects"),
        _pk("calibration_sessions"),
    )
    _index("calibration_sessions", "project_id")

    op.create_table(
        "calibration_items",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("item_id", BIG, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        _fk("calibration_items", "item_id", "items"),
        _fk("calibration_items", "session_id", "calibration_sessions"),
        _pk("calibration_items", "session_id", "item_id"),
    )

    op.create_table(
        "calibration_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("item_id", BIG, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("answer", sa.String(length=100), nullable=False),
        _time(),
        _fk("calibration_answers", "item_id", "items"),
        _fk("calibration_answers", "session_id", "calibration_sessions"),
        _fk("calibration_answers", "user_id", "users"),
        _pk("calibration_answers"),
        sa.UniqueConstraint(
            "session_id", "item_id", "user_id", name=op.f("uq_calibration_answers_session_id_item_id_user_id")
        ),
    )

    op.create_table(
        "calibration_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("item_id", BIG, nullable=False),
        sa.Column("answer", sa.String(length=100), nullable=False),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.Column("keyed_by", sa.Integer(), nullable=False),
        _time(),
        _fk("calibration_keys", "item_id", "items"),
        _fk("calibration_keys", "keyed_by", "users"),
        _fk("calibration_keys", "session_id", "calibration_sessions"),
        _pk("calibration_keys"),
        sa.UniqueConstraint("session_id", "item_id", name=op.f("uq_calibration_keys_session_id_item_id")),
    )

    op.create_table(
        "calibration_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("item_id", BIG, nullable=True),
        sa.Column("example_kind", sa.String(length=20), nullable=True),
        sa.Column("example_version", sa.String(length=40), nullable=True),
        sa.Column("example_rationale", sa.Text(), nullable=False),
        sa.Column("example_ref", sa.String(length=80), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        _time(),
        _fk("calibration_notes", "created_by", "users"),
        _fk("calibration_notes", "item_id", "items"),
        _fk("calibration_notes", "session_id", "calibration_sessions"),
        _pk("calibration_notes"),
    )
    _index("calibration_notes", "session_id")

    op.create_table(
        "model_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("filename", sa.String(length=400), nullable=False),
        sa.Column("file_format", sa.String(length=8), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        _time(),
        _fk("model_runs", "created_by", "users"),
        _fk("model_runs", "project_id", "projects"),
        _pk("model_runs"),
    )
    _index("model_runs", "project_id")

    op.create_table(
        "model_predictions",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("item_id", BIG, nullable=False),
        sa.Column("policy", sa.String(length=100), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("label", sa.String(length=100), nullable=True),
        _fk("model_predictions", "item_id", "items"),
        _fk("model_predictions", "run_id", "model_runs"),
        _pk("model_predictions", "run_id", "item_id", "policy"),
    )


def downgrade() -> None:
    for name in (
        "model_predictions",
        "model_runs",
        "calibration_notes",
        "calibration_keys",
        "calibration_answers",
        "calibration_items",
        "calibration_sessions",
        "qa_dispute_decisions",
        "qa_disputes",
        "qa_verdicts",
        "qa_blind_answers",
        "qa_tasks",
        "qa_plans",
        "expert_decisions",
        "expert_reviews",
        "final_labels",
        "aggregation_runs",
    ):
        op.drop_table(name)
