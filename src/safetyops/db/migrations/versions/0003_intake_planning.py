"""intake and planning: labeling requests, decisions, manpower plans and their rows

Revision ID: 0003_intake_planning
Revises: 0002_quality
Create Date: 2026-11-23 13:30:00
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003_intake_planning"
down_revision = "0002_quality"
branch_labels = None
depends_on = None

BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"))


def upgrade() -> None:
    op.create_table(
        "labeling_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=160), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("requester_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("spec", _json(), nullable=False),
        sa.Column("evaluation", _json(), nullable=False),
        sa.Column("verdict", sa.String(length=8), nullable=False),
        sa.Column("fte_needed", sa.Float(), nullable=True),
        sa.Column("window_start", sa.Date(), nullable=False),
        sa.Column("window_end", sa.Date(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        _fk("labeling_requests", "requester_id", "users"),
        _fk("labeling_requests", "project_id", "projects"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_labeling_requests")),
    )
    op.create_index(op.f("ix_labeling_requests_requester_id"), "labeling_requests", ["requester_id"])
    op.create_index(op.f("ix_labeling_requests_status"), "labeling_requests", ["status"])

    op.create_table(
        "request_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("conditions", _json(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _fk("request_decisions", "request_id", "labeling_requests"),
        _fk("request_decisions", "project_id", "projects"),
        _fk("request_decisions", "decided_by", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_decisions")),
    )
    op.create_index(op.f("ix_request_decisions_request_id"), "request_decisions", ["request_id"])

    op.create_table(
        "manpower_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("period_from", sa.Date(), nullable=False),
        sa.Column("period_to", sa.Date(), nullable=False),
        sa.Column("period_months", sa.Integer(), nullable=False),
        sa.Column("params", _json(), nullable=False),
        sa.Column("scenarios", _json(), nullable=False),
        sa.Column("notes", _json(), nullable=False),
        sa.Column("service_level", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _fk("manpower_plans", "created_by", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_manpower_plans")),
    )

    op.create_table(
        "manpower_plan_rows",
        sa.Column("id", BIG, autoincrement=True, nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("scenario", sa.String(length=80), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("vendor", sa.String(length=200), nullable=False),
        sa.Column("site", sa.String(length=200), nullable=False),
        sa.Column("market", sa.String(length=16), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("working_days", sa.Integer(), nullable=False),
        sa.Column("workload_hours", sa.Float(), nullable=False),
        sa.Column("productive_hours_per_fte", sa.Float(), nullable=False),
        sa.Column("deferred_fte", sa.Float(), nullable=False),
        sa.Column("live_agents", sa.Float(), nullable=False),
        sa.Column("live_fte", sa.Float(), nullable=False),
        sa.Column("required_fte", sa.Float(), nullable=False),
        sa.Column("roster_fte", sa.Float(), nullable=False),
        sa.Column("gap_fte", sa.Float(), nullable=False),
        sa.Column("hires", sa.Integer(), nullable=False),
        sa.Column("start_hiring_by", sa.Date(), nullable=True),
        sa.Column("method", sa.String(length=64), nullable=False),
        _fk("manpower_plan_rows", "plan_id", "manpower_plans"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_manpower_plan_rows")),
    )
    op.create_index(op.f("ix_manpower_plan_rows_plan_id"), "manpower_plan_rows", ["plan_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_manpower_plan_rows_plan_id"), table_name="manpower_plan_rows")
    op.drop_table("manpower_plan_rows")
    op.drop_table("manpower_plans")
    op.drop_index(op.f("ix_request_decisions_request_id"), table_name="request_decisions")
    op.drop_table("request_decisions")
    op.drop_index(op.f("ix_labeling_requests_status"), table_name="labeling_requests")
    op.drop_index(op.f("ix_labeling_requests_requester_id"), table_name="labeling_requests")
    op.drop_table("labeling_requests")
