"""Import of item batches and gold answers, on SQLite and PostgreSQL: formats, idempotency, all-or-nothing."""

from __future__ import annotations

import csv
import tracemalloc
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import typer
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from safetyops.auth.models import AuditEntry
from safetyops.config import get_settings
from safetyops.delivery.export import export_items
from safetyops.errors import InvalidInput, NotFound, ProblemList
from safetyops.projects.cli import import_app
from safetyops.projects.importing import FileReader, Limits
from safetyops.projects.imports import import_gold, import_items
from safetyops.projects.models import Batch, GoldAnswer, Item, Project

TAXONOMY = {"questions": [{"key": "abuse", "type": "single_choice", "choices": [{"value": "yes"}, {"value": "no"}]}]}

ROWS: list[dict[str, Any]] = [
    {
        "external_id": "conv-1",
        "text": 'Hello, "world"\nsecond line <b>not html</b> — ünïcödé 你好',
        "market": "GB",
        "language": "en",
        "source": "convabuse",
        "priority": 5,
        "context": [{"role": "bot", "text": "Does that question interest you?"}],
        "metadata": {"conv_id": "245846", "bot": "E.L.I.Z.A."},
    },
    {"external_id": "conv-2", "media_url": "https://cdn.example/a.png", "media_type": "image"},
    {"external_id": "conv-3", "text": "plain", "priority": -1, "metadata": {"n": 3}},
]


def make_project(engine: Engine, name: str = "p", overlap: int = 2) -> int:
    with Session(engine) as session:
        project = Project(name=name, taxonomy=TAXONOMY, overlap=overlap)
        session.add(project)
        session.commit()
        return project.id


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    return path


def write_csv(path: Path, rows: list[dict[str, Any]], extra: dict[str, str] | None = None) -> Path:
    columns = ["external_id", "text", "media_url", "media_type", "market", "language", "source", "priority"]
    columns += ["context", "metadata", *(extra or {})]
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(columns)
        for r in rows:
            cells = []
            for c in columns:
                value = r.get(c, (extra or {}).get(c))
                if c in ("context", "metadata") and value is not None:
                    value = orjson.dumps(value).decode()
                cells.append("" if value is None else value)
            writer.writerow(cells)
    return path


def write_parquet(path: Path, rows: list[dict[str, Any]]) -> Path:
    columns = ["external_id", "text", "media_url", "media_type", "market", "language", "source"]
    data: dict[str, Any] = {c: [r.get(c) for r in rows] for c in columns}
    data["priority"] = pa.array([r.get("priority", 0) for r in rows], pa.int64())
    for c in ("context", "metadata"):
        data[c] = [None if r.get(c) is None else orjson.dumps(r[c]).decode() for r in rows]
    pq.write_table(pa.table(data), path)
    return path


WRITERS = {"jsonl": write_jsonl, "csv": write_csv, "parquet": write_parquet}


def counts(engine: Engine) -> tuple[int, int, int]:
    with engine.connect() as conn:
        return (
            conn.scalar(select(func.count()).select_from(Item)) or 0,
            conn.scalar(select(func.count()).select_from(Batch)) or 0,
            conn.scalar(select(func.count()).select_from(AuditEntry)) or 0,
        )


def item_fields(row: dict[str, Any]) -> dict[str, Any]:
    keys = ("external_id", "text", "media_url", "media_type", "market", "language", "source", "context")
    out = {k: row.get(k) for k in keys}
    out["priority"] = row.get("priority") or 0
    out["metadata"] = row.get("metadata")
    return out


# --- formats, idempotency ---------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_each_format_round_trips_through_export(engine: Engine, tmp_path: Path, fmt: str) -> None:
    project_id = make_project(engine)
    path = WRITERS[fmt](tmp_path / f"items.{fmt}", ROWS)
    result = import_items(engine, project_id, path)
    assert (result.rows_read, result.rows_added, result.rows_existing) == (3, 3, 0)
    assert result.file_format == fmt and len(result.sha256) == 64

    exported = [orjson.loads(line) for line in b"".join(export_items(engine, project_id, "jsonl")).splitlines()]
    assert [item_fields(e) for e in exported] == [item_fields(r) for r in ROWS]
    assert all(e["status"] == "open" and e["labels"] == [] and not e["is_gold"] for e in exported)
    assert {e["batch_id"] for e in exported} == {result.batch_id}


