"""Read label CSVs (item,rater,label rows or count tables) into arrays; errors name file, line, field."""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from safetyops.quality.aggregation import EncodedLabels, encode_labels

ALIASES: dict[str, tuple[str, ...]] = {
    "item": ("item", "item_id", "unit", "subject", "task"),
    "rater": ("rater", "rater_id", "annotator", "annotator_id", "coder", "labeler", "worker"),
    "label": ("label", "rating", "value", "answer", "category"),
}
NAME_HEADERS = ("", "item", "item_id", "id", "unit", "subject", "category", "rater", "label")


class LabelFileError(ValueError):
    """A problem in an input file, located by file, line and field."""

    def __init__(self, path: str | Path, message: str, line: int | None = None, field: str | None = None):
        self.path, self.line, self.field, self.message = str(path), line, field, message
        where = self.path if line is None else f"{self.path}:{line}"
        what = f" field '{field}':" if field else ""
        super().__init__(f"{where}:{what} {message}")


@dataclass(frozen=True, eq=False)
class LabelRows:
    """Raw item, rater and label strings with the line number each came from."""

    path: str
    items: NDArray[np.str_]
    raters: NDArray[np.str_]
    labels: NDArray[np.str_]
    lines: NDArray[np.int64]

    def __len__(self) -> int:
        return len(self.items)

    def numeric_labels(self) -> NDArray[np.float64]:
        """Labels as numbers; the first non-numeric one raises an error naming its line."""
        try:
            return self.labels.astype(np.float64)
        except ValueError:
            pass
        for label, line in zip(self.labels.tolist(), self.lines.tolist(), strict=True):
            try:
                float(label)
            except ValueError:
                raise LabelFileError(
                    self.path,
                    f"label {label!r} is not a number (this level needs numeric labels)",
                    line,
                    "label",
                ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def encode(self, classes: Sequence[str] | None = None, numeric: bool = False) -> EncodedLabels:
        """Integer codes for items, raters and labels (numeric labels sort by value)."""
        labels: NDArray[Any] = self.numeric_labels() if numeric else self.labels
        if classes is not None:
            unknown = ~np.isin(self.labels, np.asarray(list(classes), dtype=np.str_))
            if unknown.any():
                first = int(np.argmax(unknown))
                raise LabelFileError(
                    self.path,
                    f"label {self.labels[first]!r} is not in the category list {','.join(classes)}",
                    int(self.lines[first]),
                    "label",
                )
        cats = [float(c) for c in classes] if numeric and classes is not None else classes
        try:
            return encode_labels(self.items, self.raters, labels, cats)
        except ValueError as exc:
            raise LabelFileError(self.path, str(exc), None, "label") from None


def _open_rows(path: str | Path) -> Iterator[tuple[int, list[str]]]:
    """(line number, fields) for each non-blank CSV row, header first."""
    try:
        handle = open(path, newline="", encoding="utf-8-sig")  # noqa: SIM115
    except OSError as exc:
        raise LabelFileError(path, f"cannot read file ({exc.strerror or exc})") from None
    with handle:
        reader = csv.reader(handle)
        try:
            for row in reader:
                if any(cell.strip() for cell in row):
                    yield reader.line_num, [cell.strip() for cell in row]
        except (csv.Error, UnicodeDecodeError) as exc:
            raise LabelFileError(path, f"not a readable CSV ({exc})", reader.line_num) from None


def _column_positions(path: str | Path, header: list[str], fields: Sequence[str]) -> dict[str, int]:
    lowered = [h.lower() for h in header]
    found: dict[str, int] = {}
    for field in fields:
        hits = [i for i, h in enumerate(lowered) if h in ALIASES[field]]
        if not hits:
            raise LabelFileError(
                path,
                f"missing column '{field}' (header is: {','.join(header)}); need {','.join(fields)} in any order",
                1,
                field,
            )
        found[field] = hits[0]
    return found


def _read_columns(path: str | Path, fields: Sequence[str]) -> tuple[dict[str, NDArray[np.str_]], NDArray[np.int64]]:
    """The named columns of a CSV with a header, as string arrays, and each row's line number."""
    rows = _open_rows(path)
    first = next(rows, None)
    if first is None:
        raise LabelFileError(path, f"file is empty; a header {','.join(fields)} is required")
    pos = _column_positions(path, first[1], fields)
    need = max(pos.values()) + 1
    out: dict[str, list[str]] = {f: [] for f in pos}
    lines: list[int] = []
    for line, row in rows:
        if len(row) < need:
            raise LabelFileError(path, f"expected at least {need} fields, found {len(row)}", line)
        for field, i in pos.items():
            if not row[i]:
                raise LabelFileError(path, "empty value", line, field)
            out[field].append(row[i])
        lines.append(line)
    return {f: np.asarray(v, dtype=np.str_) for f, v in out.items()}, np.asarray(lines, np.int64)


def read_label_rows(path: str | Path) -> LabelRows:
    """Read a CSV of item,rater,label rows (header required, columns in any order, extra columns ignored)."""
    cols, lines = _read_columns(path, ("item", "rater", "label"))
    return LabelRows(str(path), cols["item"], cols["rater"], cols["label"], lines)


def read_gold(path: str | Path) -> tuple[NDArray[np.str_], NDArray[np.str_]]:
    """Read a CSV of item,label rows: the known answers of gold items."""
    cols, _ = _read_columns(path, ("item", "label"))
    return cols["item"], cols["label"]


@dataclass(frozen=True, eq=False)
class CountTable:
    """A table of counts: rows (items, or rater-1 categories) × columns (categories)."""

    path: str
    row_names: tuple[str, ...]
    col_names: tuple[str, ...]
    counts: NDArray[np.int64]


def _is_count(cell: str) -> bool:
    return cell.isdigit()


def read_count_table(path: str | Path) -> CountTable:
    """Read a count table CSV: header of category names; an optional first column of row names.

    The first column holds names when its header is blank or a name such as `item`, or any of its cells
    is not a count. Every other cell must be a non-negative integer.
    """
    rows = list(_open_rows(path))
    if not rows:
        raise LabelFileError(path, "file is empty; a header row of category names is required")
    header = rows[0][1]
    body = rows[1:]
    named = header[0].lower() in NAME_HEADERS or any(r[0] and not _is_count(r[0]) for _, r in body)
    start = 1 if named else 0
    cols = tuple(header[start:])
    if not cols:
        raise LabelFileError(path, "no category columns in the header", 1)
    counts = np.zeros((len(body), len(cols)), np.int64)
    for r, (line, row) in enumerate(body):
        if len(row) != len(header):
            raise LabelFileError(path, f"expected {len(header)} fields, found {len(row)}", line)
        for c, cell in enumerate(row[start:]):
            if not _is_count(cell):
                raise LabelFileError(path, f"{cell!r} is not a non-negative whole number", line, cols[c])
            counts[r, c] = int(cell)
    names = tuple(row[0] if named else str(i + 1) for i, (_, row) in enumerate(body))
    return CountTable(str(path), names, cols, counts)
