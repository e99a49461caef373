"""Import use cases: a file of items, or of gold answers, into a project — all or nothing, idempotent.

One write transaction per file. Rows are checked while the file streams by and written in chunks; the
first problem stops the writing, reading goes on to count every problem, and then the transaction rolls
back, so a refused file leaves no item, no batch and no audit entry behind. Items are keyed by
(project_id, external_id): rows whose external_id is already in the project are skipped (SQLite:
ON CONFLICT DO NOTHING; PostgreSQL: looked up before each chunk's COPY), so importing the same file twice
adds nothing.

Writing is fast on purpose: on SQLite multi-row INSERT … ON CONFLICT DO NOTHING statements over plain
values; on PostgreSQL COPY straight into items of the rows whose external_id the project does not have
yet (imports into one project take turns under an advisory lock). Items carry no per-row foreign-key
check: the project is checked and the batch created here, in the same transaction.
"""

from __future__ import annotations

import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from itertools import chain
from pathlib import Path
from typing import Any, NamedTuple, Protocol, cast

import orjson
from sqlalchemy import Connection, Engine, Table, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from safetyops.auth.audit import record
from safetyops.db.base import UTCDateTime, utcnow
from safetyops.db.engine import refresh_statistics, write_transaction
from safetyops.errors import InvalidInput, NotFound, Problem, ProblemList
from safetyops.guidelines.taxonomy import Taxonomy
from safetyops.projects.enums import BatchKind
from safetyops.projects.importing import (
    FileReader,
    GoldValues,
    Limits,
    RowParser,
    detect_format,
)
from safetyops.projects.models import Batch, GoldAnswer, Item, Project

# A batch this large changes the table enough that the planner needs fresh statistics: those of the
# columns the queue and the lookups by external_id filter on (ANALYZE of every column took 0.40 s after
# 100,000 items, of these 0.30 s; autovacuum brings the others up to date in the background).
ANALYZE_AFTER_ROWS = 10_000
PLANNER_COLUMNS = ("id", "project_id", "external_id", "priority", "open_slots", "is_gold", "language", "market")
CHUNK_ROWS = 5_000
SQLITE_ROWS_PER_STATEMENT = 500
# The parser lets go of the GIL every this many rows, so that the writer thread, whose database call
# has returned, goes on at once instead of after the interpreter's 5 ms switch interval.
YIELD_EVERY = 64
# pg_advisory_xact_lock(IMPORT_LOCK, project_id): imports into one project take turns.
IMPORT_LOCK = 0x5AFE_1D
Progress = Callable[[int], None]

_items = cast(Table, Item.__table__)
_batches = cast(Table, Batch.__table__)
_gold = cast(Table, GoldAnswer.__table__)

# Order of the values in ItemValues, as item columns.
_VALUE_COLUMNS = (
    "external_id",
    "content_text",
    "media_url",
    "media_type",
    "market",
    "language",
    "source",
    "priority",
    "context",
    "metadata",
)
WIDTH = len(_VALUE_COLUMNS)
# Chunks travel as one flat list of the values of consecutive items, WIDTH per item: the tuples a
# parser returns are gone once copied in, so the garbage collector has tens of thousands fewer
# containers to walk while a file streams through.
Flat = list[Any]
_ROW_COLUMNS = (
    "project_id",
    "batch_id",
    *_VALUE_COLUMNS,
    "is_gold",
    "open_slots",
    "label_count",
    "created_at",
)


@dataclass(frozen=True)
class ImportResult:
    batch_id: int
    kind: str
    file: str
    file_format: str
    sha256: str
    rows_read: int
    rows_added: int
    rows_existing: int
    gold_answers: int = 0
    notes: list[str] = field(default_factory=list)  # values read as another code ("Bengali" -> bn)


class Importer(Protocol):
    """`import_items` and `import_gold`: the same call, different rows."""

    def __call__(
        self,
        engine: Engine,
        project_id: int,
        path: Path | str,
        *,
        actor_id: int | None = None,
        file_format: str | None = None,
        on_progress: Progress | None = None,
        chunk_rows: int = ...,
    ) -> ImportResult: ...