def test_reimport_adds_nothing_and_batch_and_audit_are_recorded(engine: Engine, tmp_path: Path) -> None:
    project_id = make_project(engine, overlap=3)
    path = write_jsonl(tmp_path / "items.jsonl", ROWS)
    first = import_items(engine, project_id, path)
    again = import_items(engine, project_id, path)
    assert (again.rows_read, again.rows_added, again.rows_existing) == (3, 0, 3)
    assert again.sha256 == first.sha256
    with Session(engine) as session:
        items = session.scalars(select(Item).order_by(Item.id)).all()
        assert len(items) == 3
        assert {(i.open_slots, i.label_count, i.is_gold, i.batch_id) for i in items} == {(3, 0, False, first.batch_id)}
        batches = session.scalars(select(Batch).order_by(Batch.id)).all()
        assert [(b.kind, b.filename, b.file_format, b.rows_read, b.rows_added) for b in batches] == [
            ("items", "items.jsonl", "jsonl", 3, 3),
            ("items", "items.jsonl", "jsonl", 3, 0),
        ]
        assert batches[0].sha256 == first.sha256
        audit = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        assert [a.action for a in audit] == ["batch.import_items"] * 2
        assert audit[0].entity_id == str(first.batch_id) and audit[0].detail["rows_added"] == 3


def test_duplicate_external_ids_within_a_file_keep_the_first(engine: Engine, tmp_path: Path) -> None:
    project_id = make_project(engine)
    rows = [{"external_id": "a", "text": "first"}, {"external_id": "a", "text": "second"}]
    result = import_items(engine, project_id, write_jsonl(tmp_path / "d.jsonl", rows))
    assert (result.rows_read, result.rows_added, result.rows_existing) == (2, 1, 1)
    with engine.connect() as conn:
        assert conn.scalar(select(Item.content_text)) == "first"


def test_overlapping_imports_at_once_add_each_item_once(engine: Engine, tmp_path: Path) -> None:
    """Two imports into one project at the same time, sharing half their ids (and out of order, so the
    per-chunk range check cannot skip the lookups): both succeed and every external_id is stored once."""
    project_id = make_project(engine)
    ids = [f"x{i:05d}" for i in range(3_000)]
    first = write_jsonl(tmp_path / "a.jsonl", [{"external_id": e, "text": "a"} for e in ids[:2_000][::-1]])
    second = write_jsonl(tmp_path / "b.jsonl", [{"external_id": e, "text": "b"} for e in ids[1_000:]])
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda path: import_items(engine, project_id, path, chunk_rows=300), [first, second]))
    assert sum(r.rows_added for r in results) == 3_000
    assert sum(r.rows_existing for r in results) == 1_000
    with engine.connect() as conn:
        stored = conn.execute(select(Item.external_id).where(Item.project_id == project_id)).scalars().all()
    assert sorted(stored) == ids


def test_a_chunk_with_some_existing_ids_adds_only_the_new_ones(engine: Engine, tmp_path: Path) -> None:
    project_id = make_project(engine)
    import_items(engine, project_id, write_jsonl(tmp_path / "old.jsonl", [{"external_id": "m", "text": "old"}]))
    rows = [{"external_id": e, "text": "new"} for e in ("a", "m", "z", "m")]
    result = import_items(engine, project_id, write_jsonl(tmp_path / "new.jsonl", rows))
    assert (result.rows_added, result.rows_existing) == (2, 2)
    with engine.connect() as conn:
        texts = dict(conn.execute(select(Item.external_id, Item.content_text)).all())
    assert texts == {"a": "new", "m": "old", "z": "new"}


def test_external_ids_are_per_project(engine: Engine, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "items.jsonl", ROWS)
    import_items(engine, make_project(engine, "a"), path)
    assert import_items(engine, make_project(engine, "b"), path).rows_added == 3


