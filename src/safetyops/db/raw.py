"""Pre-written SQL run straight on a pooled driver connection: the queue's hot path, without ORM/Core overhead.

A statement is written once with `:name` parameters; the PostgreSQL form uses psycopg's `%(name)s`.
`Db` is a driver connection lent from the engine's pool for one short unit of work: `lend` gives one whose
statements each commit on their own (one round trip on PostgreSQL), `transaction` one inside a write
transaction (SQLite: BEGIN IMMEDIATE under the writer locks). Values cross as the drivers want them:
SQLite gets times in SQLAlchemy's storage format and JSON as text; PostgreSQL gets aware datetimes and
JSON text cast to JSONB in the SQL. Driver errors surface as SQLAlchemy's (IntegrityError, …), and a
connection the database dropped is discarded from the pool.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, nullcontext, suppress
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError, OperationalError

from safetyops.db.engine import is_sqlite, sqlite_write_lock

_PARAM = re.compile(r"(?<![:\w]):(\w+)")
SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"


class Statement:
    """One SQL text in both dialects' parameter styles."""

    __slots__ = ("postgresql", "sqlite")

    def __init__(self, sql: str) -> None:
        self.sqlite = sql
        self.postgresql = _PARAM.sub(r"%(\1)s", sql.replace("%", "%%"))


class Db:
    """A driver connection lent for one short unit of work."""

    __slots__ = ("_errors", "driver", "pg")

    def __init__(self, driver: Any, pg: bool, errors: Any) -> None:
        self.driver = driver
        self.pg = pg
        self._errors = errors

    def execute(self, stmt: Statement, params: dict[str, Any] | None = None) -> Any:
        """Run `stmt`; returns the driver's cursor (fetchone, fetchall, rowcount)."""
        sql = stmt.postgresql if self.pg else stmt.sqlite
        try:
            return self.driver.execute(sql, params or {})
        except self._errors.Error as exc:
            # As SQLAlchemy's own exceptions (IntegrityError, OperationalError, …), whichever path ran.
            raise DBAPIError.instance(sql, params, exc, self._errors.Error) from exc

    def time(self, value: datetime) -> Any:
        """A time parameter as this driver stores it."""
        return value if self.pg else sqlite_time(value)

    def list(self, values: list[str]) -> Any:
        """A list parameter: a PostgreSQL array, or JSON text for SQLite's json_each()."""
        return values if self.pg else bind_json(values)


@contextmanager
def lend(engine: Engine) -> Iterator[Db]:
    """A pooled driver connection in autocommit mode: each statement is its own transaction."""
    fairy = engine.raw_connection()
    driver: Any = fairy.driver_connection
    pg = not is_sqlite(engine)
    errors = engine.dialect.loaded_dbapi
    try:
        if pg:
            driver.autocommit = True  # SQLite's connections already are (isolation_level=None)
        yield Db(driver, pg, errors)
    except (OperationalError, errors.OperationalError):
        fairy.invalidate()  # the database dropped it: the pool opens a fresh one next time
        raise
    finally:
        _give_back(fairy, pg)


def _give_back(fairy: Any, pg: bool) -> None:
    """Return the connection to the pool as SQLAlchemy expects it (PostgreSQL: out of autocommit)."""
    if pg and fairy.is_valid:
        try:
            fairy.driver_connection.autocommit = False
        except Exception:  # still inside a transaction, or broken: do not pool it
            fairy.invalidate()
    fairy.close()


@contextmanager
def transaction(engine: Engine) -> Iterator[Db]:
    """A short write transaction, committed when the block ends and rolled back on any error.
    SQLite: BEGIN IMMEDIATE under the process and file writer locks (one writer at a time)."""
    sqlite = is_sqlite(engine)
    with sqlite_write_lock(engine) if sqlite else nullcontext(), lend(engine) as db:
        db.driver.execute("BEGIN IMMEDIATE" if sqlite else "BEGIN")
        try:
            yield db
        except BaseException:
            with suppress(Exception):  # a dropped connection: the error that got here is the one to tell
                db.driver.execute("ROLLBACK")
            raise
        db.driver.execute("COMMIT")


def driver_rows(
    conn: Connection, sql: str, params: Mapping[str, Any] | None, fetch_rows: int, name: str = "safetyops_rows"
) -> Iterator[tuple[Any, ...]]:
    """The rows of one long query on `conn`'s transaction, straight from the driver as plain tuples,
    `fetch_rows` at a time (PostgreSQL: a server-side cursor called `name`). For exports that stream
    millions of rows: SQLAlchemy's row objects cost more than the query. `sql` is in the driver's
    parameter style."""
    driver: Any = conn.connection.driver_connection
    cursor = driver.cursor() if conn.dialect.name == "sqlite" else driver.cursor(name=name)
    try:
        if params:
            cursor.execute(sql, params)
        else:  # no parameters: a `%` in the SQL is literal
            cursor.execute(sql)
        while rows := cursor.fetchmany(fetch_rows):
            yield from rows
    finally:
        cursor.close()


def sqlite_time(value: datetime) -> str:
    """A time in SQLAlchemy's SQLite storage format (SQLITE_TIME, in UTC)."""
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
