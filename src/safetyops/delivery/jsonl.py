"""JSONL export lines written by the database: one text per item, so Python only streams bytes.

Each line is byte for byte what `orjson.dumps` makes of the export object (the Python export this replaced;
`tests/delivery/test_export.py` keeps it as the reference the lines are compared with): compact, keys in the
same order, the same string escapes (SQLite's `json_quote` and PostgreSQL's `to_json` escape exactly `"`, `\\`
and the control characters, with the same short forms and lower-case hex), and the stored JSON columns
embedded as the database returns them as text, never parsed. Building the text in the database saves the
per-row Python objects: on SQLite it runs in C, on PostgreSQL on the server's core while Python writes.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from psycopg import sql as psycopg_sql
from sqlalchemy import Connection, Engine

from safetyops.db import raw

Column = Callable[[str], str]


@dataclass(frozen=True)
class _Dialect:
    """How one database writes a column as JSON text (null for SQL NULL)."""

    string: Column
    number: Column
    stored_json: Column
    time: Column


_SQLITE = _Dialect(
    string=lambda c: f"json_quote({c})",
    number=lambda c: f"coalesce({c}, 'null')",
    stored_json=lambda c: f"coalesce({c}, 'null')",
    # SQLAlchemy stores 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC) in SQLite; see export._iso_utc.
    time=lambda c: f"'\"' || replace({c}, ' ', 'T') || '+00:00\"'",
)
_POSTGRESQL = _Dialect(
    string=lambda c: f"coalesce(to_json({c})::text, 'null')",
    number=lambda c: f"coalesce({c}::text, 'null')",
    stored_json=lambda c: f"coalesce({c}::text, 'null')",
    time=lambda c: f"'\"' || to_char(timezone('UTC', {c}), 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"+00:00\"') || '\"'",
)


def _object(fields: list[tuple[str, str]]) -> str:
    """SQL concatenating `{"key":value,...}` from (key, SQL giving the value's JSON text) pairs."""
    parts = [f"'{'{' if n == 0 else ','}\"{key}\":' || {value}" for n, (key, value) in enumerate(fields)]
    return " || ".join(parts)


def _label_sql(d: _Dialect) -> str:
    return (
        _object(
            [
                ("label_id", "l.id"),
                ("labeler_id", "l.labeler_id"),
                ("answer", d.stored_json("l.answer")),
                ("time_spent_ms", "l.time_spent_ms"),
                ("guideline_version", d.string("l.guideline_version")),
                ("created_at", d.time("l.created_at")),
                ("supersedes_id", d.number("l.supersedes_id")),
            ]
        )
        + " || '}'"
    )


def _labels_sql(d: _Dialect, project: str) -> str:
    """The item's labels in id order, as the comma-separated objects of a JSON list ('' for none)."""
    where = f"l.project_id = {project} AND l.item_id = i.id"
    if d is _SQLITE:  # group_concat keeps the order of an ordered subquery
        inner = f"SELECT {_label_sql(d)} AS lab FROM labels l WHERE {where} ORDER BY l.id"
        return f"coalesce((SELECT group_concat(lab, ',') FROM ({inner})), '')"
    # An ARRAY sublink, not string_agg: the aggregate's set-up per item doubled the query's time.
    return f"array_to_string(ARRAY(SELECT {_label_sql(d)} FROM labels l WHERE {where} ORDER BY l.id), ',')"


def _status_sql(overlap: str) -> str:
    """export.status_of, in SQL."""
    return (
        f"CASE WHEN i.label_count >= {overlap} THEN '\"done\"' "
        f"WHEN i.label_count > 0 OR (NOT i.is_gold AND i.open_slots < {overlap} - i.label_count) "
        "THEN '\"in_progress\"' ELSE '\"open\"' END"
    )


def _line_sql(d: _Dialect, project: str, overlap: str, ids: str = "") -> str:
    """One JSON line per item of the project; `project` and `overlap` are SQL (placeholders or numbers),
    `ids` an optional further condition on i.id."""
    item = _object(
        [
            ("item_id", "i.id"),
            ("external_id", d.string("i.external_id")),
            ("text", d.string("i.content_text")),
            ("media_url", d.string("i.media_url")),
            ("media_type", d.string("i.media_type")),
            ("market", d.string("i.market")),
            ("language", d.string("i.language")),
            ("source", d.string("i.source")),
            ("priority", "i.priority"),
            ("context", d.stored_json("i.context")),
            ("metadata", d.stored_json("i.metadata")),
            ("is_gold", "CASE WHEN i.is_gold THEN 'true' ELSE 'false' END"),
            ("batch_id", d.number("i.batch_id")),
            ("status", _status_sql(overlap)),
            ("label_count", "i.label_count"),
        ]
    )
    line = f"{item} || ',\"labels\":[' || {_labels_sql(d, project)} || ']}}'"
    if d is _SQLITE:
        line = f"CAST({line} AS BLOB)"  # bytes: nothing to decode and encode again
    return f"SELECT {line} FROM items i WHERE i.project_id = {project}{ids} ORDER BY i.id"


def _sqlite_lines(conn: Connection, project_id: int, overlap: int, fetch_rows: int) -> Iterator[bytes]:
    sql = _line_sql(_SQLITE, project=":project", overlap=":overlap")
    for (line,) in raw.driver_rows(conn, sql, {"project": project_id, "overlap": overlap}, fetch_rows):
        yield line + b"\n"


# COPY's CSV format with control characters as delimiter and quote writes each line as it is: a JSON
# text never holds a raw control character (they are all escaped), so nothing needs quoting.
_COPY_OPTIONS = "(FORMAT csv, DELIMITER E'\\x02', QUOTE E'\\x01')"


# Items alternate between the two connections in runs of this many ids (see _postgresql_lines).
RUN_IDS = 1_000
_HELPER_BATCH = 500  # lines per hand-over from the helper thread
_HELPER_BATCHES = 8  # batches it may hold: more than a run, so neither server process waits long


def _copy_sql(project_id: int, overlap: int, ids: str = "") -> str:
    """COPY takes no parameters: the numbers are written in as integers."""
    sql = _line_sql(_POSTGRESQL, str(int(project_id)), str(int(overlap)), ids)
    return f"COPY ({sql}) TO STDOUT {_COPY_OPTIONS}"


def _copy_rows(cursor: Any, sql: str) -> Iterator[bytes]:
    with cursor.copy(sql) as copy:
        for data in copy:
            yield bytes(data)


def _no_jit(cursor: Any) -> None:
    # The estimated cost of the per-item label lookups crosses jit_above_cost, and compiling the
    # query took 0.56 s of a 2.4 s export of 100,000 items for nothing.
    cursor.execute("SET LOCAL jit = off")


def _item_id(line: bytes) -> int:
    return int(line[11 : line.index(b",", 11)])  # every line starts with {"item_id":<id>,


def _merged(first: Iterator[bytes], second: Iterator[bytes]) -> Iterator[bytes]:
    """Two streams of lines, each in item id order, as one."""
    a, b = next(first, None), next(second, None)
    key_b = _item_id(b) if b is not None else 0
    while a is not None and b is not None:
        if _item_id(a) < key_b:
            yield a
            a = next(first, None)
        else:
            yield b
            b = next(second, None)
            key_b = _item_id(b) if b is not None else 0
    if a is not None:
        yield a
        yield from first
    if b is not None:
        yield b
        yield from second


class _Helper:
    """A second connection, on the caller's snapshot, that streams one share of the lines from a thread.

    Memory stays bounded: the thread hands over batches of lines through a queue of a few batches.
    """

    def __init__(self, engine: Engine, snapshot: str, copy_sql: str) -> None:
        self._engine, self._snapshot, self._copy_sql = engine, snapshot, copy_sql
        self._queue: queue.Queue[list[bytes] | BaseException | None] = queue.Queue(maxsize=_HELPER_BATCHES)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="safetyops-export-helper", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            with self._engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn, conn.begin():
                cursor: Any = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
                snapshot = psycopg_sql.Literal(self._snapshot)
                cursor.execute(psycopg_sql.SQL("SET TRANSACTION SNAPSHOT {}").format(snapshot))
                _no_jit(cursor)
                batch: list[bytes] = []
                for line in _copy_rows(cursor, self._copy_sql):
                    batch.append(line)
                    if len(batch) >= _HELPER_BATCH:
                        if not self._put(batch):
                            return
                        batch = []
                if self._put(batch):
                    self._put(None)
        except BaseException as exc:  # handed to the reading thread
            self._put(exc)

    def _put(self, item: list[bytes] | BaseException | None) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def lines(self) -> Iterator[bytes]:
        while (item := self._queue.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield from item

    def close(self) -> None:
        self._stop.set()
        self._thread.join()


def _span(cursor: Any, project_id: int) -> int:
    cursor.execute("SELECT max(id) - min(id) FROM items WHERE project_id = %s", (project_id,))
    return int(cursor.fetchone()[0] or 0)


def _postgresql_lines(conn: Connection, project_id: int, overlap: int) -> Iterator[bytes]:
    """COPY … TO STDOUT streams the lines while the server builds the next ones (a cursor waits for
    each fetch). The server does the work, so a project of more than two runs of RUN_IDS ids is read
    by two connections at once, on one snapshot: this one the even runs, a helper the odd ones."""
    cursor: Any = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    _no_jit(cursor)
    if _span(cursor, project_id) < 2 * RUN_IDS:
        yield from _copy_rows(cursor, _copy_sql(project_id, overlap))
        return
    snapshot = cursor.execute("SELECT pg_export_snapshot()").fetchone()[0]
    run = f" AND (i.id / {RUN_IDS}) % 2 = "
    helper = _Helper(conn.engine, snapshot, _copy_sql(project_id, overlap, run + "1"))
    try:
        yield from _merged(_copy_rows(cursor, _copy_sql(project_id, overlap, run + "0")), helper.lines())
    finally:
        helper.close()


def jsonl_lines(conn: Connection, project_id: int, overlap: int, fetch_rows: int) -> Iterator[bytes]:
    """The export's lines, each ending in a newline, in item id order, read on the caller's transaction's
    snapshot (which must be REPEATABLE READ on PostgreSQL)."""
    if conn.dialect.name == "sqlite":
        return _sqlite_lines(conn, project_id, overlap, fetch_rows)
    return _postgresql_lines(conn, project_id, overlap)
