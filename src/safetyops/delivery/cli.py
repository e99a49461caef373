"""`safetyops export`: a project's items with their labels and status, as JSONL, CSV or Parquet."""

from __future__ import annotations

from pathlib import Path

import typer

from safetyops.cli_support import DataFormat, counting_progress, fail
from safetyops.db.engine import get_engine, session_scope
from safetyops.delivery.export import write_export
from safetyops.errors import SafetyOpsError
from safetyops.projects.service import get_project


def export_command(
    project: str = typer.Option(..., "--project", "-p", help="project name or id"),
    file_format: DataFormat = typer.Option(DataFormat.jsonl, "--format", "-f", help="output format"),
    out: Path = typer.Option(..., "--out", "-o", dir_okay=False, help="file to write (replaced when done)"),
) -> None:
    """Export a project's items with their labels and status (open | in_progress | done).

    JSONL: one object per item with a `labels` list. CSV and Parquet: one row per label, item columns
    repeated, answer/context/metadata as JSON text; an item without labels gets one row with empty label
    columns. The file appears only once complete.

    Example: safetyops export --project toxicity-en --format parquet --out toxicity-en.parquet
    """
    try:
        with session_scope() as session:
            project_id = get_project(session, project).id
        with counting_progress("exporting", "items") as on_progress:
            size = write_export(get_engine(), project_id, file_format.value, out, on_progress=on_progress)
    except SafetyOpsError as exc:
        raise fail(exc) from None
    except OSError as exc:
        raise fail(SafetyOpsError(f"cannot write {out}: {exc.strerror or exc}")) from None
    typer.echo(f"wrote {out} ({size:,} bytes, {file_format.value})")