class _Fixed(NamedTuple):
    """The columns every item of one batch shares (label_count starts at 0)."""

    project_id: int
    batch_id: int
    is_gold: bool
    open_slots: int
    created_at: datetime


class _SqliteRows:
    """SQLite: multi-row INSERT … VALUES … ON CONFLICT DO NOTHING, a few hundred rows per statement.

    The driver binds the values of a statement (holding the GIL), then SQLite inserts all its rows in one
    step with the GIL released, so the parsing thread runs meanwhile. (executemany gave the GIL up and
    took it back for every row, and the two threads mostly took turns.)
    """

    def __init__(self, conn: Connection, fixed: _Fixed) -> None:
        driver: Any = conn.connection.driver_connection
        self.driver = driver
        stamp = UTCDateTime().dialect_impl(conn.dialect).bind_processor(conn.dialect)
        stored_at = stamp(fixed.created_at) if stamp is not None else fixed.created_at
        self.constants = (fixed.project_id, fixed.batch_id, fixed.is_gold, fixed.open_slots, stored_at)
        room = driver.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) - len(self.constants)
        self.per_statement = max(1, min(SQLITE_ROWS_PER_STATEMENT, room // WIDTH))

    def write(self, flat: Flat) -> int:
        added = 0
        step = self.per_statement * WIDTH
        for start in range(0, len(flat), step):
            part = flat[start : start + step]
            sql = _sqlite_insert(len(part) // WIDTH)
            added += int(self.driver.execute(sql, [*self.constants, *part]).rowcount)
        return added


@lru_cache(maxsize=4)
def _sqlite_insert(rows: int) -> str:
    """INSERT of `rows` items: the batch's five constants first, then each row's values in order.

    Plain `?` placeholders: SQLite compiles numbered ones (?NNN) in time quadratic in their number.
    """
    values = ", ".join(f"v.column{k + 1}" for k in range(WIDTH))
    one = f"({', '.join('?' * WIDTH)})"
    return (
        f"INSERT INTO items ({', '.join(_ROW_COLUMNS)}) "
        f"SELECT c.project_id, c.batch_id, {values}, c.is_gold, c.open_slots, 0, c.created_at "
        "FROM (SELECT ? AS project_id, ? AS batch_id, ? AS is_gold, ? AS open_slots, ? AS created_at) AS c, "
        f"(VALUES {', '.join([one] * rows)}) AS v "
        "WHERE true ON CONFLICT (project_id, external_id) DO NOTHING"  # WHERE: see SQLite's upsert parsing
    )


# The chunk's external_ids the project has. One index probe first checks whether any item of the project
# falls between the chunk's smallest and largest id (in the column's own collation); when none does (a
# new file, or a sorted one), the per-id probes are skipped.
_EXISTING_SQL = """
WITH wanted AS MATERIALIZED (SELECT json_array_elements_text(%(ids)s::json) AS e)
SELECT i.external_id FROM wanted w JOIN items i ON i.project_id = %(p)s AND i.external_id = w.e
WHERE EXISTS (
    SELECT 1 FROM items j WHERE j.project_id = %(p)s
    AND j.external_id BETWEEN (SELECT min(e) FROM wanted) AND (SELECT max(e) FROM wanted)
)
"""


class _PostgresRows:
    """PostgreSQL: COPY straight into items, leaving out the external_ids the project already has.

    A transaction-level advisory lock per project makes imports into one project take turns, so the
    rows found missing stay missing until the COPY (a staging table and INSERT … ON CONFLICT cost the
    server a second copy of every row and a second probe of the unique index).
    """

    def __init__(self, conn: Connection, fixed: _Fixed) -> None:
        self.cursor: Any = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        self.project_id = fixed.project_id
        self.cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", (IMPORT_LOCK, self.project_id))
        self.head = (fixed.project_id, fixed.batch_id)
        # label_count 0; the time as text: COPY's parser reads it faster than Python formats a datetime
        self.tail = (fixed.is_gold, fixed.open_slots, 0, fixed.created_at.isoformat())
        self.copy_sql = f"COPY items ({', '.join(_ROW_COLUMNS)}) FROM STDIN"

    def _existing(self, external_ids: list[str]) -> set[str]:
        params = {"ids": orjson.dumps(external_ids).decode(), "p": self.project_id}
        self.cursor.execute(_EXISTING_SQL, params)
        return {row[0] for row in self.cursor.fetchall()}

    def write(self, flat: Flat) -> int:
        skip = self._existing(flat[::WIDTH])
        head, tail = self.head, self.tail
        added = 0
        with self.cursor.copy(self.copy_sql) as copy:
            write_row = copy.write_row
            for start in range(0, len(flat), WIDTH):
                external_id = flat[start]
                if external_id in skip:  # in the project already, or earlier in this chunk: the first wins
                    continue
                skip.add(external_id)
                write_row((*head, *flat[start : start + WIDTH], *tail))
                added += 1
        return added


class _ItemWriter:
    """Inserts item values in chunks, skipping external_ids already in the project; returns rows added."""

    def __init__(self, conn: Connection, project_id: int, batch_id: int, *, is_gold: bool, open_slots: int) -> None:
        fixed = _Fixed(project_id, batch_id, is_gold, open_slots, utcnow())
        rows = _SqliteRows if conn.dialect.name == "sqlite" else _PostgresRows
        self._rows = rows(conn, fixed)

    def write(self, flat: Flat) -> int:
        return self._rows.write(flat) if flat else 0


class _Background:
    """Writes chunks in a second thread while the caller goes on parsing the file.

    The database works with the GIL released (SQLite's stepping, PostgreSQL's round trips), so parsing
    the next chunk overlaps writing the last one. The queue holds at most two chunks: memory stays
    bounded. The connection is used by the writer thread only, until `finish` returns.
    """

    def __init__(self, write: Callable[[Flat], int]) -> None:
        self._write = write
        self._queue: queue.Queue[Flat | None] = queue.Queue(maxsize=2)
        self._error: BaseException | None = None
        self._added = 0
        self._thread = threading.Thread(target=self._run, name="safetyops-import-writer", daemon=True)

    def __enter__(self) -> _Background:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._thread.is_alive():  # the caller failed: stop the writer before the rollback
            self._queue.put(None)
            self._thread.join()

    def _run(self) -> None:
        while (chunk := self._queue.get()) is not None:
            if self._error is None:
                try:
                    self._added += self._write(chunk)
                except BaseException as exc:  # handed to the caller's thread
                    self._error = exc

    def put(self, chunk: Flat) -> None:
        if self._error is not None:
            raise self._error
        self._queue.put(chunk)

    def finish(self) -> int:
        """Wait for every chunk to be written; the rows added."""
        self._queue.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._added


def _project(conn: Connection, project_id: int) -> tuple[int, dict[str, Any]]:
    row = conn.execute(select(Project.overlap, Project.taxonomy).where(Project.id == project_id)).one_or_none()
    if row is None:
        raise NotFound(f"no project {project_id}")
    return int(row.overlap), dict(row.taxonomy)


def _new_batch(conn: Connection, project_id: int, kind: str, path: Path, file_format: str, actor_id: int | None) -> int:
    batch_id = conn.execute(
        insert(_batches)
        .values(
            project_id=project_id,
            kind=kind,
            filename=path.name[:400],
            file_format=file_format,
            created_by=actor_id,
            created_at=utcnow(),
        )
        .returning(_batches.c.id)
    ).scalar_one()
    return int(batch_id)


def _refuse(problems: ProblemList, path: Path) -> InvalidInput:
    noun = "problem" if problems.total == 1 else "problems"
    return InvalidInput(f"import refused, nothing stored: {problems.total} {noun} in {path}", problems.items)


def _finish(
    conn: Connection,
    batch_id: int,
    reader: FileReader,
    rows_read: int,
    rows_added: int,
    actor_id: int | None,
    action: str,
    project_id: int,
    extra: dict[str, Any] | None = None,
) -> None:
    conn.execute(
        update(_batches)
        .where(_batches.c.id == batch_id)
        .values(sha256=reader.sha256, rows_read=rows_read, rows_added=rows_added)
    )
    detail = {
        "project_id": project_id,
        "file": reader.path.name,
        "format": reader.format,
        "sha256": reader.sha256,
        "rows_read": rows_read,
        "rows_added": rows_added,
        **(extra or {}),
    }
    with Session(bind=conn) as session:
        record(session, actor_id, action, "batch", batch_id, detail)
        session.flush()


def import_items(
    engine: Engine,
    project_id: int,
    path: Path | str,
    *,
    actor_id: int | None = None,
    file_format: str | None = None,
    on_progress: Progress | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> ImportResult:
    """Add the items of a JSONL, CSV or Parquet file to a project as one new batch; all or nothing.

    Raises InvalidInput listing up to 50 problems (file, line, field) and counting all of them; then
    nothing is stored. Rows whose external_id the project already has are counted as existing.
    """
    path = Path(path)
    fmt = detect_format(path, file_format)
    problems = ProblemList()
    reader = FileReader(path, fmt, problems, Limits.from_settings())
    parser = RowParser(reader)
    rows_read = rows_added = 0
    with write_transaction(engine) as conn:
        overlap, _ = _project(conn, project_id)
        batch_id = _new_batch(conn, project_id, BatchKind.ITEMS.value, path, fmt, actor_id)
        writer = _ItemWriter(conn, project_id, batch_id, is_gold=False, open_slots=overlap)
        chunk: Flat = []
        chunk_values = chunk_rows * WIDTH
        parse = parser.item
        with _Background(writer.write) as background:
            for line, row in reader:
                rows_read += 1
                values = parse(row, line)
                if problems.total:
                    continue
                assert values is not None
                chunk += values
                if not rows_read % YIELD_EVERY:
                    time.sleep(0)  # see YIELD_EVERY
                if len(chunk) >= chunk_values:
                    background.put(chunk)
                    chunk = []
                    if on_progress is not None:
                        on_progress(rows_read)
            if not problems:
                background.put(chunk)
            rows_added = background.finish()
        if problems:
            raise _refuse(problems, path)
        _finish(conn, batch_id, reader, rows_read, rows_added, actor_id, "batch.import_items", project_id)
    if rows_added >= ANALYZE_AFTER_ROWS:
        refresh_statistics(engine, "items", columns=PLANNER_COLUMNS)
    if on_progress is not None:
        on_progress(rows_read)
    return ImportResult(
        batch_id=batch_id,
        kind=BatchKind.ITEMS.value,
        file=str(path),
        file_format=fmt,
        sha256=reader.sha256,
        rows_read=rows_read,
        rows_added=rows_added,
        rows_existing=rows_read - rows_added,
        notes=parser.notes,
    )


def _dialect_insert(conn: Connection) -> Any:
    return sqlite.insert if conn.dialect.name == "sqlite" else postgresql.insert


class _GoldWriter:
    def __init__(
        self, conn: Connection, project_id: int, batch_id: int, reader: FileReader, actor_id: int | None
    ) -> None:
        self.conn = conn
        self.project_id = project_id
        self.reader = reader
        self.actor_id = actor_id
        self.items = _ItemWriter(conn, project_id, batch_id, is_gold=True, open_slots=0)
        ins = _dialect_insert(conn)(_gold)
        self.upsert = ins.on_conflict_do_update(
            index_elements=[_gold.c.item_id],
            set_={
                "answer": ins.excluded.answer,
                "rationale": ins.excluded.rationale,
                "created_by": ins.excluded.created_by,
                "created_at": ins.excluded.created_at,
            },
            where=or_(_gold.c.answer != ins.excluded.answer, _gold.c.rationale != ins.excluded.rationale),
        )

    def write(self, chunk: list[tuple[int, GoldValues]]) -> tuple[int, int]:
        """Create new gold items, mark existing ones gold, upsert answers; (items added, answers written)."""
        added = self.items.write(list(chain.from_iterable(g.item for _, g in chunk if g.item is not None)))
        wanted = {g.external_id for _, g in chunk}
        ids: dict[str, int] = dict(
            self.conn.execute(
                select(_items.c.external_id, _items.c.id).where(
                    _items.c.project_id == self.project_id, _items.c.external_id.in_(wanted)
                )
            ).all()
        )
        for line, g in chunk:
            if g.external_id not in ids:
                self.reader.problems.add(_missing_item(self.reader.file, line))
        if self.reader.problems:
            return added, 0
        self.conn.execute(
            update(_items)
            .where(
                _items.c.id.in_(list(ids.values())),
                or_(_items.c.is_gold.is_(False), _items.c.open_slots != 0),
            )
            .values(is_gold=True, open_slots=0)
        )
        now = utcnow()
        answers = {  # the last row of an item wins within a chunk (as it does across chunks)
            ids[g.external_id]: {
                "project_id": self.project_id,
                "item_id": ids[g.external_id],
                "answer": g.answer,
                "rationale": g.rationale,
                "created_by": self.actor_id,
                "created_at": now,
            }
            for _, g in chunk
        }
        self.conn.execute(self.upsert, list(answers.values()))
        return added, len(answers)


def _missing_item(file: str, line: int) -> Problem:
    return Problem(
        "no item with this external_id in the project; give text or media_url to create it",
        field="external_id",
        line=line,
        file=file,
    )


def import_gold(
    engine: Engine,
    project_id: int,
    path: Path | str,
    *,
    actor_id: int | None = None,
    file_format: str | None = None,
    on_progress: Progress | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> ImportResult:
    """Set gold answers from a file: rows of external_id, answer (valid in the project's taxonomy), rationale.

    A row whose item is new carries its content (text or media_url, like an item row) and creates it as a
    gold item; an existing item is marked gold. Gold items have open_slots 0: the queue serves them apart.
    Answers are upserted by item (re-importing the same file changes nothing). All or nothing.
    """
    path = Path(path)
    fmt = detect_format(path, file_format)
    problems = ProblemList()
    reader = FileReader(path, fmt, problems, Limits.from_settings())
    parser = RowParser(reader)
    rows_read = rows_added = answers = 0
    with write_transaction(engine) as conn:
        _, raw_taxonomy = _project(conn, project_id)
        taxonomy = Taxonomy.model_validate(raw_taxonomy)
        batch_id = _new_batch(conn, project_id, BatchKind.GOLD.value, path, fmt, actor_id)
        writer = _GoldWriter(conn, project_id, batch_id, reader, actor_id)
        chunk: list[tuple[int, GoldValues]] = []
        for line, row in reader:
            rows_read += 1
            values = parser.gold(row, line, taxonomy)
            if problems:
                continue
            assert values is not None
            chunk.append((line, values))
            if len(chunk) >= chunk_rows:
                added, written = writer.write(chunk)
                rows_added, answers = rows_added + added, answers + written
                chunk.clear()
                if on_progress is not None:
                    on_progress(rows_read)
        if not problems and chunk:
            added, written = writer.write(chunk)
            rows_added, answers = rows_added + added, answers + written
        if problems:
            raise _refuse(problems, path)
        _finish(
            conn,
            batch_id,
            reader,
            rows_read,
            rows_added,
            actor_id,
            "batch.import_gold",
            project_id,
            {"gold_answers": answers},
        )
    if on_progress is not None:
        on_progress(rows_read)
    return ImportResult(
        batch_id=batch_id,
        kind=BatchKind.GOLD.value,
        file=str(path),
        file_format=fmt,
        sha256=reader.sha256,
        rows_read=rows_read,
        rows_added=rows_added,
        rows_existing=rows_read - rows_added,
        gold_answers=answers,
        notes=parser.notes,
    )
