"""Import/export benchmark: JSONL import of N items, one label per item, export to JSONL and CSV.

python bench/import_export.py --db sqlite|postgresql --items N [--repeat k] [--parquet]
Each run uses a fresh database (SQLite: a temporary file; PostgreSQL: a fresh schema, dropped after).
Texts are sampled from ConvAbuse (CC BY 4.0). Prints one JSON object: medians over the runs, and each run.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script: the repository root goes on the import path, for the test support in tests/support.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import argparse
import json
import os
import random
import resource
import statistics
import tempfile
import time
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session
from tests.support.databases import fresh_database

from safetyops.data import convabuse_rows
from safetyops.db.engine import make_engine
from safetyops.db.models import metadata
from safetyops.delivery.export import write_export
from safetyops.projects.imports import import_items
from safetyops.projects.models import Project
from safetyops.workforce.models import Labeler, Vendor

TAXONOMY = {"questions": [{"key": "abuse", "type": "single_choice", "choices": [{"value": "yes"}, {"value": "no"}]}]}
LABELERS = 10


def write_items_file(path: Path, n: int, seed: int = 7) -> int:
    """N items with realistic text and conversation context; returns the file size in bytes."""
    rows = [r for r in convabuse_rows() if r.get("user")]
    rng = random.Random(seed)
    markets = ["GB", "US", "IE", "AU"]
    with path.open("wb") as f:
        buf: list[bytes] = []
        for i in range(n):
            r = rows[rng.randrange(len(rows))]
            item = {
                "external_id": f"conv-{i:08d}",
                "text": r["user"],
                "market": markets[i % 4],
                "language": "en",
                "source": "convabuse",
                "priority": i % 3,
                "context": [
                    {"role": "agent", "text": r["prev_agent"]},
                    {"role": "user", "text": r["prev_user"]},
                    {"role": "agent", "text": r["agent"]},
                ],
                "metadata": {"conv_id": r["conv_id"], "bot": r["bot"]},
            }
            buf.append(orjson.dumps(item))
            if len(buf) >= 10_000:
                f.write(b"\n".join(buf) + b"\n")
                buf.clear()
        if buf:
            f.write(b"\n".join(buf) + b"\n")
    return path.stat().st_size


def setup(engine: Engine) -> tuple[int, int]:
    metadata.create_all(engine)
    with Session(engine) as s:
        project = Project(name="bench", taxonomy=TAXONOMY, overlap=1)
        vendor = Vendor(name="bench-vendor")
        s.add_all([project, vendor])
        s.flush()
        labelers = [Labeler(vendor_id=vendor.id, external_id=f"l{i}") for i in range(LABELERS)]
        s.add_all(labelers)
        s.commit()
        return project.id, labelers[0].id


def add_labels(engine: Engine, project_id: int, first_labeler: int) -> None:
    """One label per item, made inside the database (fast), and the items' counters to match."""
    now = datetime.now(UTC)
    pg = engine.dialect.name == "postgresql"
    stamp: Any = now if pg else now.strftime("%Y-%m-%d %H:%M:%S.%f")
    answer = 'CASE WHEN id % 4 = 0 THEN \'{"abuse": "yes"}\' ELSE \'{"abuse": "no"}\' END'
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO labels (project_id, item_id, labeler_id, is_gold, answer, time_spent_ms, "
                "guideline_version, idempotency_key, created_at) "
                f"SELECT project_id, id, :l + id % {LABELERS}, false, "
                f"({answer}){'::jsonb' if pg else ''}, 1000 + id % 5000, '1.0', 'k' || id, :t "
                "FROM items WHERE project_id = :p"
            ),
            {"p": project_id, "l": first_labeler, "t": stamp},
        )
        conn.execute(text("UPDATE items SET label_count = 1, open_slots = 0 WHERE project_id = :p"), {"p": project_id})


def one_run(kind: str, n: int, items_file: Path, parquet: bool) -> dict[str, Any]:
    with fresh_database(kind) as url, tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(url, pool_size=2)
        try:
            project_id, first_labeler = setup(engine)
            t0 = time.perf_counter()
            result = import_items(engine, project_id, items_file)
            import_s = time.perf_counter() - t0
            assert result.rows_added == n, result
            t0 = time.perf_counter()
            again = import_items(engine, project_id, items_file)
            reimport_s = time.perf_counter() - t0
            assert again.rows_added == 0
            t0 = time.perf_counter()
            add_labels(engine, project_id, first_labeler)
            labels_s = time.perf_counter() - t0
            out: dict[str, Any] = {
                "import_s": round(import_s, 3),
                "reimport_s": round(reimport_s, 3),
                "add_labels_s": round(labels_s, 3),
            }
            for fmt in ("jsonl", "csv", *(["parquet"] if parquet else [])):
                t0 = time.perf_counter()
                size = write_export(engine, project_id, fmt, Path(tmp) / f"out.{fmt}")
                out[f"export_{fmt}_s"] = round(time.perf_counter() - t0, 3)
                out[f"export_{fmt}_mb"] = round(size / 1e6, 1)
            out["export_s"] = out["export_jsonl_s"]
            return out
        finally:
            engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--parquet", action="store_true", help="also time the Parquet export")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        items_file = Path(tmp) / "items.jsonl"
        file_bytes = write_items_file(items_file, args.items)
        runs = [one_run(args.db, args.items, items_file, args.parquet) for _ in range(args.repeat)]

    keys = [k for k in runs[0] if k.endswith("_s")]
    summary: dict[str, Any] = {
        "db": args.db,
        "items": args.items,
        "labels": args.items,
        "repeat": args.repeat,
        "file_mb": round(file_bytes / 1e6, 1),
        **{k: round(statistics.median(r[k] for r in runs), 3) for k in keys},
        "import_items_per_s": round(args.items / statistics.median(r["import_s"] for r in runs)),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "cpus": os.cpu_count(),
        "runs": runs,
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
