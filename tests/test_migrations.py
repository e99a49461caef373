"""The Alembic migrations: one line of revisions that import no application code, and build exactly the schema
the models declare, on both databases."""

from __future__ import annotations

import ast
import re

import pytest
from alembic.autogenerate import compare_metadata
from alembic.autogenerate.api import AutogenContext
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, Integer, insert, inspect, select, text

from safetyops.db.base import UTCDateTime, table
from safetyops.db.engine import make_engine
from safetyops.db.migrate import MIGRATIONS, current_revision, render_item, revision_line, upgrade
from safetyops.db.models import metadata
from safetyops.demo import DATA_CREDIT, DEMO_PROJECT, DEMO_TAXONOMY
from safetyops.errors import Conflict
from safetyops.projects.models import Batch, Project
from safetyops.workforce.models import Labeler, Vendor

VERSIONS = MIGRATIONS / "versions"
# alembic_version of a database migrated while each area kept its own branch off 0001 (before 0007).
AREA_BRANCH_HEADS = [
    "0002_quality",
    "0003_intake_planning",
    "0004_workforce_guidelines",
    "0005_items_bulk_load",
    "0006_queue_writes",
]


def test_revisions_form_one_line() -> None:
    """One head; every revision has one parent (the first none), no branch labels, no dependencies; `alembic
    heads` prints the one head."""
    script = ScriptDirectory(str(MIGRATIONS))
    revisions = list(script.walk_revisions())
    assert script.get_heads() == [revisions[0].revision] == [revision_line()[-1]]
    assert len(revisions) == len(list(VERSIONS.glob("*.py")))
    for rev in revisions:
        assert rev.branch_labels == set() and not rev.dependencies, rev.revision
        if rev.revision == "0001":
            assert rev.down_revision is None
        else:
            assert isinstance(rev.down_revision, str), f"{rev.revision} has parents {rev.down_revision}"
        assert len(rev.nextrev) <= 1, f"{rev.revision} is a branch point"


