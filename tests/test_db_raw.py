"""Database plumbing of the hot path: hand-written SQL values as SQLAlchemy stores them; WAL checkpoints."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError, OperationalError

from safetyops.db import raw
from safetyops.db.engine import is_sqlite, make_engine, wal_checkpoints


@given(
    st.datetimes(min_value=datetime(1971, 1, 2), max_value=datetime(2999, 12, 30), timezones=st.just(UTC))
    | st.datetimes(
        min_value=datetime(1971, 1, 2),
        max_value=datetime(2999, 12, 30),
        timezones=st.builds(timezone, st.integers(-14 * 60, 14 * 60).map(lambda m: timedelta(minutes=m))),
    )
)
def test_sqlite_times_are_written_in_sqlalchemys_format(value: datetime) -> None:
    written = raw.sqlite_time(value)
    assert written == value.astimezone(UTC).strftime(raw.SQLITE_TIME)
    assert raw.read_time(written) == value


def test_times_round_trip_through_the_database(engine: Engine) -> None:
    value = datetime(2026, 11, 23, 16, 0, 0, tzinfo=UTC)  # whole seconds: microseconds still written
    with raw.lend(engine) as db:
        stored = db.execute(raw.Statement("SELECT :t"), {"t": db.time(value)}).fetchone()[0]
    assert raw.read_time(stored) == value


SCRATCH = raw.Statement("INSERT INTO scratch (k) VALUES (:k)")


@pytest.fixture
def scratch(engine: Engine) -> Engine:
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE scratch (k INTEGER PRIMARY KEY)")
    return engine


def _keys(engine: Engine) -> list[int]:
    with engine.connect() as conn:
        return list(conn.exec_driver_sql("SELECT k FROM scratch ORDER BY k").scalars())


def test_a_lent_connection_commits_each_statement(scratch: Engine) -> None:
    with raw.lend(scratch) as db:
        db.execute(SCRATCH, {"k": 1})
        with pytest.raises(IntegrityError):  # the driver's error, as SQLAlchemy's
            db.execute(SCRATCH, {"k": 1})
        db.execute(SCRATCH, {"k": 2})  # the connection is still usable after the refused statement
    assert _keys(scratch) == [1, 2]


def test_a_transaction_is_all_or_nothing(scratch: Engine) -> None:
    with raw.transaction(scratch) as db:
        db.execute(SCRATCH, {"k": 1})
    with pytest.raises(IntegrityError), raw.transaction(scratch) as db:
        db.execute(SCRATCH, {"k": 2})
        db.execute(SCRATCH, {"k": 1})
    with pytest.raises(RuntimeError), raw.transaction(scratch) as db:
        db.execute(SCRATCH, {"k": 3})
        raise RuntimeError("the caller changed its mind")
    assert _keys(scratch) == [1]


def test_lent_connections_go_back_to_the_pool_as_sqlalchemy_expects(scratch: Engine) -> None:
    """After a lend (also one that failed), a pooled connection opens transactions again: work in an
    ORM-style transaction that is rolled back leaves nothing behind."""
    with raw.lend(scratch) as db:
        db.execute(SCRATCH, {"k": 1})
    with pytest.raises(IntegrityError), raw.lend(scratch) as db:
        db.execute(SCRATCH, {"k": 1})
    for _ in range(3):  # whichever pooled connection comes back
        with scratch.connect() as conn:
            conn.exec_driver_sql("INSERT INTO scratch (k) VALUES (7)")
            conn.rollback()
    assert _keys(scratch) == [1]


def test_a_connection_the_database_dropped_is_not_pooled_again(engine: Engine) -> None:
    if is_sqlite(engine):
        pytest.skip("an embedded SQLite connection cannot be dropped by a server")
    pooled = make_engine(engine.url.render_as_string(hide_password=False), pool_size=1)
    with raw.lend(pooled) as db:  # the pool's one idle connection from now on
        first_pid = db.execute(raw.Statement("SELECT pg_backend_pid()")).fetchone()[0]
    with engine.connect() as admin:
        admin.exec_driver_sql(f"SELECT pg_terminate_backend({first_pid})")
    with pytest.raises(OperationalError), raw.lend(pooled) as db:
        db.execute(raw.Statement("SELECT 1"))
    with raw.lend(pooled) as db:
        assert db.execute(raw.Statement("SELECT pg_backend_pid()")).fetchone()[0] != first_pid
    pooled.dispose()


def test_the_server_checkpoints_sqlites_wal_in_the_background(tmp_path: Path) -> None:
    """Server connections never checkpoint inside a commit; the background thread copies the WAL into the
    database file instead (its size is the evidence: the rows reach it only through a checkpoint)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'server.db'}", background_checkpoints=True)
    database = tmp_path / "server.db"
    with engine.begin() as conn:
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one() == 0
        conn.exec_driver_sql("CREATE TABLE blobs (b BLOB)")
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO blobs VALUES (zeroblob(2000000))")
    assert database.stat().st_size < 1_000_000  # still only in the WAL
    with wal_checkpoints(engine, every_seconds=0.05):
        deadline = time.monotonic() + 10
        while database.stat().st_size < 2_000_000 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert database.stat().st_size >= 2_000_000
    engine.dispose()
