"""Export of a project's items with their labels and status: JSONL, CSV or Parquet, streamed as bytes.

JSONL lines are written by the database itself (`delivery.jsonl`: one query, Python only moves bytes). For CSV
and Parquet, items and labels are read with two server-side cursors, both ordered by item id, and merged in
one pass. Memory stays constant whatever the size of the project. `export_items` checks the project and format
at once and returns a generator of byte chunks: hand it to FastAPI's StreamingResponse, or write it to a file
(`write_export`). Everything is read in one transaction (REPEATABLE READ on PostgreSQL), so the items and
labels of one export agree with each other.

Shapes:
- JSONL: one object per item: the item fields, status (open | in_progress | done), label_count, and
  `labels`, a list of {label_id, labeler_id, answer, time_spent_ms, guideline_version, created_at,
  supersedes_id}.
- CSV and Parquet: one row per label with the item columns repeated (an item without labels gets one row
  with empty label columns); context, metadata and answer are JSON text.
Content is data: nothing is escaped beyond the format's own rules (CSV quoting, JSON escaping).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, String, Text, cast, func, select, type_coerce

from safetyops.db import raw
from safetyops.db.engine import is_sqlite
from safetyops.delivery.jsonl import jsonl_lines
from safetyops.errors import InvalidInput, NotFound, Problem
from safetyops.projects.enums import DataFormat
from safetyops.projects.models import Item, Project
from safetyops.work.models import Label

EXPORT_FORMATS = tuple(f.value for f in DataFormat)
CONTENT_TYPES = {
    DataFormat.JSONL: "application/x-ndjson",
    DataFormat.CSV: "text/csv; charset=utf-8",
    DataFormat.PARQUET: "application/vnd.apache.parquet",
}

ITEM_COLUMNS = (
    "item_id",
    "external_id",
    "text",
    "media_url",
    "media_type",
    "market",
    "language",
    "source",
    "priority",
    "context",
    "metadata",
    "is_gold",
    "batch_id",
    "status",
    "label_count",
)
LABEL_COLUMNS = (
    "label_id",
    "labeler_id",
    "answer",
    "time_spent_ms",
    "guideline_version",
    "label_created_at",
    "supersedes_id",
)
TABLE_COLUMNS = ITEM_COLUMNS + LABEL_COLUMNS


@lru_cache(maxsize=1)
def parquet_schema() -> Any:
    """The Parquet columns. pyarrow loads on the first Parquet export, not with the server."""
    import pyarrow as pa

    return pa.schema(
        [
            ("item_id", pa.int64()),
            ("external_id", pa.string()),
            ("text", pa.string()),
            ("media_url", pa.string()),
            ("media_type", pa.string()),
            ("market", pa.string()),
            ("language", pa.string()),
            ("source", pa.string()),
            ("priority", pa.int64()),
            ("context", pa.string()),
            ("metadata", pa.string()),
            ("is_gold", pa.bool_()),
            ("batch_id", pa.int64()),
            ("status", pa.string()),
            ("label_count", pa.int64()),
            ("label_id", pa.int64()),
            ("labeler_id", pa.int64()),
            ("answer", pa.string()),
            ("time_spent_ms", pa.int64()),
            ("guideline_version", pa.string()),
            ("label_created_at", pa.timestamp("us", tz="UTC")),
            ("supersedes_id", pa.int64()),
        ]
    )


FETCH_ROWS = 10_000
CHUNK_BYTES = 1 << 20
PARQUET_GROUP_ROWS = 20_000

Progress = Callable[[int], None]
T = TypeVar("T")
# Item row: id, external_id, text, media_url, media_type, market, language, source, priority,
# context (JSON text), metadata (JSON text), is_gold, batch_id, open_slots, label_count.
ItemRow = tuple[Any, ...]
# Label row: item_id, id, labeler_id, answer (JSON text), time_spent_ms, guideline_version, created_at,
# supersedes_id.
LabelRow = tuple[Any, ...]

_i = Item.__table__.c
_l = Label.__table__.c


def status_of(is_gold: bool, open_slots: int, label_count: int, overlap: int) -> str:
    """done: labeled by `overlap` labelers; in_progress: some labels or live leases; open: untouched."""
    if label_count >= overlap:
        return "done"
    if label_count > 0 or (not is_gold and open_slots < overlap - label_count):
        return "in_progress"
    return "open"


def _json_or_none(text: str | None) -> str | None:
    """JSON text as stored; SQL NULL and JSON null both mean 'no value'."""
    return None if text is None or text == "null" else text


def _iso_utc(conn: Connection, column: Any) -> Any:
    """A stored UTC time as ISO 8601 text with +00:00, formatted by the database (cheaper than Python)."""
    if conn.dialect.name == "sqlite":
        # SQLAlchemy stores 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC) in SQLite.
        return func.replace(type_coerce(column, String), " ", "T") + "+00:00"
    return func.to_char(func.timezone("UTC", column), 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')


def _streamed(conn: Connection, stmt: Any, name: str, fetch_rows: int) -> Iterator[tuple[Any, ...]]:
    """The rows of a query as plain tuples, `fetch_rows` at a time, straight from the driver."""
    sql = str(stmt.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    return raw.driver_rows(conn, sql, None, fetch_rows, name)


def _pairs(conn: Connection, project_id: int, fetch_rows: int) -> Iterator[tuple[ItemRow, list[LabelRow]]]:
    """(item, its labels) in item id order: two streamed queries merged in one pass."""
    items = _streamed(
        conn,
        select(
            _i.id,
            _i.external_id,
            _i.content_text,
            _i.media_url,
            _i.media_type,
            _i.market,
            _i.language,
            _i.source,
            _i.priority,
            cast(_i.context, Text),
            cast(_i["metadata"], Text),
            _i.is_gold,
            _i.batch_id,
            _i.open_slots,
            _i.label_count,
        )
        .where(_i.project_id == project_id)
        .order_by(_i.id),
        "safetyops_export_items",
        fetch_rows,
    )
    labels = _streamed(
        conn,
        select(
            _l.item_id,
            _l.id,
            _l.labeler_id,
            cast(_l.answer, Text),
            _l.time_spent_ms,
            _l.guideline_version,
            _iso_utc(conn, _l.created_at),
            _l.supersedes_id,
        )
        .where(_l.project_id == project_id)
        .order_by(_l.item_id, _l.id),
        "safetyops_export_labels",
        fetch_rows,
    )
    pending = next(labels, None)
    for item in items:
        item_id = item[0]
        while pending is not None and pending[0] < item_id:  # a label whose item is not in this project
            pending = next(labels, None)
        found: list[LabelRow] = []
        while pending is not None and pending[0] == item_id:
            found.append(pending)
            pending = next(labels, None)
        yield item, found


def _flat_rows(
    pairs: Iterator[tuple[ItemRow, list[LabelRow]]], overlap: int, gold: tuple[Any, Any] = (False, True)
) -> Iterator[tuple[Any, ...]]:
    """CSV/Parquet rows: item columns then label columns (None when the item has no label).

    `gold` gives the values written for is_gold false and true.
    """
    empty: tuple[Any, ...] = (None,) * len(LABEL_COLUMNS)
    for row, labels in pairs:
        head = (
            row[0],
            row[1],
            row[2],
            row[3],
            row[4],
            row[5],
            row[6],
            row[7],
            row[8],
            _json_or_none(row[9]),
            _json_or_none(row[10]),
            gold[1] if row[11] else gold[0],
            row[12],
            status_of(row[11], row[13], row[14], overlap),
            row[14],
        )
        if not labels:
            yield (*head, *empty)
        for lab in labels:
            yield (*head, lab[1], lab[2], lab[3], lab[4], lab[5], lab[6], lab[7])


def _csv(pairs: Iterator[tuple[ItemRow, list[LabelRow]]], overlap: int) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(TABLE_COLUMNS)
    writerow = writer.writerow
    for row in _flat_rows(pairs, overlap, gold=("false", "true")):
        writerow(row)
        if buffer.tell() >= CHUNK_BYTES:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


class _Drain:
    """A write-only file for ParquetWriter whose bytes are taken out after each row group."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.position = 0
        self.closed = False

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self.parts.append(chunk)
        self.position += len(chunk)
        return len(chunk)

    def tell(self) -> int:
        return self.position

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def take(self) -> bytes:
        data = b"".join(self.parts)
        self.parts.clear()
        return data


