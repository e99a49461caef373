"""The hot path's hand-written SQL values match what SQLAlchemy stores and reads back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, text

from safetyops.db import raw


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
