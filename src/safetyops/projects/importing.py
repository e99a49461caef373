"""Reading item and gold files: JSONL, CSV and Parquet, streamed, each row checked and turned into values.

Pure: no database. A reader yields `(line, row)` pairs (JSONL/CSV: the physical line the record starts on;
Parquet: the row number) and adds a Problem for every record it cannot read; `ItemRowParser` turns one row
into the values of an item, adding a Problem for every field that is wrong. Memory stays constant: files are
read in blocks (JSONL), line by line (CSV) or by record batches (Parquet), and the SHA-256 of the file is
computed while reading.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

import orjson

from safetyops import locale_codes
from safetyops.config import get_settings
from safetyops.errors import InvalidInput, Problem, ProblemList
from safetyops.guidelines.taxonomy import Taxonomy, validate_answer
from safetyops.projects.enums import DataFormat

FORMATS = tuple(f.value for f in DataFormat)
_EXTENSIONS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}

MEDIA_TYPES = frozenset({"image", "video", "audio"})
MAX_EXTERNAL_ID = 200
MAX_MEDIA_URL = 2000
MAX_CODE = 16  # market, language
MAX_SOURCE = 200

ITEM_FIELDS = frozenset(
    {"external_id", "text", "media_url", "media_type", "market", "language", "source", "priority", "context"}
    | {"metadata"}
)
GOLD_FIELDS = ITEM_FIELDS | {"answer", "rationale"}
# Columns that hold JSON; in CSV (and Parquet string columns) they are JSON text.
JSON_FIELDS = frozenset({"context", "metadata", "answer"})

# Language and market values this process has read and found already in their stored form (a code, as
# locale_codes writes it): the fast path takes a row whose codes are here and leaves any other to the careful
# path, which reads the value (a name becomes its code, with a note) and adds it here when it was a code.
_CANONICAL: dict[str, set[str]] = {"language": set(), "market": set()}
MAX_NOTES = 20

_BLOCK = 1 << 20
PARQUET_BATCH_ROWS = 5_000


def detect_format(path: Path, file_format: str | None = None) -> str:
    """The format named explicitly, else the one the file extension tells."""
    if file_format is not None:
        fmt = file_format.lower().lstrip(".")
        fmt = "jsonl" if fmt == "ndjson" else fmt
        if fmt not in FORMATS:
            raise InvalidInput(
                f"unknown file format '{file_format}'",
                [Problem(f"use one of {', '.join(FORMATS)}", field="format", file=str(path))],
            )
        return fmt
    fmt_or_none = _EXTENSIONS.get(path.suffix.lower())
    if fmt_or_none is None:
        raise InvalidInput(
            f"cannot tell the format of {path}",
            [
                Problem(
                    "name the file .jsonl, .ndjson, .csv or .parquet, or give the format explicitly",
                    field="format",
                    file=str(path),
                )
            ],
        )
    return fmt_or_none


@dataclass(frozen=True)
class Limits:
    max_content_chars: int
    max_context_bytes: int

    @classmethod
    def from_settings(cls) -> Limits:
        s = get_settings()
        return cls(max_content_chars=s.max_content_chars, max_context_bytes=s.max_context_bytes)


class _HashingReader(io.RawIOBase):
    """A binary file that updates a SHA-256 with every byte read through it."""

    def __init__(self, raw: BinaryIO, digest: Any) -> None:
        self._raw = raw
        self._digest = digest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._raw.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self._digest.update(data)
        return n


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def _is_utf8(record: list[str]) -> bool:
    """False when a record holds bytes that were not UTF-8 (decoded as lone surrogates)."""
    text = "".join(record)
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class FileReader:
    """Iterate `(line, row)` over a file; unreadable records become problems. `sha256` is set once read."""

    def __init__(self, path: Path, file_format: str, problems: ProblemList, limits: Limits) -> None:
        self.path = path
        self.file = str(path)
        self.format = file_format
        self.problems = problems
        self.limits = limits
        self.sha256 = ""
        # CSV and Parquet: JSON fields may arrive as text to decode; CSV/Parquet extra columns go to metadata.
        self.json_as_text: frozenset[str] = frozenset()
        self.tabular = file_format != "jsonl"

    def __iter__(self) -> Iterator[tuple[int, dict[str, Any]]]:
        try:
            if self.format == "jsonl":
                yield from self._jsonl()
            elif self.format == "csv":
                yield from self._csv()
            else:
                yield from self._parquet()
        except OSError as exc:
            raise InvalidInput(
                f"cannot read {self.path}",
                [Problem(f"cannot read the file: {exc.strerror or exc}", file=self.file)],
            ) from exc

    def _problem(self, message: str, line: int | None = None, field: str | None = None) -> None:
        self.problems.add(Problem(message, field=field, line=line, file=self.file))

    def _jsonl(self) -> Iterator[tuple[int, dict[str, Any]]]:
        digest = hashlib.sha256()
        loads = orjson.loads
        line_no = 0
        with self.path.open("rb") as f:
            rest = b""
            while True:
                block = f.read(_BLOCK)
                if not block:
                    lines = [rest] if rest else []
                else:
                    digest.update(block)
                    lines = (rest + block).split(b"\n")
                    rest = lines.pop()
                for raw in lines:
                    line_no += 1
                    if line_no == 1 and raw.startswith(b"\xef\xbb\xbf"):  # a UTF-8 byte order mark
                        raw = raw[3:]
                    if not raw.strip():
                        continue
                    try:
                        row = loads(raw)
                    except orjson.JSONDecodeError as exc:
                        self._problem(f"not valid JSON: {exc}", line_no)
                        continue
                    if type(row) is not dict:
                        self._problem("each line must be one JSON object", line_no)
                        continue
                    yield line_no, row
                if not block:
                    break
        self.sha256 = digest.hexdigest()

    def _csv(self) -> Iterator[tuple[int, dict[str, Any]]]:
        self.json_as_text = JSON_FIELDS
        limit = 4 * max(self.limits.max_content_chars, self.limits.max_context_bytes) + 65_536
        if csv.field_size_limit() < limit:
            csv.field_size_limit(limit)
        digest = hashlib.sha256()
        with self.path.open("rb") as raw:
            text = io.TextIOWrapper(
                io.BufferedReader(_HashingReader(raw, digest), _BLOCK),
                encoding="utf-8-sig",
                errors="surrogateescape",  # bad bytes are found per record below, with their line
                newline="",
            )
            reader = csv.reader(text, strict=True)
            last = 0
            header: list[str] | None = None
            while True:
                start = last + 1
                try:
                    record = next(reader)
                except StopIteration:
                    break
                except csv.Error as exc:
                    self._problem(f"malformed CSV: {exc}", start)
                    last = reader.line_num
                    continue
                last = reader.line_num
                if not record:
                    continue
                if not _is_utf8(record):
                    self._problem("not UTF-8 text (save the file as UTF-8)", start)
                    continue
                if header is None:
                    header = [h.strip() for h in record]
                    if not self._good_header(header, start):
                        # Without a usable header no row can be read; report only the header.
                        break
                    continue
                if len(record) != len(header):
                    self._problem(f"the row has {len(record)} fields; the header has {len(header)}", start)
                    continue
                yield start, {k: v for k, v in zip(header, record, strict=True) if v != ""}
            if header is None and self.problems.total == 0:
                self._problem("the file is empty: a CSV file starts with a header row", 1)
        self.sha256 = digest.hexdigest()

    def _good_header(self, header: list[str], line: int) -> bool:
        ok = True
        if any(not h for h in header):
            self._problem("the header row has an empty column name", line)
            ok = False
        dupes = sorted({h for h in header if header.count(h) > 1})
        if dupes:
            self._problem(f"the header row repeats {', '.join(dupes)}", line)
            ok = False
        if "external_id" not in header:
            self._problem("the header row has no external_id column", line, "external_id")
            ok = False
        return ok

    def _parquet(self) -> Iterator[tuple[int, dict[str, Any]]]:
        import pyarrow as pa
        import pyarrow.parquet as pq

        row_no = 0
        try:
            pf = pq.ParquetFile(self.path)
            self.json_as_text = frozenset(
                f.name
                for f in pf.schema_arrow
                if f.name in JSON_FIELDS and (pa.types.is_string(f.type) or pa.types.is_large_string(f.type))
            )
            for batch in pf.iter_batches(batch_size=PARQUET_BATCH_ROWS):
                for row in batch.to_pylist():
                    row_no += 1
                    yield row_no, {k: v for k, v in row.items() if v is not None}
        except (pa.ArrowException, OSError, ValueError) as exc:
            where = row_no + 1 if row_no else None
            self._problem(f"not a readable Parquet file: {exc}", where)
            return
        self.sha256 = _file_sha256(self.path)


# The values of one item, JSON fields serialized (text or None): external_id, content_text, media_url,
# media_type, market, language, source, priority, context, metadata. A plain tuple, not a NamedTuple:
# the garbage collector stops tracking a plain tuple of strings and numbers, and an import holds tens
# of thousands of them (as NamedTuples, full collections kept walking them: ~15 % of an import's CPU).
ItemValues = tuple[
    str, str | None, str | None, str | None, str | None, str | None, str | None, int, str | None, str | None
]


class GoldValues(NamedTuple):
    external_id: str
    answer: dict[str, Any]
    rationale: str
    item: ItemValues | None  # values of a new item, when the row carries content


def _fast_item(row: dict[str, Any], max_chars: int, max_json: int) -> ItemValues | None:
    """The values of a clean JSON item row in one pass, or None to leave any doubt to the careful path.

    Imports spend most of their Python time here, so this checks inline rather than through helpers.
    It must accept nothing that RowParser's careful path would refuse.
    """
    if not row.keys() <= ITEM_FIELDS:
        return None
    get = row.get
    ext = get("external_id")
    if type(ext) is not str or not ext or len(ext) > MAX_EXTERNAL_ID or "\x00" in ext:
        return None
    text = get("text")
    if text is not None and (type(text) is not str or len(text) > max_chars or "\x00" in text):
        return None
    url = get("media_url")
    if url is not None and (type(url) is not str or len(url) > MAX_MEDIA_URL or "\x00" in url):
        return None
    if not text and not url:
        return None
    media_type = get("media_type")
    if media_type is not None and (type(media_type) is not str or media_type not in MEDIA_TYPES):
        return None
    market = get("market")
    if market is not None and (type(market) is not str or market not in _CANONICAL["market"]):
        return None
    language = get("language")
    if language is not None and (type(language) is not str or language not in _CANONICAL["language"]):
        return None
    source = get("source")
    if source is not None and (type(source) is not str or len(source) > MAX_SOURCE or "\x00" in source):
        return None
    priority = get("priority", 0)
    if type(priority) is not int or not -(2**31) <= priority < 2**31:
        return None
    context = get("context")
    context_json = None
    if context is not None:
        encoded = orjson.dumps(context)  # parsed by orjson, so it encodes back
        if len(encoded) > max_json or b"\\u0000" in encoded:
            return None
        context_json = encoded.decode()
    metadata = get("metadata")
    metadata_json = None
    if metadata is not None:
        if type(metadata) is not dict:
            return None
        encoded = orjson.dumps(metadata)
        if len(encoded) > max_json or b"\\u0000" in encoded:
            return None
        metadata_json = encoded.decode()
    return (ext, text, url, media_type, market, language, source, priority, context_json, metadata_json)


class RowParser:
    """Checks rows of one file; each problem names the file, line and field."""

    def __init__(self, reader: FileReader) -> None:
        self.reader = reader
        self.file = reader.file
        self.problems = reader.problems
        self.limits = reader.limits
        self.notes: list[str] = []  # values read as another code ("Bengali" -> bn), the first MAX_NOTES

    def _problem(self, line: int, field: str | None, message: str) -> None:
        self.problems.add(Problem(message, field=field, line=line, file=self.file))

    def _prepare(self, row: dict[str, Any], line: int, known: frozenset[str]) -> dict[str, Any] | None:
        """Decode JSON text fields, parse CSV numbers, and gather extra tabular columns into metadata."""
        reader = self.reader
        ok = True
        extras: dict[str, Any] = {}
        if reader.tabular:
            extras = {k: row[k] for k in row if k not in known}
            if extras:
                row = {k: v for k, v in row.items() if k in known}
        elif not row.keys() <= known:
            for k in row:
                if k not in known:
                    self._problem(line, str(k), "unknown field (put extra data under 'metadata')")
            return None
        for key in reader.json_as_text:
            if key in row:
                value = row[key]
                if not isinstance(value, str):
                    continue
                try:
                    row[key] = orjson.loads(value)
                except orjson.JSONDecodeError as exc:
                    self._problem(line, key, f"not valid JSON: {exc}")
                    ok = False
        if reader.format == "csv" and "priority" in row:
            try:
                row["priority"] = int(row["priority"])
            except ValueError:
                self._problem(line, "priority", f"expects a whole number, got '{row['priority'][:40]}'")
                ok = False
        if reader.tabular and extras and ok:
            meta = row.get("metadata")
            if meta is None:
                row["metadata"] = extras
            elif isinstance(meta, dict):
                row["metadata"] = {**extras, **meta}
        return row if ok else None

    def _string(self, row: dict[str, Any], line: int, key: str, limit: int) -> str | None:
        value = row.get(key)
        if value is None:
            return None
        if type(value) is not str:
            self._problem(line, key, f"expects text, got {type(value).__name__}")
            return None
        if len(value) > limit:
            self._problem(line, key, f"is {len(value)} characters; the limit is {limit}")
            return None
        if "\x00" in value:
            self._problem(line, key, "contains a NUL character")
            return None
        return value

    def _code(self, row: dict[str, Any], line: int, kind: str) -> str | None:
        """A language (BCP 47) or market (ISO 3166-1) code; a common name is read as its code, with a note."""
        value = self._string(row, line, kind, 100)
        if value is None:
            return None
        read = locale_codes.language if kind == "language" else locale_codes.market
        try:
            resolved = read(value)
        except locale_codes.CodeError as exc:
            self._problem(line, kind, str(exc))
            return None
        if resolved.code == value:
            _CANONICAL[kind].add(value)
        elif resolved.note:
            note = f"{kind}: {resolved.note}"
            if note not in self.notes and len(self.notes) < MAX_NOTES:
                self.notes.append(note)
        return resolved.code

    def _json(self, row: dict[str, Any], line: int, key: str) -> str | None:
        value = row.get(key)
        if value is None:
            return None
        if key == "metadata" and type(value) is not dict:
            self._problem(line, key, f"expects a JSON object, got {type(value).__name__}")
            return None
        try:
            text = orjson.dumps(value)
        except TypeError as exc:
            self._problem(line, key, f"cannot be stored as JSON: {exc}")
            return None
        if len(text) > self.limits.max_context_bytes:
            self._problem(line, key, f"is {len(text)} bytes of JSON; the limit is {self.limits.max_context_bytes}")
            return None
        if b"\\u0000" in text:
            self._problem(line, key, "contains a NUL character")
            return None
        return text.decode()

    def external_id(self, row: dict[str, Any], line: int) -> str | None:
        value = row.get("external_id")
        if value is None or value == "":
            self._problem(line, "external_id", "is required")
            return None
        if type(value) is not str:
            self._problem(line, "external_id", f"expects text, got {type(value).__name__}")
            return None
        if len(value) > MAX_EXTERNAL_ID:
            self._problem(line, "external_id", f"is {len(value)} characters; the limit is {MAX_EXTERNAL_ID}")
            return None
        if "\x00" in value:
            self._problem(line, "external_id", "contains a NUL character")
            return None
        return value

    def _item(self, row: dict[str, Any], line: int, external_id: str | None) -> ItemValues | None:
        before = self.problems.total
        text = self._string(row, line, "text", self.limits.max_content_chars)
        media_url = self._string(row, line, "media_url", MAX_MEDIA_URL)
        if not row.get("text") and not row.get("media_url"):
            self._problem(line, "text", "an item needs text or a media_url")
        media_type = row.get("media_type")
        if media_type is not None and (type(media_type) is not str or media_type not in MEDIA_TYPES):
            self._problem(line, "media_type", f"expects one of {', '.join(sorted(MEDIA_TYPES))}")
        market = self._code(row, line, "market")
        language = self._code(row, line, "language")
        source = self._string(row, line, "source", MAX_SOURCE)
        priority = row.get("priority", 0)
        if type(priority) is not int:
            self._problem(line, "priority", f"expects a whole number, got {type(priority).__name__}")
        elif not -(2**31) <= priority < 2**31:
            self._problem(line, "priority", "is out of range")
        context = self._json(row, line, "context")
        metadata = self._json(row, line, "metadata")
        if self.problems.total != before or external_id is None:
            return None
        return (external_id, text, media_url, media_type, market, language, source, priority, context, metadata)

    def item(self, row: dict[str, Any], line: int) -> ItemValues | None:
        """The values of an item row, or None when the row has problems (they are added)."""
        if not self.reader.tabular:
            values = _fast_item(row, self.limits.max_content_chars, self.limits.max_context_bytes)
            if values is not None:
                return values
        # The careful path: finds and names every problem (and handles CSV/Parquet conversions).
        prepared = self._prepare(row, line, ITEM_FIELDS)
        if prepared is None:
            return None
        return self._item(prepared, line, self.external_id(prepared, line))

    def gold(self, row: dict[str, Any], line: int, taxonomy: Taxonomy) -> GoldValues | None:
        """A gold row: external_id, answer valid in the taxonomy, optional rationale and new-item content."""
        prepared = self._prepare(row, line, GOLD_FIELDS)
        if prepared is None:
            return None
        before = self.problems.total
        external_id = self.external_id(prepared, line)
        answer = prepared.get("answer")
        if answer is None:
            self._problem(line, "answer", "is required")
        else:
            for p in validate_answer(taxonomy, answer, get_settings().max_answer_chars):
                self._problem(line, p.field, p.message)
        rationale = self._string(prepared, line, "rationale", get_settings().max_answer_chars) or ""
        item = None
        if prepared.get("text") or prepared.get("media_url"):
            item = self._item(prepared, line, external_id)
        if self.problems.total != before or external_id is None:
            return None
        assert isinstance(answer, dict)
        return GoldValues(external_id, answer, rationale, item)
