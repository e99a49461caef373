"""The Alembic migrations build exactly the schema the models declare, on both databases."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, Engine, inspect, text

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


def test_queue_writes_keep_their_partial_indexes_and_lose_the_per_row_checks(db_url: str) -> None:
    """0006: SQLite's table rebuild keeps the partial indexes of assignments and labels; leases and labels
    carry no per-row reference checks but a correction's; a labeler's live leases have their own partial index."""
    engine = make_engine(db_url, pool_size=1)
    upgrade(engine)
    inspector = inspect(engine)
    assert inspector.get_foreign_keys("assignments") == []
    assert [(fk["constrained_columns"], fk["referred_table"]) for fk in inspector.get_foreign_keys("labels")] == [
        (["supersedes_id"], "labels")
    ]
    with engine.connect() as conn:
        indexes = _index_definitions(conn, "assignments", "labels")
    for name, condition in (
        ("ix_assignments_labeler_live", "'leased'"),
        ("ix_assignments_live", "'leased'"),
        ("uq_labels_item_labeler_original", "supersedes_id IS NULL"),
    ):
        assert "WHERE" in indexes[name] and condition in indexes[name], indexes[name]
    assert "ix_assignments_labeler" not in indexes
    engine.dispose()


def test_items_take_bulk_loads_without_per_row_checks(db_url: str) -> None:
    """0005: items keep their partial queue indexes through SQLite's table rebuild, lose the per-row
    foreign-key checks, and PostgreSQL keeps no planner statistics on the JSON columns."""
    engine = make_engine(db_url, pool_size=1)
    upgrade(engine)
    assert inspect(engine).get_foreign_keys("items") == []
    with engine.connect() as conn:
        indexes = _index_definitions(conn, "items")
        assert "WHERE" in indexes["ix_items_queue"] and "open_slots > 0" in indexes["ix_items_queue"]
        assert "WHERE" in indexes["ix_items_gold"] and "is_gold" in indexes["ix_items_gold"]
        if engine.dialect.name == "postgresql":
            targets = conn.execute(
                text(
                    "SELECT attname, attstattarget FROM pg_attribute WHERE attrelid = 'items'::regclass "
                    "AND attname IN ('context', 'metadata', 'content_text')"
                )
            ).all()
            assert dict(targets) == {"context": 0, "metadata": 0, "content_text": -1}
    engine.dispose()


def test_models_keep_no_statistics_on_item_json_either(engine: Engine) -> None:
    """The tables the models create (tests, benchmarks) match the migrated ones on this point too."""
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    with engine.connect() as conn:
        targets = conn.execute(
            text(
                "SELECT attname, attstattarget FROM pg_attribute WHERE attrelid = 'items'::regclass "
                "AND attname IN ('context', 'metadata')"
            )
        ).all()
    assert dict(targets) == {"context": 0, "metadata": 0}


def _index_definitions(conn: Connection, *tables: str) -> dict[str, str]:
    """Each index of `tables` by name, with its CREATE INDEX text (empty for SQLite's automatic ones)."""
    names = ", ".join(f"'{table}'" for table in tables)
    if conn.dialect.name == "sqlite":
        sql = f"SELECT name, sql FROM sqlite_master WHERE tbl_name IN ({names}) AND type = 'index'"
    else:
        sql = (
            f"SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ({names}) AND schemaname = current_schema()"
        )
    return {name: definition or "" for name, definition in conn.execute(text(sql)).all()}
