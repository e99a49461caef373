"""Export of items with labels and status, on SQLite and PostgreSQL: JSONL, CSV, Parquet, streaming."""

from __future__ import annotations

import csv
import io
import threading
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pyarrow.parquet as pq
import pytest
import typer
from sqlalchemy import Engine, insert, select, update
from sqlalchemy import null as sql_null
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from safetyops.clikit import typer_app
from safetyops.delivery import export as export_module
from safetyops.delivery import jsonl as jsonl_module
from safetyops.delivery.cli import export_command
from safetyops.delivery.export import TABLE_COLUMNS, export_items, status_of, write_export
from safetyops.errors import InvalidInput, NotFound
from safetyops.projects.imports import import_items
from safetyops.projects.models import Item, Project
from safetyops.work.models import Assignment, Label
from safetyops.workforce.models import Labeler, Vendor

TAXONOMY = {"questions": [{"key": "abuse", "type": "single_choice", "choices": [{"value": "yes"}, {"value": "no"}]}]}
TRICKY = 'line one\nline "two", with comma; <script>alert(1)</script> &amp; — 你好 \\ \t end'
T0 = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


def _item(project_id: int, external_id: str, **kw: Any) -> Item:
    return Item(project_id=project_id, external_id=external_id, open_slots=2, **kw)


def build_world(engine: Engine) -> dict[str, Any]:
    """A project (overlap 2) with: a done item (2 labels + a correction), an in-progress one, an open one."""
    with Session(engine) as s:
        project = Project(name="p", taxonomy=TAXONOMY, overlap=2)
        other = Project(name="other", taxonomy=TAXONOMY, overlap=1)
        vendor = Vendor(name="v")
        s.add_all([project, other, vendor])
        s.flush()
        a, b = Labeler(vendor_id=vendor.id, external_id="a"), Labeler(vendor_id=vendor.id, external_id="b")
        s.add_all([a, b])
        done = _item(
            project.id,
            "done",
            content_text=TRICKY,
            context=[{"role": "user", "text": "hi"}],
            metadata_={"k": "v"},
            market="GB",
            language="en",
            priority=3,
        )
        busy = _item(project.id, "busy", media_url="https://cdn.example/x.png", media_type="image")
        idle = _item(project.id, "idle", content_text="nothing yet")
        foreign = _item(other.id, "foreign", content_text="other project")
        s.add_all([done, busy, idle, foreign])
        s.flush()
        leases = [
            Assignment(project_id=project.id, item_id=done.id, labeler_id=a.id, status="submitted", expires_at=T0),
            Assignment(project_id=project.id, item_id=done.id, labeler_id=b.id, status="submitted", expires_at=T0),
            Assignment(project_id=project.id, item_id=busy.id, labeler_id=a.id, status="submitted", expires_at=T0),
        ]
        s.add_all(leases)
        s.flush()

        def label(
            item: Item,
            who: Labeler,
            answer: str,
            key: str,
            lease: Assignment | None,
            minutes: int,
            supersedes: int | None = None,
            project_id: int = project.id,
        ) -> Label:
            lab = Label(
                project_id=project_id,
                item_id=item.id,
                labeler_id=who.id,
                assignment_id=lease.id if lease else None,
                answer={"abuse": answer},
                time_spent_ms=1000 + minutes,
                guideline_version="1.2",
                idempotency_key=key,
                created_at=T0 + timedelta(minutes=minutes),
                supersedes_id=supersedes,
            )
            s.add(lab)
            s.flush()
            return lab

        first = label(done, a, "yes", "k1", leases[0], 1)
        label(done, b, "no", "k2", leases[1], 2)
        label(busy, a, "no", "k3", leases[2], 3)
        correction = label(done, a, "no", "k4", None, 4, supersedes=first.id)
        label(foreign, b, "yes", "k5", None, 5, project_id=other.id)
        s.execute(update(Item).where(Item.id == done.id).values(label_count=2, open_slots=0))
        s.execute(update(Item).where(Item.id == busy.id).values(label_count=1, open_slots=1))
        s.commit()
        return {
            "project": project.id,
            "done": done.id,
            "busy": busy.id,
            "idle": idle.id,
            "first": first.id,
            "correction": correction.id,
            "a": a.id,
            "b": b.id,
        }