def test_csv_extra_columns_go_to_metadata_and_multiline_cells_keep_line_numbers(engine: Engine, tmp_path: Path) -> None:
    project_id = make_project(engine)
    path = write_csv(tmp_path / "items.csv", ROWS, extra={"annotator": "A7"})
    import_items(engine, project_id, path)
    with Session(engine) as session:
        first = session.scalars(select(Item).where(Item.external_id == "conv-1")).one()
        assert first.metadata_ == {"annotator": "A7", "conv_id": "245846", "bot": "E.L.I.Z.A."}
        assert first.content_text == ROWS[0]["text"]
    # conv-1's text spans two physical lines, so the third data row starts on line 5.
    bad = [*ROWS[:2], {**ROWS[2], "priority": "high"}]
    path = write_csv(tmp_path / "bad.csv", bad)
    with pytest.raises(InvalidInput) as err:
        import_items(engine, project_id, path)
    assert [(p.line, p.field) for p in err.value.problems] == [(5, "priority")]


def test_explicit_format_overrides_the_extension(engine: Engine, tmp_path: Path) -> None:
    project_id = make_project(engine)
    path = write_jsonl(tmp_path / "items.txt", ROWS)
    with pytest.raises(InvalidInput, match="cannot tell the format"):
        import_items(engine, project_id, path)
    assert import_items(engine, project_id, path, file_format="ndjson").rows_added == 3


