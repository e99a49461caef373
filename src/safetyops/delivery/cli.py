"""`safetyops export`: a project's items with their labels and status, as JSONL, CSV or Parquet."""

from __future__ import annotations

from pathlib import Path

import typer

from safetyops.clikit import JSON, PROJECT, counting_progress, project_id, say, show
from safetyops.errors import SafetyOpsError
from safetyops.projects.enums import DataFormat


def export_command(
    project: str = PROJECT,
    file_format: DataFormat = typer.Option(DataFormat.JSONL, "--format", "-f", help="output format"),
    out: Path = typer.Option(..., "--out", "-o", dir_okay=False, help="file to write (replaced when done)"),
    as_json: bool = JSON,
) -> None:
    """Export a project's items with their labels and status (open | in_progress | done).

    JSONL: one object per item with a `labels` list. CSV and Parquet: one row per label, item columns
    repeated, answer/context/metadata as JSON text; an item without labels gets one row with empty label
    columns. The file appears only once complete.

    Example: safetyops export --project toxicity-en --format parquet --out toxicity-en.parquet
    """
    from safetyops.db.engine import get_engine
    from safetyops.delivery.export import write_export

    pid = project_id(project)
    try:
        with counting_progress("exporting", "items") as on_progress:
            size = write_export(get_engine(), pid, file_format.value, out, on_progress=on_progress)
    except OSError as exc:
        raise SafetyOpsError(f"cannot write {out}: {exc.strerror or exc}") from None
    if as_json:
        show({"file": str(out), "bytes": size, "format": file_format.value}, True)
        return
    say(f"wrote {out} ({size:,} bytes, {file_format.value})")
