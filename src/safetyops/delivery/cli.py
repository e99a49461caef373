"""`safetyops export`: a project's items with their labels and status, as JSONL, CSV or Parquet."""

from __future__ import annotations

import enum
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from safetyops.db.engine import get_engine, session_scope
from safetyops.delivery.export import write_export
from safetyops.errors import InvalidInput, Problem, SafetyOpsError
from safetyops.projects.service import get_project


class ExportFormat(enum.StrEnum):
    jsonl = "jsonl"
    csv = "csv"
    parquet = "parquet"


def _problem_line(p: Problem) -> str:
    where = p.file or ""
    if p.line is not None:
        where = f"{where}:{p.line}" if where else f"line {p.line}"
    if p.field:
        where = f"{where} {p.field}" if where else p.field
    return f"{where}: {p.message}" if where else p.message


def export_command(
    project: str = typer.Option(..., "--project", "-p", help="project name or id"),
    file_format: ExportFormat = typer.Option(ExportFormat.jsonl, "--format", "-f", help="output format"),
    out: Path = typer.Option(..., "--out", "-o", dir_okay=False, help="file to write (replaced when done)"),
) -> None:
    """Export a project's items with their labels and status (open | in_progress | done).

    JSONL: one object per item with a `labels` list. CSV and Parquet: one row per label, item columns
    repeated, answer/context/metadata as JSON text; an item without labels gets one row with empty label
    columns. The file appears only once complete.

    Example: safetyops export --project toxicity-en --format parquet --out toxicity-en.parquet
    """
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        with session_scope() as session:
            project_id = get_project(session, project).id
        with Progress(
            SpinnerColumn(),
            TextColumn("exporting"),
            TextColumn("{task.completed:,} items"),
            TimeElapsedColumn(),
            console=err,
            transient=True,
            disable=not sys.stderr.isatty(),
        ) as progress:
            task = progress.add_task("export", total=None)
            size = write_export(
                get_engine(),
                project_id,
                file_format.value,
                out,
                on_progress=lambda n: progress.update(task, completed=n),
            )
    except SafetyOpsError as exc:
        err.print(f"error: {exc.message}", markup=False)
        for p in exc.problems:
            err.print(f"  {_problem_line(p)}", markup=False)
        raise typer.Exit(2 if isinstance(exc, InvalidInput) else 1) from None
    except OSError as exc:
        err.print(f"error: cannot write {out}: {exc.strerror or exc}", markup=False)
        raise typer.Exit(1) from None
    typer.echo(f"wrote {out} ({size:,} bytes, {file_format.value})")