def test_unknown_project(engine: Engine, tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        import_items(engine, 999, write_jsonl(tmp_path / "i.jsonl", ROWS))
    assert counts(engine) == (0, 0, 0)


def test_progress_reports_rows(engine: Engine, tmp_path: Path) -> None:
    project_id = make_project(engine)
    rows = [{"external_id": f"x{i}", "text": "t"} for i in range(25)]
    seen: list[int] = []
    import_items(engine, project_id, write_jsonl(tmp_path / "i.jsonl", rows), on_progress=seen.append, chunk_rows=10)
    assert seen == [10, 20, 25]


# --- refused files: problems name file, line and field; nothing is stored ----------------------------

BIG = "x" * (get_settings().max_content_chars + 1)


def _jsonl_bytes(*lines: Any) -> bytes:
    return b"".join((x if isinstance(x, bytes) else orjson.dumps(x)) + b"\n" for x in lines)


GOOD = {"external_id": "ok-1", "text": "fine"}
BAD_FILES: dict[str, tuple[str, bytes, list[tuple[int | None, str | None]]]] = {
    "malformed JSON line": ("jsonl", _jsonl_bytes(GOOD, b'{"external_id": "x", "text": '), [(2, None)]),
    "not an object": ("jsonl", _jsonl_bytes(GOOD, [1, 2]), [(2, None)]),
    "wrong type": (
        "jsonl",
        _jsonl_bytes(GOOD, {"external_id": "x", "text": "t", "priority": "high"}),
        [(2, "priority")],
    ),
    "external_id a number": ("jsonl", _jsonl_bytes({"external_id": 7, "text": "t"}), [(1, "external_id")]),
    "missing external_id": ("jsonl", _jsonl_bytes(GOOD, {"text": "t"}), [(2, "external_id")]),
    "no text nor media": ("jsonl", _jsonl_bytes(GOOD, {"external_id": "x", "market": "GB"}), [(2, "text")]),
    "oversize text": ("jsonl", _jsonl_bytes(GOOD, GOOD, {"external_id": "x", "text": BIG}), [(3, "text")]),
    "oversize context": (
        "jsonl",
        _jsonl_bytes({"external_id": "x", "text": "t", "context": ["y" * get_settings().max_context_bytes]}),
        [(1, "context")],
    ),
    "metadata not an object": (
        "jsonl",
        _jsonl_bytes({"external_id": "x", "text": "t", "metadata": [1]}),
        [(1, "metadata")],
    ),
    "bad media_type": (
        "jsonl",
        _jsonl_bytes({"external_id": "x", "media_url": "u", "media_type": "pdf"}),
        [(1, "media_type")],
    ),
    "unknown field": ("jsonl", _jsonl_bytes({"external_id": "x", "text": "t", "txet": "t"}), [(1, "txet")]),
    "NUL in text": ("jsonl", _jsonl_bytes({"external_id": "x", "text": "a\x00b"}), [(1, "text")]),
    "several problems": (
        "jsonl",
        _jsonl_bytes({"text": "t"}, GOOD, b"{oops", {"external_id": "y", "text": 5}),
        [(1, "external_id"), (3, None), (4, "text")],
    ),
    "bad CSV quoting": ("csv", b'external_id,text\nok-1,fine\nx,"unclosed "quote\n', [(3, None)]),
    "CSV row with too many cells": ("csv", b"external_id,text\nok-1,fine\nx,a,b\n", [(3, None)]),
    "CSV missing external_id column": ("csv", b"id,text\n1,a\n", [(1, "external_id")]),
    "CSV bad JSON in metadata": ("csv", b'external_id,text,metadata\nx,t,"{nope"\n', [(2, "metadata")]),
    "CSV not UTF-8": ("csv", b"external_id,text\nx,caf\xe9\n", [(2, None)]),
    "CSV missing text and media": ("csv", b"external_id,text,market\nx,,GB\n", [(2, "text")]),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_a_bad_file_is_refused_whole_with_located_problems(engine: Engine, tmp_path: Path, case: str) -> None:
    fmt, content, expected = BAD_FILES[case]
    project_id = make_project(engine)
    path = tmp_path / f"bad.{fmt}"
    path.write_bytes(content)
    before = counts(engine)
    with pytest.raises(InvalidInput) as err:
        import_items(engine, project_id, path)
    problems = err.value.problems
    assert [(p.line, p.field) for p in problems] == expected, [str(p) for p in problems]
    assert all(p.file == str(path) for p in problems)
    assert f"{len(expected)} problem" in err.value.message and str(path) in err.value.message
    assert counts(engine) == before == (0, 0, 0)


def test_truncated_parquet_is_refused(engine: Engine, tmp_path: Path) -> None:
    project_id = make_project(engine)
    good = write_parquet(tmp_path / "good.parquet", ROWS * 10)
    path = tmp_path / "cut.parquet"
    path.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(InvalidInput) as err:
        import_items(engine, project_id, path)
    assert len(err.value.problems) == 1
    assert err.value.problems[0].file == str(path) and "Parquet" in err.value.problems[0].message
    assert counts(engine) == (0, 0, 0)


def test_parquet_row_problems_name_the_row(engine: Engine, tmp_path: Path) -> None:
    project_id = make_project(engine)
    path = write_parquet(tmp_path / "p.parquet", [*ROWS, {"external_id": "x", "market": "GB"}])
    with pytest.raises(InvalidInput) as err:
        import_items(engine, project_id, path)
    assert [(p.line, p.field) for p in err.value.problems] == [(4, "text")]


def test_a_bad_row_at_the_end_of_a_big_file_leaves_nothing(engine: Engine, tmp_path: Path) -> None:
    project_id = make_project(engine)
    import_items(engine, project_id, write_jsonl(tmp_path / "first.jsonl", ROWS))
    before = counts(engine)
    rows: list[dict[str, Any]] = [{"external_id": f"big-{i}", "text": f"text {i}"} for i in range(12_345)]
    rows.append({"external_id": "last", "text": "t", "priority": 1.5})
    path = write_jsonl(tmp_path / "big.jsonl", rows)
    with pytest.raises(InvalidInput) as err:
        import_items(engine, project_id, path, chunk_rows=1_000)
    assert [(p.line, p.field) for p in err.value.problems] == [(12_346, "priority")]
    assert counts(engine) == before


def test_problems_are_capped_at_fifty_but_all_counted(engine: Engine, tmp_path: Path) -> None:
    project_id = make_project(engine)
    path = write_jsonl(tmp_path / "bad.jsonl", [{"text": "no id"}] * 120)
    with pytest.raises(InvalidInput) as err:
        import_items(engine, project_id, path)
    assert len(err.value.problems) == 50
    assert "120 problems" in err.value.message
    assert counts(engine) == (0, 0, 0)


# --- gold ------------------------------------------------------------------------------------------


def test_gold_marks_existing_items_creates_new_ones_and_is_idempotent(engine: Engine, tmp_path: Path) -> None:
    project_id = make_project(engine)
    import_items(engine, project_id, write_jsonl(tmp_path / "items.jsonl", ROWS))
    gold_rows: list[dict[str, Any]] = [
        {"external_id": "conv-1", "answer": {"abuse": "yes"}, "rationale": "insult"},
        {"external_id": "gold-new", "text": "a known bad one", "language": "en", "answer": {"abuse": "no"}},
    ]
    path = write_jsonl(tmp_path / "gold.jsonl", gold_rows)
    result = import_gold(engine, project_id, path)
    assert (result.kind, result.rows_read, result.rows_added, result.gold_answers) == ("gold", 2, 1, 2)
    again = import_gold(engine, project_id, path)
    assert (again.rows_added, again.rows_existing, again.gold_answers) == (0, 2, 2)
    with Session(engine) as session:
        items = {i.external_id: i for i in session.scalars(select(Item))}
        assert (items["conv-1"].is_gold, items["conv-1"].open_slots) == (True, 0)
        assert (items["gold-new"].is_gold, items["gold-new"].open_slots, items["gold-new"].language) == (
            True,
            0,
            "en",
        )
        assert (items["conv-2"].is_gold, items["conv-2"].open_slots) == (False, 2)
        answers = {a.item_id: a for a in session.scalars(select(GoldAnswer))}
        assert len(answers) == 2
        assert answers[items["conv-1"].id].answer == {"abuse": "yes"}
        assert answers[items["conv-1"].id].rationale == "insult"
    # a changed answer replaces the old one
    write_jsonl(path, [{"external_id": "conv-1", "answer": {"abuse": "no"}}])
    import_gold(engine, project_id, path)
    with Session(engine) as session:
        answer = session.scalars(select(GoldAnswer).join(Item).where(Item.external_id == "conv-1")).one()
        assert answer.answer == {"abuse": "no"} and answer.rationale == ""


def test_gold_csv_with_json_answers(engine: Engine, tmp_path: Path) -> None:
    project_id = make_project(engine)
    path = tmp_path / "gold.csv"
    path.write_text('external_id,text,answer,rationale\ng1,some text,"{""abuse"": ""yes""}",why\n', encoding="utf-8")
    assert import_gold(engine, project_id, path).gold_answers == 1
    with engine.connect() as conn:
        assert conn.scalar(select(GoldAnswer.answer)) == {"abuse": "yes"}


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ({"external_id": "g", "text": "t", "answer": {"abuse": "maybe"}}, "answer.abuse"),
        ({"external_id": "g", "text": "t", "answer": {"abuse": "yes", "hate": "no"}}, "answer.hate"),
        ({"external_id": "g", "text": "t", "answer": {}}, "answer.abuse"),
        ({"external_id": "g", "text": "t", "answer": "yes"}, "answer"),
        ({"external_id": "g", "text": "t"}, "answer"),
        ({"external_id": "unknown", "answer": {"abuse": "yes"}}, "external_id"),
    ],
)
def test_bad_gold_rows_are_refused_with_the_field(
    engine: Engine, tmp_path: Path, row: dict[str, Any], field: str
) -> None:
    project_id = make_project(engine)
    import_items(engine, project_id, write_jsonl(tmp_path / "items.jsonl", ROWS))
    before = counts(engine)
    path = write_jsonl(tmp_path / "gold.jsonl", [{"external_id": "conv-1", "answer": {"abuse": "no"}}, row])
    with pytest.raises(InvalidInput) as err:
        import_gold(engine, project_id, path)
    assert [(p.line, p.field) for p in err.value.problems] == [(2, field)]
    assert counts(engine) == before
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(GoldAnswer)) == 0
        assert conn.scalar(select(func.count()).select_from(Item).where(Item.is_gold)) == 0


