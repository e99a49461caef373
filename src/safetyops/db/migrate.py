"""Alembic driven from code: upgrade a database to the newest schema, or check it is current.

The revisions form one line (0001 → 0002_quality → … → 0007_data_credit): each has one parent and there is
one head. Until 0007 each area's revisions were separate branches off 0001, and a database recorded one row
per branch in `alembic_version`; `upgrade` turns such a table into the one row of the line first.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from alembic import command
from alembic.autogenerate.api import AutogenContext
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

from safetyops.db.base import UTCDateTime
from safetyops.errors import Conflict

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def revision_line() -> list[str]:
    """Every revision id, oldest first (the revisions form one line: see `tests/test_migrations.py`)."""
    script = ScriptDirectory(str(MIGRATIONS))
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database to `revision` (default: the newest)."""
    _join_area_branches(engine)
    command.upgrade(alembic_config(engine), revision)


def _join_area_branches(engine: Engine) -> None:
    """A database migrated while each area had its own branch records one revision per branch. On the line
    those rows mean "up to the newest of them", which holds when every revision before that one is among
    them (or is 0001, the common parent): keep that row only. A database from the hour on 2026-11-23 when
    the intake and workforce branches existed without the quality branch would skip revisions: refuse it."""
    with engine.begin() as conn:
        recorded = set(MigrationContext.configure(conn).get_current_heads())
        if len(recorded) <= 1:
            return
        line = revision_line()
        unknown = recorded - set(line)
        if unknown:
            raise Conflict(f"the database records revisions this version does not know: {', '.join(sorted(unknown))}")
        newest = max(recorded, key=line.index)
        missing = [rev for rev in line[1 : line.index(newest)] if rev not in recorded]
        if missing:
            raise Conflict(
                f"the database records revision {newest} but not {', '.join(missing)}, which now comes before it; "
                "it was built by a development version whose migrations cannot be replayed in order: rebuild it"
            )
        conn.execute(text("DELETE FROM alembic_version WHERE version_num != :newest"), {"newest": newest})


def render_item(kind: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """For autogenerate (env.py): write plain SQLAlchemy types, so that no revision imports application code.
    UTCDateTime only converts values in Python; in the database it is a timestamp with time zone."""
    if kind == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def current_revision(engine: Engine) -> str | None:
    """The applied revision; None on an empty database (comma-separated ones for a database not yet upgraded
    from the per-area branches)."""
    with engine.connect() as conn:
        heads = MigrationContext.configure(conn).get_current_heads()
    return ",".join(sorted(heads)) or None
