"""projects: a data credit (source, link, licence, licence link) that a project carries as data

Items a project shows come with the credit their data set asks for. Until now only the demo project had one,
found by comparing the project's name with the demo's; a project now carries its own (nullable JSON, checked
by `projects.schemas.DataCredit` when it is set through the API or a project file). A database that already
holds the demo project (the name, and the batch the demo loads) gets the ConvAbuse credit it showed before.

It is the first revision added since the revisions form one line (0001 → 0002_quality → 0003_intake_planning →
0004_workforce_guidelines → 0005_items_bulk_load → 0006_queue_writes → 0007_data_credit; 0002–0006 were
branches off 0001 before, and `db.migrate.upgrade` keeps one row of an older database's `alembic_version`).

Revision ID: 0007_data_credit
Revises: 0006_queue_writes
Create Date: 2026-12-02 10:00:00
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007_data_credit"
down_revision = "0006_queue_writes"
branch_labels = None
depends_on = None

# As safetyops.demo sets it (copied: a revision imports no application code).
_DEMO_NAME = "ConvAbuse demo"
_DEMO_BATCH_FILE = "ConvAbuseEMNLPfull.csv.gz"
_DEMO_CREDIT = {
    "source": "ConvAbuse — Cercas Curry, Abercrombie & Rieser, EMNLP 2021",
    "link": "https://aclanthology.org/2021.emnlp-main.587/",
    "licence": "CC BY 4.0",
    "licence_link": "https://creativecommons.org/licenses/by/4.0/",
}


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.add_column("projects", sa.Column("data_credit", _json(), nullable=True))
    projects = sa.table("projects", sa.column("id", sa.Integer), sa.column("name"), sa.column("data_credit", _json()))
    batches = sa.table("batches", sa.column("project_id", sa.Integer), sa.column("filename"))
    demo_batch = sa.exists().where(batches.c.project_id == projects.c.id, batches.c.filename == _DEMO_BATCH_FILE)
    op.execute(projects.update().where(projects.c.name == _DEMO_NAME, demo_batch).values(data_credit=_DEMO_CREDIT))


def downgrade() -> None:
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_column("data_credit")