def test_no_revision_imports_application_code() -> None:
    """A revision must build the same tables whatever the application code becomes later: it copies what it
    needs (enum values, column types, helpers) instead of importing it. The template of new revisions too."""
    for path in VERSIONS.glob("*.py"):
        modules = [
            name
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
            for name in (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
        ]
        assert "alembic" in modules, path.name
        assert [m for m in modules if m.split(".")[0] == "safetyops"] == [], path.name
    template = (MIGRATIONS / "script.py.mako").read_text(encoding="utf-8")
    assert "from alembic import op" in template
    assert not re.search(r"^\s*(import|from)\s+safetyops", template, re.M)


def test_autogenerate_writes_plain_types() -> None:
    """So that `alembic revision --autogenerate` does not write an import of safetyops either."""
    context = AutogenContext.__new__(AutogenContext)
    assert render_item("type", UTCDateTime(), context) == "sa.DateTime(timezone=True)"
    assert render_item("type", Integer(), context) is False


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


def _legacy_database(db_url: str, recorded: list[str]) -> Engine:
    """A database at 0006 whose alembic_version holds `recorded`, as the per-area branches left it."""
    engine = make_engine(db_url, pool_size=1)
    upgrade(engine, "0006_queue_writes")
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM alembic_version"))
        for rev in recorded:
            conn.execute(text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": rev})
    assert current_revision(engine) == ",".join(sorted(recorded))
    return engine


def test_a_database_from_the_area_branches_joins_the_line(db_url: str) -> None:
    """Its one row per area branch becomes the one row of the line, then 0007 runs: the demo project loaded
    before (its name and its batch) gets the credit it showed, a project that only shares the batch's file
    name does not."""
    engine = _legacy_database(db_url, AREA_BRANCH_HEADS)
    with engine.begin() as conn:
        for name in (DEMO_PROJECT, "Another project"):
            pid = conn.execute(
                insert(table(Project)).values(name=name, taxonomy=DEMO_TAXONOMY).returning(table(Project).c.id)
            ).scalar_one()
            batch = {"project_id": pid, "filename": "ConvAbuseEMNLPfull.csv.gz", "file_format": "csv"}
            conn.execute(insert(table(Batch)).values(batch))
    upgrade(engine)
    assert current_revision(engine) == revision_line()[-1] and "0007_data_credit" in revision_line()
    with engine.connect() as conn:
        credits = dict(conn.execute(select(Project.name, Project.data_credit)).all())
    assert credits == {DEMO_PROJECT: DATA_CREDIT.model_dump(), "Another project": None}
    upgrade(engine)  # and again: nothing left to do
    assert current_revision(engine) == revision_line()[-1]
    engine.dispose()


def test_a_database_with_a_gap_in_the_line_is_refused(db_url: str) -> None:
    """The intake and workforce branches without the quality one: on the line 0002 comes before both."""
    engine = _legacy_database(db_url, ["0003_intake_planning", "0004_workforce_guidelines"])
    with pytest.raises(Conflict, match="0002_quality"):
        upgrade(engine)
    assert current_revision(engine) == "0003_intake_planning,0004_workforce_guidelines"
    engine.dispose()


def test_locale_settings_clear_the_default_and_normalise_stored_codes(db_url: str) -> None:
    """0008: `users.locale` held only its default ('en'), now "not chosen"; codes stored before they were checked
    are brought to their standard form where it is certain, and left as they are where they read as nothing."""
    engine = make_engine(db_url, pool_size=1)
    upgrade(engine, "0007_data_credit")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO users (username, display_name, role, locale, is_active, created_at) VALUES "
                "('old', 'old', 'labeler', 'en', true, CURRENT_TIMESTAMP)"
            )
        )
        vendor = conn.execute(insert(table(Vendor)).values(name="V").returning(table(Vendor).c.id)).scalar_one()
        conn.execute(
            insert(table(Labeler)).values(
                vendor_id=vendor,
                external_id="l1",
                languages=["Bengali", "EN", "bn", "Klingonish"],
                markets=["bd", "UK", "Narnia"],
            )
        )
        pid = conn.execute(
            insert(table(Project))
            .values(name="P", taxonomy=DEMO_TAXONOMY, languages=["zh", "zh_hans"], markets=["CN"])
            .returning(table(Project).c.id)
        ).scalar_one()
        batch = conn.execute(
            insert(table(Batch))
            .values(project_id=pid, filename="f.jsonl", file_format="jsonl")
            .returning(table(Batch).c.id)
        ).scalar_one()
        for i, (language, market) in enumerate(
            [("EN", "gb"), ("ben", "BGD"), ("zh", "CN"), ("zh-Hans", None), ("Klingonish", "Narnia"), (None, None)]
        ):
            conn.execute(
                text(
                    "INSERT INTO items (project_id, batch_id, external_id, content_text, language, market, priority,"
                    " is_gold, open_slots, label_count, created_at) VALUES (:p, :b, :e, 'x', :lang, :m, 0, false, 1, 0,"
                    " CURRENT_TIMESTAMP)"
                ),
                {"p": pid, "b": batch, "e": f"e{i}", "lang": language, "m": market},
            )
    upgrade(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT locale, timezone FROM users WHERE username = 'old'")).one() == (None, None)
        items = conn.execute(text("SELECT language, market FROM items ORDER BY external_id")).all()
        assert [tuple(r) for r in items] == [
            ("en", "GB"),
            ("bn", "BD"),
            ("zh", "CN"),
            ("zh-Hans", None),
            ("Klingonish", "Narnia"),
            (None, None),
        ]
        project = conn.execute(select(table(Project).c.languages, table(Project).c.markets)).one()
        assert (project[0], project[1]) == (["zh", "zh-Hans"], ["CN"])
        langs, markets = conn.execute(select(table(Labeler).c.languages, table(Labeler).c.markets)).one()
        assert langs == ["bn", "en", "Klingonish"] and markets == ["BD", "GB", "Narnia"]
    engine.dispose()
