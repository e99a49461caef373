"""Read a cube CSV for root-cause analysis (`safetyops rca explain CUBE.csv`) and write the answer as text or JSON.

The CSV has one row per leaf: the dimension columns (any names) and either `real` and `predict` (an additive KPI) or
`real_a`, `predict_a`, `real_b`, `predict_b` (a ratio a/b such as correct/gold or seconds/items). Every problem is
reported with its line (the header is line 1) and column, and nothing reaches the analysis that could turn into
NaN: values must be finite numbers >= 0, every leaf names a value in every dimension, a leaf appears once, a
numerator never stands over a zero denominator, and a ratio's denominator does not sum to 0.

Text output: one line per root cause, best first: the element (`dim=value` pairs joined by `&`), a tab and its
share of the change (for a ratio also the rate and mix parts). `format_compact` puts the whole answer on one line,
elements joined by `;` (the notation of the Squeeze and RiskLoc datasets' ground truth).
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from safetyops.monitoring.checks import invalid
from safetyops.monitoring.rca import Cube, Explanation, RootCause

FUNDAMENTAL = ("real", "predict")
RATIO = ("real_a", "predict_a", "real_b", "predict_b")
MEASURES = frozenset(FUNDAMENTAL + RATIO)


def read_cube_csv(source: str | Path | bytes, name: str | None = None) -> Cube:
    """A validated cube from a CSV file path or its bytes; `name` is the file name errors show."""
    if isinstance(source, bytes):
        data, shown = source, name or "cube.csv"
    else:
        shown = name or str(source)
        try:
            data = Path(source).read_bytes()
        except OSError as exc:
            raise invalid("file", f"cannot read {shown}: {exc.strerror or exc}", file=shown) from None
    if not data.strip():
        raise invalid("file", "the file is empty: expected a header line and one row per leaf", file=shown)
    header = _header(data, shown)
    measures = _measure_columns(header, shown)
    dims = [h for h in header if h not in MEASURES]
    table = _table(data, header, shown)
    if table.num_rows == 0:
        raise invalid("file", "the file has a header but no leaves", file=shown)
    values = {m: _numbers(table.column(m), m, shown) for m in measures}
    labels, codes = [], []
    for d in dims:
        lab, cod = _dimension(table.column(d), d, shown)
        labels.append(lab)
        codes.append(cod)
    code_matrix = np.stack(codes, axis=1)
    _check_unique_leaves(code_matrix, tuple(len(lab) for lab in labels), shown)
    if measures == RATIO:
        _check_denominators(values, shown)
        return Cube(
            tuple(dims),
            tuple(labels),
            code_matrix,
            values["real_a"],
            values["predict_a"],
            values["real_b"],
            values["predict_b"],
        )
    return Cube(tuple(dims), tuple(labels), code_matrix, values["real"], values["predict"])


def _header(data: bytes, shown: str) -> list[str]:
    first = data.split(b"\n", 1)[0].decode("utf-8-sig", errors="replace").rstrip("\r")
    header = [h.strip() for h in next(csv.reader(io.StringIO(first)))]
    seen: set[str] = set()
    for i, h in enumerate(header):
        if not h:
            raise invalid(f"column {i + 1}", "the header has an empty column name", line=1, file=shown)
        if h in seen:
            raise invalid(h, "the header names this column twice", line=1, file=shown)
        seen.add(h)
    return header


def _measure_columns(header: list[str], shown: str) -> tuple[str, ...]:
    present = set(header)
    fundamental = present & set(FUNDAMENTAL)
    ratio = present & set(RATIO)
    if fundamental and ratio:
        raise invalid(
            "header",
            f"mixes an additive KPI ({', '.join(sorted(fundamental))}) with a ratio ({', '.join(sorted(ratio))}): "
            "use real,predict or real_a,predict_a,real_b,predict_b",
            line=1,
            file=shown,
        )
    wanted = RATIO if ratio else FUNDAMENTAL
    missing = [m for m in wanted if m not in present]
    if missing:
        raise invalid(
            "header",
            f"missing column(s) {', '.join(missing)}: a cube needs real,predict "
            f"(or real_a,predict_a,real_b,predict_b for a ratio); found {', '.join(header)}",
            line=1,
            file=shown,
        )
    if len(header) == len(wanted):
        raise invalid("header", "no dimension column: add at least one column naming the slice", line=1, file=shown)
    return wanted


def _table(data: bytes, header: list[str], shown: str) -> pa.Table:
    try:
        return pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(column_names=header, skip_rows=1),
            parse_options=pacsv.ParseOptions(newlines_in_values=False),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(header, pa.string()), strings_can_be_null=False
            ),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        message = str(exc).splitlines()[0]
        raise invalid("file", f"not a readable CSV: {message}", file=shown) from None


def _numbers(column: pa.ChunkedArray, name: str, shown: str) -> npt.NDArray[np.float64]:
    try:
        values = np.asarray(pc.cast(pc.utf8_trim_whitespace(column), pa.float64()), dtype=np.float64)
    except pa.ArrowInvalid:
        for i, text in enumerate(column.to_pylist()):
            try:
                float(text)
            except ValueError:
                shown_text = text if len(text) <= 40 else text[:40] + "…"
                raise invalid(name, f"{shown_text!r} is not a number", line=i + 2, file=shown) from None
        raise  # pragma: no cover - pyarrow refused a value Python accepts
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        i = int(np.argmax(bad))
        raise invalid(name, f"{values[i]} is not allowed: values are finite numbers >= 0", line=i + 2, file=shown)
    return values


def _dimension(column: pa.ChunkedArray, name: str, shown: str) -> tuple[tuple[str, ...], npt.NDArray[np.int64]]:
    trimmed = pc.utf8_trim_whitespace(column)
    empty = np.asarray(pc.equal(trimmed, ""), dtype=np.bool_)
    if empty.any():
        line = int(np.argmax(empty)) + 2
        raise invalid(name, "empty slice value: every leaf names its value in every dimension", line=line, file=shown)
    encoded = pc.dictionary_encode(trimmed).combine_chunks()
    labels = tuple(str(v) for v in encoded.dictionary.to_pylist())
    return labels, np.asarray(encoded.indices, dtype=np.int64)


def _check_unique_leaves(codes: npt.NDArray[np.int64], sizes: tuple[int, ...], shown: str) -> None:
    if math.prod(sizes) < 2**62:
        key = np.zeros(len(codes), dtype=np.int64)
        for d, size in enumerate(sizes):
            key = key * size + codes[:, d]
    else:
        key = np.unique(codes, axis=0, return_inverse=True)[1].ravel().astype(np.int64)
    order = np.argsort(key, kind="stable")
    same = np.flatnonzero(key[order][1:] == key[order][:-1])
    if len(same):
        first, again = sorted((int(order[same[0]]), int(order[same[0] + 1])))
        raise invalid("leaf", f"repeats the leaf of line {first + 2}: one row per leaf", line=again + 2, file=shown)


def _check_denominators(values: dict[str, npt.NDArray[np.float64]], shown: str) -> None:
    for num, den in (("real_a", "real_b"), ("predict_a", "predict_b")):
        orphan = (values[den] == 0) & (values[num] > 0)
        if orphan.any():
            line = int(np.argmax(orphan)) + 2
            raise invalid(
                den, f"is 0 while {num} is {values[num][line - 2]}: a numerator needs a denominator", line, shown
            )
        if float(values[den].sum()) <= 0:
            raise invalid(den, "sums to 0 over all leaves: the ratio is undefined", file=shown)


# ---------------------------------------------------------------- output


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{x:+.1%}"


def _line(cause: RootCause) -> str:
    parts = [cause.text, _pct(cause.share)]
    if cause.rate_share is not None or cause.mix_share is not None:
        parts.append(f"rate {_pct(cause.rate_share)}, mix {_pct(cause.mix_share)}")
    return "\t".join(parts)


def format_text(explanation: Explanation) -> str:
    """One line per root cause, best first: `dim=value&dim=value<TAB>share` (ratio: plus rate and mix)."""
    if not explanation.causes:
        return "no root cause: the change is within the noise of the leaves"
    return "\n".join(_line(c) for c in explanation.causes)


def format_compact(explanation: Explanation) -> str:
    """The root causes on one line, best first, joined by `;` (empty when there is none)."""
    return ";".join(c.text for c in explanation.causes)


def to_json(explanation: Explanation, cube: Cube | None = None) -> str:
    """The explanation as JSON; NaN or infinity can never be written (json refuses them)."""
    body: dict[str, Any] = explanation.as_dict()
    if cube is not None:
        body["leaves"] = len(cube)
        body["dimensions"] = list(cube.dimensions)
    return json.dumps(body, allow_nan=False, ensure_ascii=False)
