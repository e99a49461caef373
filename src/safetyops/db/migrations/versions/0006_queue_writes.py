"""queue writes: a labeler's live leases in a partial index; no per-row reference checks on leases and labels

`ix_assignments_labeler (labeler_id, status)` took an entry for every lease ever made and a new one each
time a lease changed status; what is read through it is a labeler's live leases. It becomes
`ix_assignments_labeler_live (labeler_id, project_id) WHERE status = 'leased'`: a submit removes the
lease from it instead of adding an entry.

Leases and labels are written only by the queue's own statements, which take every reference from a row
they hold locked (the item they picked, the lease being closed) or from the signed-in labeler; items,
labelers, projects and leases are never deleted. Their foreign keys (project, item, labeler, lease) cost
PostgreSQL a trigger and a lookup per key on every lease and label: about a fifth of the database's CPU
per labeled item. They are dropped; the load tests check that no lease or label points nowhere. A
correction's `supersedes_id` keeps its key (checked only on corrections).

Revision ID: 0006_queue_writes
Revises: 0005_items_bulk_load
Create Date: 2026-11-30 10:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_queue_writes"
down_revision = "0005_items_bulk_load"
branch_labels = None
depends_on = None

_LEASED = sa.text("status = 'leased'")
_ORIGINAL = sa.text("supersedes_id IS NULL")


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _partial_indexes(create: bool) -> None:
    """SQLite rebuilds a table to change its foreign keys and cannot carry partial indexes over: they are
    dropped before and made again after."""
    if create:
        op.create_index("ix_assignments_live", "assignments", ["project_id", "expires_at"], sqlite_where=_LEASED)
        op.create_index(
            "uq_labels_item_labeler_original", "labels", ["item_id", "labeler_id"], unique=True, sqlite_where=_ORIGINAL
        )
    else:
        op.drop_index("ix_assignments_live", table_name="assignments")
        op.drop_index("uq_labels_item_labeler_original", table_name="labels")


_FOREIGN_KEYS = {
    "assignments": (("project_id", "projects"), ("item_id", "items"), ("labeler_id", "labelers")),
    "labels": (
        ("project_id", "projects"),
        ("item_id", "items"),
        ("labeler_id", "labelers"),
        ("assignment_id", "assignments"),
    ),
}


def _foreign_keys(create: bool) -> None:
    for table, keys in _FOREIGN_KEYS.items():
        with op.batch_alter_table(table) as batch_op:
            for column, target in keys:
                name = f"fk_{table}_{column}_{target}"
                if create:
                    batch_op.create_foreign_key(name, target, [column], ["id"])
                else:
                    batch_op.drop_constraint(name, type_="foreignkey")


def _rebuild_with_foreign_keys(present: bool) -> None:
    """Add or drop the foreign keys; SQLite rebuilds the tables for it, so its partial indexes are set
    aside first and made again after."""
    if _sqlite():
        _partial_indexes(create=False)
    _foreign_keys(create=present)
    if _sqlite():
        _partial_indexes(create=True)


def upgrade() -> None:
    op.drop_index("ix_assignments_labeler", table_name="assignments")
    _rebuild_with_foreign_keys(False)
    op.create_index(
        "ix_assignments_labeler_live",
        "assignments",
        ["labeler_id", "project_id"],
        postgresql_where=_LEASED,
        sqlite_where=_LEASED,
    )


def downgrade() -> None:
    op.drop_index("ix_assignments_labeler_live", table_name="assignments")
    _rebuild_with_foreign_keys(True)
    op.create_index("ix_assignments_labeler", "assignments", ["labeler_id", "status"])
