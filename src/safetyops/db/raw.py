"""Pre-written SQL run straight on the driver connection: the queue's hot path, without ORM/Core overhead.

A statement is written once with `:name` parameters; the PostgreSQL form uses psycopg's `%(name)s`.
It runs inside the SQLAlchemy connection's transaction (same driver connection), so commit and rollback
stay with SQLAlchemy. Values cross as the drivers want them: SQLite gets times in SQLAlchemy's storage
format and JSON as text; PostgreSQL gets aware datetimes and JSON text cast to JSONB in the SQL.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

_PARAM = re.compile(r"(?<![:\w]):(\w+)")
SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"


class Statement:
    """One SQL text in both dialects' parameter styles."""

    __slots__ = ("postgresql", "sqlite")

    def __init__(self, sql: str) -> None:
        self.sqlite = sql
        self.postgresql = _PARAM.sub(r"%(\1)s", sql.replace("%", "%%"))


def is_pg(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql"


def execute(conn: Connection, stmt: Statement, params: dict[str, Any]) -> Any:
    """Run `stmt` on the driver connection under the current transaction; returns the DBAPI cursor."""
    driver = conn.connection.driver_connection
    assert driver is not None
    sql = stmt.postgresql if is_pg(conn) else stmt.sqlite
    try:
        return driver.execute(sql, params)
    except conn.dialect.loaded_dbapi.IntegrityError as exc:
        # Callers handle constraint violations as SQLAlchemy's IntegrityError, whichever path ran.
        raise IntegrityError(sql, params, exc) from exc


def bind_time(conn: Connection, value: datetime) -> Any:
    if is_pg(conn):
        return value
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    # SQLITE_TIME, written the fast way (isoformat is C code; strftime goes through the C library).
    return value.isoformat(" ", "microseconds")[:26]


def bind_json(value: Any) -> str:
    return orjson.dumps(value).decode()


def read_time(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.strptime(value, SQLITE_TIME).replace(tzinfo=UTC)


def read_json(value: Any) -> Any:
    return orjson.loads(value) if isinstance(value, str | bytes) else value


def bind_list(conn: Connection, values: list[str]) -> Any:
    """A list parameter: a PostgreSQL array, or JSON text for SQLite's json_each()."""
    return values if is_pg(conn) else bind_json(values)


def in_list(conn: Connection, name: str) -> str:
    """SQL for `column IN (the list parameter :name)` in this dialect."""
    return f"= ANY(:{name})" if is_pg(conn) else f"IN (SELECT value FROM json_each(:{name}))"