def _jsonl(engine: Engine, project_id: int) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in b"".join(export_items(engine, project_id, "jsonl")).splitlines()]


def test_jsonl_has_one_object_per_item_with_labels_and_status(engine: Engine) -> None:
    w = build_world(engine)
    rows = _jsonl(engine, w["project"])
    assert [r["external_id"] for r in rows] == ["done", "busy", "idle"]
    done, busy, idle = rows
    assert [r["status"] for r in rows] == ["done", "in_progress", "open"]
    assert [r["label_count"] for r in rows] == [2, 1, 0]
    assert done["text"] == TRICKY  # content is data: no escaping beyond JSON's own
    assert done["context"] == [{"role": "user", "text": "hi"}] and done["metadata"] == {"k": "v"}
    assert (done["market"], done["language"], done["priority"], done["is_gold"]) == ("GB", "en", 3, False)
    assert busy["media_url"] == "https://cdn.example/x.png" and busy["text"] is None and busy["context"] is None
    assert [(lab["labeler_id"], lab["answer"], lab["supersedes_id"]) for lab in done["labels"]] == [
        (w["a"], {"abuse": "yes"}, None),
        (w["b"], {"abuse": "no"}, None),
        (w["a"], {"abuse": "no"}, w["first"]),
    ]
    first = done["labels"][0]
    assert first["label_id"] == w["first"] and first["time_spent_ms"] == 1001
    assert first["guideline_version"] == "1.2"
    assert datetime.fromisoformat(first["created_at"]) == T0 + timedelta(minutes=1)
    assert idle["labels"] == []


def _csv_rows(engine: Engine, project_id: int) -> list[dict[str, str]]:
    data = b"".join(export_items(engine, project_id, "csv")).decode("utf-8")
    return list(csv.DictReader(io.StringIO(data, newline="")))


def test_csv_has_one_row_per_label_and_one_for_an_unlabeled_item(engine: Engine) -> None:
    w = build_world(engine)
    rows = _csv_rows(engine, w["project"])
    assert list(rows[0]) == list(TABLE_COLUMNS)
    assert [(r["external_id"], r["label_id"]) for r in rows] == [
        ("done", str(w["first"])),
        ("done", str(w["first"] + 1)),
        ("done", str(w["correction"])),
        ("busy", str(w["first"] + 2)),
        ("idle", ""),
    ]
    assert rows[0]["text"] == TRICKY and rows[2]["text"] == TRICKY  # item columns repeated, unescaped
    assert orjson.loads(rows[0]["answer"]) == {"abuse": "yes"}
    assert orjson.loads(rows[0]["context"]) == [{"role": "user", "text": "hi"}]
    assert rows[2]["supersedes_id"] == str(w["first"])
    assert datetime.fromisoformat(rows[0]["label_created_at"]) == T0 + timedelta(minutes=1)
    assert [r["status"] for r in rows] == ["done"] * 3 + ["in_progress", "open"]
    assert rows[4]["answer"] == "" and rows[4]["labeler_id"] == "" and rows[4]["is_gold"] == "false"
    assert rows[3]["context"] == "" and rows[3]["text"] == ""