def _parquet(
    pairs: Iterator[tuple[ItemRow, list[LabelRow]]], overlap: int, group_rows: int = PARQUET_GROUP_ROWS
) -> Iterator[bytes]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = parquet_schema()
    drain = _Drain()
    writer = pq.ParquetWriter(pa.PythonFile(drain, mode="w"), schema, compression="zstd")
    columns: list[list[Any]] = [[] for _ in TABLE_COLUMNS]
    appenders = [c.append for c in columns]
    count = 0

    def flush() -> None:
        arrays = [
            # times arrive as ISO 8601 text; Arrow parses them in C
            pa.array(values, pa.string()).cast(f.type) if pa.types.is_timestamp(f.type) else pa.array(values, f.type)
            for values, f in zip(columns, schema, strict=True)
        ]
        batch = pa.record_batch(arrays, schema=schema)
        writer.write_batch(batch, row_group_size=max(len(columns[0]), 1))
        for values in columns:
            values.clear()

    try:
        for row in _flat_rows(pairs, overlap):
            for append, value in zip(appenders, row, strict=True):
                append(value)
            count += 1
            if count >= group_rows:
                flush()
                count = 0
                yield drain.take()
        if count or not drain.position:
            flush()
    finally:
        writer.close()
    yield drain.take()


def _check_format(file_format: str) -> str:
    fmt = file_format.lower()
    if fmt not in EXPORT_FORMATS:
        raise InvalidInput(
            f"unknown export format '{file_format}'",
            [Problem(f"use one of {', '.join(EXPORT_FORMATS)}", field="format")],
        )
    return fmt


