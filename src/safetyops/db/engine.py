"""Engine and session factory for SQLite (WAL) and PostgreSQL (psycopg 3)."""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from safetyops.config import get_settings

log = logging.getLogger(__name__)


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def normalize_url(url: str) -> str:
    """Accept the usual spellings of a PostgreSQL URL and pick the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def make_engine(
    url: str | None = None, *, pool_size: int | None = None, background_checkpoints: bool = False
) -> Engine:
    """An engine for `url` (default: the configured database).

    `background_checkpoints` (SQLite, for the server): connections never checkpoint the WAL inside a
    commit; `wal_checkpoints` does it from a background thread instead. Otherwise the one commit in a
    thousand that crosses SQLite's auto-checkpoint threshold copies the WAL into the database and
    syncs it while the writer lock is held, and every request queued behind it waits.
    """
    settings = get_settings()
    url = normalize_url(url or settings.resolved_database_url())
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            json_serializer=_json_dumps,
            json_deserializer=orjson.loads,
            connect_args={"check_same_thread": False, "timeout": 30, "isolation_level": None},
            pool_size=pool_size or settings.pool_size,
            max_overflow=10,
        )
        _configure_sqlite(engine, autocheckpoint=not background_checkpoints)
        return engine
    return create_engine(
        url,
        json_serializer=_json_dumps,
        json_deserializer=orjson.loads,
        pool_size=pool_size or settings.pool_size,
        max_overflow=10,
        pool_pre_ping=False,
    )


def _configure_sqlite(engine: Engine, *, autocheckpoint: bool) -> None:
    """WAL, foreign keys, and explicit BEGIN so that write transactions can be BEGIN IMMEDIATE."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA cache_size=-65536")
        cur.execute("PRAGMA temp_store=MEMORY")
        if not autocheckpoint:
            cur.execute("PRAGMA wal_autocheckpoint=0")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Straight on the driver: the statement needs no SQLAlchemy execution machinery, and this runs
        # at the start of every transaction (twice per labeled item on the queue's hot path).
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.connection.driver_connection.execute(_BEGIN[mode])


_BEGIN = {"DEFERRED": "BEGIN DEFERRED", "IMMEDIATE": "BEGIN IMMEDIATE"}


@contextmanager
def wal_checkpoints(engine: Engine, every_seconds: float = 1.0) -> Iterator[None]:
    """While open, checkpoint a SQLite database's WAL from a background thread (PASSIVE: it never
    blocks readers or writers), and once more on exit. Does nothing on PostgreSQL or in-memory SQLite."""
    if not is_sqlite(engine) or engine.url.database in (None, "", ":memory:"):
        yield
        return
    stop = threading.Event()

    def checkpoint() -> None:
        with engine.connect() as conn:
            driver = conn.connection.driver_connection
            assert driver is not None
            driver.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    def loop() -> None:
        while not stop.wait(every_seconds):
            try:
                checkpoint()
            except Exception:  # a busy or closing database: the next round tries again
                log.warning("WAL checkpoint failed; retrying in %.1f s", every_seconds, exc_info=True)

    thread = threading.Thread(target=loop, name="sqlite-wal-checkpoint", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        checkpoint()


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


_engine: Engine | None = None
_sessionmaker: sessionmaker[Session] | None = None


def get_engine() -> Engine:
    global _engine, _sessionmaker
    if _engine is None:
        _engine = make_engine()
        _sessionmaker = make_sessionmaker(_engine)
    return _engine


def set_engine(engine: Engine) -> None:
    """Point the process-wide session factory at another engine (tests, CLI --database)."""
    global _engine, _sessionmaker
    _engine = engine
    _sessionmaker = make_sessionmaker(engine)


def get_sessionmaker() -> sessionmaker[Session]:
    get_engine()
    assert _sessionmaker is not None
    return _sessionmaker


@contextmanager
def session_scope() -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    session = get_sessionmaker()()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# SQLite has one writer at a time. Writers queue on these locks instead of on SQLite's busy handler,
# which sleeps in steps of up to 100 ms and ruins tail latency: a thread lock within a process, and an
# advisory file lock (flock) beside the database across server processes, whose waiters the kernel
# wakes as soon as it is released.
_sqlite_writer = threading.Lock()
_lock_files: dict[str, int] = {}


def _writer_lock_fd(engine: Engine) -> int | None:
    database = engine.url.database
    if not database or database == ":memory:":
        return None
    fd = _lock_files.get(database)
    if fd is None:
        fd = os.open(database + ".writelock", os.O_RDWR | os.O_CREAT, 0o600)
        _lock_files[database] = fd
    return fd


@contextmanager
def sqlite_write_lock(engine: Engine) -> Iterator[None]:
    with _sqlite_writer:
        fd = _writer_lock_fd(engine)
        if fd is None:
            yield
            return
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Any]:
    """A short write transaction: on SQLite, BEGIN IMMEDIATE under the writer locks."""
    if not is_sqlite(engine):
        with engine.connect() as conn, conn.begin():
            yield conn
        return
    with (
        sqlite_write_lock(engine),
        engine.connect().execution_options(sqlite_begin="IMMEDIATE") as conn,
        conn.begin(),
    ):
        yield conn


def refresh_statistics(engine: Engine, *tables: str, columns: tuple[str, ...] = ()) -> None:
    """Update the planner's statistics after a bulk load. Without them PostgreSQL plans the queue's
    `ORDER BY … LIMIT 1` on a freshly loaded table as a full sort instead of an index walk.

    `columns` (PostgreSQL): only these; autovacuum refreshes the others later, in the background."""
    only = f" ({', '.join(columns)})" if columns else ""
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            for name in tables:
                conn.exec_driver_sql(f'ANALYZE "{name}"{only}')
        else:
            conn.exec_driver_sql("PRAGMA optimize")
        conn.commit()
