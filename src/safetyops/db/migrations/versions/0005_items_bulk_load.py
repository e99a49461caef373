"""items: no per-row foreign-key checks on project_id / batch_id; no planner statistics on the JSON columns

The import checks the project and creates the batch in the transaction that writes the items, so each
batch's references are checked once instead of by two PostgreSQL triggers per row (which took more time
than the insert itself). ANALYZE skips context and metadata: no query filters on them, and comparing
JSONB values made the post-import ANALYZE take 2.5 s per 100,000 items instead of 0.4 s.

Revision ID: 0005_items_bulk_load
Revises: 0004_workforce_guidelines
Create Date: 2026-11-24 09:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_items_bulk_load"
down_revision = "0004_workforce_guidelines"
branch_labels = None
depends_on = None

_FOREIGN_KEYS = (
    ("fk_items_project_id_projects", "project_id", "projects"),
    ("fk_items_batch_id_batches", "batch_id", "batches"),
)
_PARTIAL = sa.text("open_slots > 0 AND NOT is_gold")


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _drop_partial_indexes() -> None:
    """SQLite rebuilds the table to change its foreign keys and cannot reflect these indexes: drop and remake."""
    op.drop_index("ix_items_queue", table_name="items")
    op.drop_index("ix_items_gold", table_name="items")


def _create_partial_indexes() -> None:
    op.create_index(
        "ix_items_queue",
        "items",
        ["project_id", sa.text("priority DESC"), "id"],
        postgresql_where=_PARTIAL,
        sqlite_where=_PARTIAL,
    )
    op.create_index(
        "ix_items_gold",
        "items",
        ["project_id", "id"],
        postgresql_where=sa.text("is_gold"),
        sqlite_where=sa.text("is_gold"),
    )


def _statistics(target: int) -> None:
    if not _sqlite():
        op.execute(
            f"ALTER TABLE items ALTER COLUMN context SET STATISTICS {target}, "
            f"ALTER COLUMN metadata SET STATISTICS {target}"
        )


def upgrade() -> None:
    sqlite = _sqlite()
    if sqlite:
        _drop_partial_indexes()
    with op.batch_alter_table("items", schema=None) as batch_op:
        for name, _, _ in _FOREIGN_KEYS:
            batch_op.drop_constraint(name, type_="foreignkey")
    if sqlite:
        _create_partial_indexes()
    _statistics(0)


def downgrade() -> None:
    _statistics(-1)
    sqlite = _sqlite()
    if sqlite:
        _drop_partial_indexes()
    with op.batch_alter_table("items", schema=None) as batch_op:
        for name, column, target in _FOREIGN_KEYS:
            batch_op.create_foreign_key(name, target, [column], ["id"])
    if sqlite:
        _create_partial_indexes()