def export_items(
    engine: Engine,
    project_id: int,
    file_format: str = "jsonl",
    *,
    on_progress: Progress | None = None,
    fetch_rows: int = FETCH_ROWS,
) -> Iterator[bytes]:
    """The project's items with labels and status as byte chunks of a JSONL, CSV or Parquet file.

    The project and format are checked now (NotFound, InvalidInput); the data is read as the chunks are
    consumed. `on_progress(items_so_far)` is called as items are written.
    """
    fmt = _check_format(file_format)
    with engine.connect() as conn:
        overlap = conn.scalar(select(Project.overlap).where(Project.id == project_id))
    if overlap is None:
        raise NotFound(f"no project {project_id}")
    return _stream(engine, project_id, fmt, int(overlap), on_progress, fetch_rows)


def _counted(items: Iterator[T], on_progress: Progress | None, every: int = 10_000) -> Iterator[T]:
    """Pass the items (one per exported item) through, calling on_progress(count) every `every` and at the end."""
    if on_progress is None:
        yield from items
        return
    n = 0
    for item in items:
        yield item
        n += 1
        if n % every == 0:
            on_progress(n)
    on_progress(n)


@contextmanager
def _sorting_on_disk(conn: Connection) -> Iterator[None]:
    """SQLite: sort the labels in temporary files, not memory, while this connection exports.

    The engine keeps SQLite's temporary storage in memory (fast for small sorts); the labels of a big
    project sorted by item would then all sit in this process's memory. The setting is restored after.
    """
    if conn.dialect.name != "sqlite":
        yield
        return
    raw = conn.connection.driver_connection  # outside SQLAlchemy's transaction: SQLite requires it
    assert raw is not None
    before = raw.execute("PRAGMA temp_store").fetchone()[0]
    raw.execute("PRAGMA temp_store = FILE")
    try:
        yield
    finally:
        raw.execute(f"PRAGMA temp_store = {int(before)}")


def _chunked(lines: Iterator[bytes]) -> Iterator[bytes]:
    """Lines joined into chunks of about CHUNK_BYTES."""
    parts: list[bytes] = []
    size = 0
    for line in lines:
        parts.append(line)
        size += len(line)
        if size >= CHUNK_BYTES:
            yield b"".join(parts)
            parts.clear()
            size = 0
    if parts:
        yield b"".join(parts)


def _stream(
    engine: Engine, project_id: int, fmt: str, overlap: int, on_progress: Progress | None, fetch_rows: int
) -> Iterator[bytes]:
    with engine.connect() as conn, _sorting_on_disk(conn):
        if not is_sqlite(engine):
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            if fmt == "jsonl":
                yield from _chunked(_counted(jsonl_lines(conn, project_id, overlap, fetch_rows), on_progress))
                return
            pairs = _counted(_pairs(conn, project_id, fetch_rows), on_progress)
            if fmt == "csv":
                yield from _csv(pairs, overlap)
            else:
                yield from _parquet(pairs, overlap)


def write_export(
    engine: Engine,
    project_id: int,
    file_format: str,
    out: Path | str,
    *,
    on_progress: Progress | None = None,
) -> int:
    """Write the export to a file (replaced only once complete); returns the bytes written."""
    out = Path(out)
    chunks = export_items(engine, project_id, file_format, on_progress=on_progress)
    partial = out.with_name(out.name + ".partial")
    written = 0
    try:
        with partial.open("wb") as f:
            for chunk in chunks:
                f.write(chunk)
                written += len(chunk)
        partial.replace(out)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return written
