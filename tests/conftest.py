"""Test fixtures: every storage test runs on SQLite and on PostgreSQL (a fresh schema per test)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from safetyops.db.engine import make_engine, set_engine
from safetyops.db.models import metadata
from tests.support.databases import TEST_PG_URL, fresh_database

PG_ADMIN_URL = TEST_PG_URL


def _pg_available() -> str | None:
    try:
        engine = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:  # pragma: no cover - depends on the machine
        return str(exc).splitlines()[0]


_PG_PROBLEM = _pg_available()


def pytest_report_header(config: pytest.Config) -> str:
    return f"postgresql: {'available at ' + PG_ADMIN_URL if _PG_PROBLEM is None else 'NOT available'}"


def _skip_or_fail_pg() -> None:
    if _PG_PROBLEM is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL must run under CI but does not answer: {_PG_PROBLEM}")
        pytest.skip(f"PostgreSQL not available ({_PG_PROBLEM}); start it to run these tests")


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL to an empty database with no tables, on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    _skip_or_fail_pg()
    with fresh_database("postgresql", PG_ADMIN_URL) as url:
        yield url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on a database with every table created, set as the process-wide engine."""
    eng = make_engine(db_url, pool_size=5)
    metadata.create_all(eng)
    set_engine(eng)
    yield eng
    eng.dispose()
