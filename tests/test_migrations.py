"""The Alembic migrations build exactly the schema the models declare, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from safetyops.db.engine import make_engine
from safetyops.db.migrate import current_revision, upgrade
from safetyops.db.models import metadata


def test_upgrade_matches_models(db_url: str) -> None:
    engine = make_engine(db_url, pool_size=1)
    upgrade(engine)
    upgrade(engine)  # idempotent
    assert current_revision(engine) is not None
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    # SQLite cannot reflect expression indexes, so autogenerate lists them as missing there.
    diff = [d for d in diff if not (isinstance(d, tuple) and "index" in d[0] and d[1].name == "ix_items_queue")]
    assert diff == []
    names = {i["name"] for i in inspect(engine).get_indexes("items")}
    assert "ix_items_queue" in names
    engine.dispose()
