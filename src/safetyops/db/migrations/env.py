"""Alembic environment: runs migrations on the engine handed over in config.attributes."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from safetyops.db.models import metadata

engine: Engine = context.config.attributes["engine"]

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