def test_parquet_has_the_csv_columns_typed(engine: Engine, tmp_path: Path) -> None:
    w = build_world(engine)
    out = tmp_path / "x.parquet"
    write_export(engine, w["project"], "parquet", out)
    table = pq.read_table(out)
    assert table.column_names == list(TABLE_COLUMNS)
    rows = table.to_pylist()
    assert [(r["external_id"], r["label_id"]) for r in rows] == [
        ("done", w["first"]),
        ("done", w["first"] + 1),
        ("done", w["correction"]),
        ("busy", w["first"] + 2),
        ("idle", None),
    ]
    assert rows[0]["text"] == TRICKY and orjson.loads(rows[0]["answer"]) == {"abuse": "yes"}
    assert rows[0]["label_created_at"] == T0 + timedelta(minutes=1)
    assert rows[2]["supersedes_id"] == w["first"] and rows[4]["status"] == "open"
    csv_rows = _csv_rows(engine, w["project"])
    assert [str(r["label_id"] or "") for r in rows] == [r["label_id"] for r in csv_rows]


def test_parquet_of_an_empty_project_is_a_valid_file(engine: Engine, tmp_path: Path) -> None:
    with Session(engine) as s:
        project = Project(name="empty", taxonomy=TAXONOMY)
        s.add(project)
        s.commit()
        project_id = project.id
    out = tmp_path / "e.parquet"
    write_export(engine, project_id, "parquet", out)
    assert pq.read_table(out).num_rows == 0
    assert _jsonl(engine, project_id) == []
    assert b"".join(export_items(engine, project_id, "csv")).decode().strip() == ",".join(TABLE_COLUMNS)


def test_unknown_project_and_format_fail_before_streaming(engine: Engine) -> None:
    with pytest.raises(NotFound):
        export_items(engine, 12345, "jsonl")
    w = build_world(engine)
    with pytest.raises(InvalidInput) as err:
        export_items(engine, w["project"], "xlsx")
    assert err.value.problems[0].field == "format"


def test_status_rules() -> None:
    assert status_of(False, 2, 0, 2) == "open"
    assert status_of(False, 1, 0, 2) == "in_progress"  # a live lease
    assert status_of(False, 0, 1, 2) == "in_progress"
    assert status_of(False, 0, 2, 2) == "done"
    assert status_of(True, 0, 0, 2) == "open"  # gold items have no open slots by design


