"""Alembic environment: runs migrations on the engine handed over in config.attributes (by `db.migrate`), or,
from the `alembic` command line (`alembic.ini` at the repository root), on the configured database."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from safetyops.db.engine import make_engine
from safetyops.db.migrate import render_item
from safetyops.db.models import metadata

given: Engine | None = context.config.attributes.get("engine")
engine = given or make_engine(pool_size=1)

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
if given is None:
    engine.dispose()