# --- CLI -------------------------------------------------------------------------------------------


def _cli() -> typer.Typer:
    app = typer.Typer()
    app.add_typer(import_app, name="import")
    return app


def test_cli_imports_items_and_gold(engine: Engine, tmp_path: Path) -> None:
    make_project(engine, name="toxicity-en")
    runner = CliRunner()
    path = write_csv(tmp_path / "items.csv", ROWS)
    result = runner.invoke(_cli(), ["import", "items", "--project", "toxicity-en", str(path)])
    assert result.exit_code == 0, result.output
    assert "3 rows read, 3 added, 0 already in the project" in result.stdout
    result = runner.invoke(_cli(), ["import", "items", "--project", "1", str(path), "--json"])
    assert result.exit_code == 0, result.output
    assert orjson.loads(result.stdout)["rows_existing"] == 3
    gold = write_jsonl(tmp_path / "gold.jsonl", [{"external_id": "conv-2", "answer": {"abuse": "no"}}])
    result = runner.invoke(_cli(), ["import", "gold", "-p", "toxicity-en", str(gold)])
    assert result.exit_code == 0, result.output
    assert "1 gold answers set" in result.stdout


def test_cli_prints_problems_and_exits_2(engine: Engine, tmp_path: Path) -> None:
    make_project(engine, name="toxicity-en")
    path = tmp_path / "bad.jsonl"
    path.write_bytes(_jsonl_bytes(GOOD, {"external_id": "x", "text": "t", "priority": "high"}, b"{"))
    result = CliRunner().invoke(_cli(), ["import", "items", "--project", "toxicity-en", str(path)])
    assert result.exit_code == 2
    assert f"{path}:2 priority: expects a whole number" in result.stderr
    assert f"{path}:3: not valid JSON" in result.stderr
    assert "2 problems" in result.stderr
    assert "Traceback" not in result.output
    result = CliRunner().invoke(_cli(), ["import", "items", "--project", "nope", str(path)])
    assert result.exit_code == 1 and "no project 'nope'" in result.stderr
    assert counts(engine) == (0, 0, 0)


