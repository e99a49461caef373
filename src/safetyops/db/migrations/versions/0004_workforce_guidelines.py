"""workforce training and certification; guideline versions, examples and notices

Revision ID: 0004_workforce_guidelines
Revises: 0003_intake_planning
Create Date: 2026-11-23 13:20:00
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004_workforce_guidelines"
down_revision = "0003_intake_planning"
branch_labels = None
depends_on = None


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _time(nullable: bool = False, name: str = "created_at") -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"))


def upgrade() -> None:
    op.create_table(
        "guideline_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.Column("major", sa.Integer(), nullable=False),
        sa.Column("minor", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("what_changed", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        _time(),
        _time(True, "published_at"),
        sa.Column("published_by", sa.Integer(), nullable=True),
        _fk("guideline_versions", "created_by", "users"),
        _fk("guideline_versions", "project_id", "projects"),
        _fk("guideline_versions", "published_by", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guideline_versions")),
        sa.UniqueConstraint("project_id", "version", name=op.f("uq_guideline_versions_project_id_version")),
    )
    op.create_index(op.f("ix_guideline_versions_project_id"), "guideline_versions", ["project_id"])

    op.create_table(
        "training_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("project_start", sa.Date(), nullable=False),
        sa.Column("modules", _json(), nullable=False),
        sa.Column("quiz_size", sa.Integer(), nullable=False),
        sa.Column("pass_mark", sa.Float(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("cooldown_hours", sa.Float(), nullable=False),
        sa.Column("graded_questions", _json(), nullable=False),
        sa.Column("promote_on_pass", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        _time(),
        _time(name="updated_at"),
        sa.CheckConstraint("cooldown_hours >= 0", name=op.f("ck_training_plans_cooldown_nonnegative")),
        sa.CheckConstraint("max_attempts >= 1", name=op.f("ck_training_plans_max_attempts_positive")),
        sa.CheckConstraint("pass_mark >= 0 AND pass_mark <= 1", name=op.f("ck_training_plans_pass_mark_range")),
        sa.CheckConstraint("quiz_size >= 1", name=op.f("ck_training_plans_quiz_size_positive")),
        _fk("training_plans", "created_by", "users"),
        _fk("training_plans", "project_id", "projects"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_plans")),
        sa.UniqueConstraint("project_id", name=op.f("uq_training_plans_project_id")),
    )

    op.create_table(
        "guideline_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        _time(),
        _fk("guideline_notices", "project_id", "projects"),
        _fk("guideline_notices", "version_id", "guideline_versions"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guideline_notices")),
    )
    op.create_index(op.f("ix_guideline_notices_project_id"), "guideline_notices", ["project_id"])

    op.create_table(
        "quiz_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("labeler_id", sa.Integer(), nullable=False),
        sa.Column("guideline_version", sa.String(length=40), nullable=False),
        sa.Column("guideline_major", sa.Integer(), nullable=False),
        sa.Column("item_ids", _json(), nullable=False),
        sa.Column("answers", _json(), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("passed", sa.Boolean(), nullable=True),
        _time(name="started_at"),
        _time(True, "finished_at"),
        _fk("quiz_attempts", "labeler_id", "labelers"),
        _fk("quiz_attempts", "plan_id", "training_plans"),
        _fk("quiz_attempts", "project_id", "projects"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quiz_attempts")),
    )
    op.create_index("ix_quiz_attempts_plan_labeler", "quiz_attempts", ["plan_id", "labeler_id"])

    op.create_table(
        "training_progress",
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("labeler_id", sa.Integer(), nullable=False),
        sa.Column("module_key", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        _time(name="updated_at"),
        _fk("training_progress", "labeler_id", "labelers"),
        _fk("training_progress", "plan_id", "training_plans"),
        _fk("training_progress", "updated_by", "users"),
        sa.PrimaryKeyConstraint("plan_id", "labeler_id", "module_key", name=op.f("pk_training_progress")),
    )
    op.create_index(op.f("ix_training_progress_labeler_id"), "training_progress", ["labeler_id"])

    op.create_table(
        "certification_grants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("labeler_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("guideline_major", sa.Integer(), nullable=True),
        sa.Column("attempt_id", sa.Integer(), nullable=True),
        _time(name="granted_at"),
        _time(True, "expired_at"),
        sa.Column("expiry_reason", sa.String(length=200), nullable=False),
        _fk("certification_grants", "attempt_id", "quiz_attempts"),
        _fk("certification_grants", "labeler_id", "labelers"),
        _fk("certification_grants", "project_id", "projects"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certification_grants")),
    )
    op.create_index(op.f("ix_certification_grants_labeler_id"), "certification_grants", ["labeler_id"])

    op.create_table(
        "guideline_examples",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.Column("item_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        _time(),
        _fk("guideline_examples", "created_by", "users"),
        _fk("guideline_examples", "item_id", "items"),
        _fk("guideline_examples", "version_id", "guideline_versions"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guideline_examples")),
    )
    op.create_index(op.f("ix_guideline_examples_version_id"), "guideline_examples", ["version_id"])

    op.create_table(
        "guideline_notice_receipts",
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("labeler_id", sa.Integer(), nullable=False),
        _time(True, "read_at"),
        _fk("guideline_notice_receipts", "labeler_id", "labelers"),
        _fk("guideline_notice_receipts", "notice_id", "guideline_notices"),
        sa.PrimaryKeyConstraint("notice_id", "labeler_id", name=op.f("pk_guideline_notice_receipts")),
    )
    op.create_index(op.f("ix_guideline_notice_receipts_labeler_id"), "guideline_notice_receipts", ["labeler_id"])


def downgrade() -> None:
    for table, index in (
        ("guideline_notice_receipts", "ix_guideline_notice_receipts_labeler_id"),
        ("guideline_examples", "ix_guideline_examples_version_id"),
        ("certification_grants", "ix_certification_grants_labeler_id"),
        ("training_progress", "ix_training_progress_labeler_id"),
        ("quiz_attempts", "ix_quiz_attempts_plan_labeler"),
        ("guideline_notices", "ix_guideline_notices_project_id"),
        ("training_plans", None),
        ("guideline_versions", "ix_guideline_versions_project_id"),
    ):
        if index is not None:
            op.drop_index(index, table_name=table)
        op.drop_table(table)