def test_export_streams_in_chunks_with_bounded_memory(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = build_world(engine)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(
            insert(Item),
            [
                {
                    "project_id": w["project"],
                    "external_id": f"bulk-{i}",
                    "content_text": "words " * 40,
                    "open_slots": 2,
                    "created_at": now,
                }
                for i in range(20_000)
            ],
        )
    monkeypatch.setattr(export_module, "CHUNK_BYTES", 64 * 1024)
    seen: list[int] = []
    tracemalloc.start()
    try:
        sizes = [len(c) for c in export_items(engine, w["project"], "jsonl", on_progress=seen.append, fetch_rows=1000)]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert sum(sizes) > 5_000_000 and len(sizes) > 50
    assert peak < 6_000_000, peak  # never the whole export
    assert seen[-1] == 20_003 and seen[0] == 10_000


def test_an_abandoned_stream_releases_its_connection(engine: Engine) -> None:
    w = build_world(engine)
    for _ in range(engine.pool.size() + 12):  # type: ignore[attr-defined]
        chunks = export_items(engine, w["project"], "csv")
        next(chunks)
        chunks.close()
    assert _jsonl(engine, w["project"])


def _cli() -> typer.Typer:
    app = typer_app()  # an area's group: SafetyOps errors end as a message and an exit code
    app.command("export")(export_command)
    app.command("noop")(lambda: None)
    return app


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_cli_writes_each_format(engine: Engine, tmp_path: Path, fmt: str) -> None:
    build_world(engine)
    out = tmp_path / f"out.{fmt}"
    result = CliRunner().invoke(_cli(), ["export", "--project", "p", "--format", fmt, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.exists() and f"wrote {out}" in result.stdout
    assert not (tmp_path / f"out.{fmt}.partial").exists()
    with out.open("rb") as f:
        if fmt == "parquet":
            assert pq.read_table(f).num_rows == 5
        elif fmt == "csv":
            assert len(list(csv.reader(io.TextIOWrapper(f, encoding="utf-8", newline="")))) == 6
        else:
            assert len(f.read().splitlines()) == 3


def test_cli_errors_exit_without_traceback(engine: Engine, tmp_path: Path) -> None:
    result = CliRunner().invoke(_cli(), ["export", "--project", "nope", "--out", str(tmp_path / "x.jsonl")])
    assert result.exit_code == 1 and "no project 'nope'" in result.stderr
    result = CliRunner().invoke(_cli(), ["export", "--help"])
    assert "safetyops export --project" in result.output


HOSTILE = (
    "a \"quoted\" </script><script>alert('x')</script> \\ back\\slash \u2028 \U0001f642 বাংলা 中文 \x01\x1f\x7f\t\r\n end"
)


def _reference_jsonl(engine: Engine, project_id: int) -> bytes:
    """The JSONL export as Python wrote it before the database did: orjson over the merged rows."""
    fragment = orjson.Fragment
    out: list[bytes] = []
    with engine.connect() as conn, conn.begin():
        overlap = conn.scalar(select(Project.overlap).where(Project.id == project_id))
        for item, labels in export_module._pairs(conn, project_id, 1000):
            context, metadata = export_module._json_or_none(item[9]), export_module._json_or_none(item[10])
            obj = {
                "item_id": item[0],
                "external_id": item[1],
                "text": item[2],
                "media_url": item[3],
                "media_type": item[4],
                "market": item[5],
                "language": item[6],
                "source": item[7],
                "priority": item[8],
                "context": None if context is None else fragment(context),
                "metadata": None if metadata is None else fragment(metadata),
                "is_gold": bool(item[11]),
                "batch_id": item[12],
                "status": status_of(item[11], item[13], item[14], overlap),
                "label_count": item[14],
                "labels": [
                    {
                        "label_id": lab[1],
                        "labeler_id": lab[2],
                        "answer": fragment(lab[3]),
                        "time_spent_ms": lab[4],
                        "guideline_version": lab[5],
                        "created_at": lab[6],
                        "supersedes_id": lab[7],
                    }
                    for lab in labels
                ],
            }
            out.append(orjson.dumps(obj, option=orjson.OPT_APPEND_NEWLINE))
    return b"".join(out)


def _hostile_world(engine: Engine, tmp_path: Path) -> int:
    """build_world plus: imported items (with a batch), a gold item, SQL NULL and JSON null columns, and
    hostile text everywhere a string goes."""
    w = build_world(engine)
    project_id: int = w["project"]
    rows = [
        {"external_id": 'imp-1 "q" </script>', "text": HOSTILE, "context": [{"role": "user", "text": HOSTILE}]},
        {
            "external_id": "imp-2 \U0001f642",
            "media_url": "https://cdn.example/a.mp4",
            "media_type": "video",
            "market": "BD",
            "language": "bn",
            "source": 'src \\ "x"',
            "priority": -7,
            "metadata": {"ключ": "значение", "n": [1, 2.5, -3e-7, 12345678901234567890], "ok": True, "no": None},
        },
    ]
    import_items(engine, project_id, write_jsonl_rows(tmp_path / "hostile.jsonl", rows))
    with Session(engine) as s:
        labeler = s.scalars(select(Labeler).where(Labeler.id == w["a"])).one()
        gold = Item(project_id=project_id, external_id="gold-1", content_text="gold", is_gold=True, open_slots=0)
        nulls = Item(project_id=project_id, external_id="nulls", media_url="u", context=None, metadata_=None)
        s.add_all([gold, nulls])
        s.flush()
        s.execute(update(Item).where(Item.id == nulls.id).values(context=sql_null(), metadata_=sql_null()))
        s.add(
            Label(
                project_id=project_id,
                item_id=gold.id,
                labeler_id=labeler.id,
                answer={"abuse": "yes", "note": HOSTILE},
                time_spent_ms=0,
                guideline_version='1.3 "beta" \\',
                idempotency_key="gold-k",
                created_at=datetime(2026, 11, 2, 9, 30, 0, 123456, tzinfo=UTC),
            )
        )
        s.execute(update(Item).where(Item.id == gold.id).values(label_count=1))
        s.commit()
    return project_id


def test_jsonl_from_the_database_is_byte_identical_to_the_python_reference(engine: Engine, tmp_path: Path) -> None:
    project_id = _hostile_world(engine, tmp_path)
    exported = b"".join(export_items(engine, project_id, "jsonl", fetch_rows=2))
    assert exported == _reference_jsonl(engine, project_id)
    rows = [orjson.loads(line) for line in exported.splitlines()]
    assert [r["external_id"] for r in rows][-4:] == ['imp-1 "q" </script>', "imp-2 \U0001f642", "gold-1", "nulls"]
    imported, media, gold, nulls = rows[-4:]
    assert imported["text"] == HOSTILE and imported["context"] == [{"role": "user", "text": HOSTILE}]
    assert imported["batch_id"] is not None and media["priority"] == -7 and media["metadata"]["ключ"] == "значение"
    assert gold["is_gold"] is True and gold["labels"][0]["answer"]["note"] == HOSTILE
    assert gold["labels"][0]["created_at"] == "2026-11-02T09:30:00.123456+00:00"
    assert nulls["context"] is None and nulls["metadata"] is None and nulls["text"] is None
    assert b"\n" not in exported.replace(b"}\n", b"}")  # one line per item: raw newlines are escaped


def test_jsonl_of_an_empty_project_is_empty(engine: Engine) -> None:
    project_id = make_empty_project(engine)
    assert b"".join(export_items(engine, project_id, "jsonl")) == b""


def write_jsonl_rows(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    return path


def make_empty_project(engine: Engine) -> int:
    with Session(engine) as s:
        project = Project(name="empty-jsonl", taxonomy=TAXONOMY)
        s.add(project)
        s.commit()
        return project.id


def test_postgresql_reads_a_big_project_with_two_connections_in_the_same_bytes(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Runs of 2 ids alternate between the caller's connection and a helper's, both on one snapshot."""
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    project_id = _hostile_world(engine, tmp_path)
    with engine.begin() as conn:
        conn.execute(
            insert(Item),
            [
                {"project_id": project_id, "external_id": f"bulk-{i}", "content_text": f"t{i}", "created_at": T0}
                for i in range(3_000)
            ],
        )
    monkeypatch.setattr(jsonl_module, "RUN_IDS", 2)
    monkeypatch.setattr(jsonl_module, "_HELPER_BATCH", 7)
    helpers: list[Any] = []
    real_helper = jsonl_module._Helper

    def spy(*args: Any) -> Any:
        helpers.append(real_helper(*args))
        return helpers[-1]

    monkeypatch.setattr(jsonl_module, "_Helper", spy)
    exported = b"".join(export_items(engine, project_id, "jsonl"))
    assert helpers and exported == _reference_jsonl(engine, project_id)
    assert len(exported.splitlines()) == 3_000 + 7


def test_an_abandoned_two_connection_export_stops_its_helper(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    w = build_world(engine)
    with engine.begin() as conn:
        conn.execute(
            insert(Item),
            [{"project_id": w["project"], "external_id": f"b-{i}", "content_text": "x" * 500} for i in range(20_000)],
        )
    monkeypatch.setattr(export_module, "CHUNK_BYTES", 64 * 1024)
    monkeypatch.setattr(jsonl_module, "RUN_IDS", 10)
    for _ in range(engine.pool.size() + 3):  # type: ignore[attr-defined]
        chunks = export_items(engine, w["project"], "jsonl")
        next(chunks)
        chunks.close()
    assert not [t for t in threading.enumerate() if t.name == "safetyops-export-helper"]
    assert len(_jsonl(engine, w["project"])) == 20_003