def test_cli_help_has_examples() -> None:
    for command in ("items", "gold"):
        result = CliRunner().invoke(_cli(), ["import", command, "--help"])
        assert result.exit_code == 0
        assert f"safetyops import {command} --project" in result.output


# --- memory ----------------------------------------------------------------------------------------


def test_reading_a_big_file_uses_constant_memory(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    row = orjson.dumps({"external_id": "x" * 20, "text": "some words of a message " * 8, "market": "GB"})
    with path.open("wb") as f:
        for _ in range(200):
            f.write((row + b"\n") * 1_000)
    problems = ProblemList()
    reader = FileReader(path, "jsonl", problems, Limits.from_settings())
    tracemalloc.start()
    try:
        rows = sum(1 for _ in reader)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert rows == 200_000 and not problems
    assert path.stat().st_size > 40_000_000
    assert peak < 8_000_000, peak  # a few 1 MiB read blocks, never the file


def test_a_failing_write_rolls_everything_back(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The writer thread's error reaches the caller, and the transaction rolls back."""
    from safetyops.projects import imports

    project_id = make_project(engine)
    calls: list[int] = []
    real_write = imports._ItemWriter.write

    def flaky(self: Any, rows: list[Any]) -> int:
        calls.append(len(rows))
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real_write(self, rows)

    monkeypatch.setattr(imports._ItemWriter, "write", flaky)
    rows = [{"external_id": f"x{i}", "text": "t"} for i in range(50)]
    with pytest.raises(RuntimeError, match="disk full"):
        import_items(engine, project_id, write_jsonl(tmp_path / "i.jsonl", rows), chunk_rows=10)
    assert counts(engine) == (0, 0, 0)


def test_byte_order_marks_and_crlf_line_ends_are_accepted(engine: Engine, tmp_path: Path) -> None:
    project_id = make_project(engine)
    jsonl = tmp_path / "bom.jsonl"
    jsonl.write_bytes(b"\xef\xbb\xbf" + b"\r\n".join(orjson.dumps(r) for r in ROWS) + b"\r\n")
    assert import_items(engine, project_id, jsonl).rows_added == 3
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbfexternal_id,text\r\ny1,hello\r\ny2,world\r\n")
    assert import_items(engine, project_id, path).rows_added == 2
