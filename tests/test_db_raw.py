"""Database plumbing of the hot path: hand-written SQL values as SQLAlchemy stores them; WAL checkpoints."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, text

from safetyops.db import raw
from safetyops.db.engine import make_engine, wal_checkpoints


@given(
    st.datetimes(min_value=datetime(1971, 1, 2), max_value=datetime(2999, 12, 30), timezones=st.just(UTC))
    | st.datetimes(
        min_value=datetime(1971, 1, 2),
        max_value=datetime(2999, 12, 30),
        timezones=st.builds(timezone, st.integers(-14 * 60, 14 * 60).map(lambda m: timedelta(minutes=m))),
    )
)
def test_sqlite_times_are_written_in_sqlalchemys_format(value: datetime) -> None:
    class SQLiteConn:
        class dialect:
            name = "sqlite"

    written = raw.bind_time(SQLiteConn, value)  # type: ignore[arg-type]
    assert written == value.astimezone(UTC).strftime(raw.SQLITE_TIME)
    assert raw.read_time(written) == value


def test_times_round_trip_through_the_database(engine: Engine) -> None:
    value = datetime(2026, 11, 23, 16, 0, 0, tzinfo=UTC)  # whole seconds: microseconds still written
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT :t"), {"t": raw.bind_time(conn, value)}).scalar_one()
    assert raw.read_time(stored) == value


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
