"""`safetyops projects …`: create projects from YAML, list and inspect them, manage who works on them.

`safetyops import …`: import item batches and gold answers into a project from JSONL, CSV or Parquet.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import orjson
import typer
from rich.table import Table
from sqlalchemy import func, select

from safetyops.auth.principal import SYSTEM
from safetyops.cli_support import DataFormat, console, counting_progress, fail, friendly_errors
from safetyops.db.engine import get_engine, session_scope
from safetyops.errors import SafetyOpsError
from safetyops.projects import service
from safetyops.projects.imports import Importer, ImportResult, import_gold, import_items
from safetyops.projects.models import Item, Project
from safetyops.projects.schemas import ProjectUpdate
from safetyops.work.service import expire_now
from safetyops.workforce.service import get_vendor

projects_app = typer.Typer(help="Labeling projects.", no_args_is_help=True)


@projects_app.command("create")
@friendly_errors
def create(file: Path = typer.Option(..., "--file", "-f", help="project YAML", exists=False)) -> None:
    """Create a project from a YAML file (name, taxonomy, overlap, gold_rate, lease_minutes, vendors, ...).

    Example: safetyops projects create --file examples/project.yaml
    """
    spec = service.load_spec_file(file)
    with session_scope() as session:
        project = service.create_project(session, SYSTEM, spec)
        console.print(f"created project {project.name} (id {project.id})")


@projects_app.command("list")
def list_projects() -> None:
    """List projects with their item counts.  Example: safetyops projects list"""
    table = Table("id", "name", "status", "overlap", "gold rate", "items", "open")
    with session_scope() as session:
        counts = dict(session.execute(select(Item.project_id, func.count()).group_by(Item.project_id)).all())
        open_counts = dict(
            session.execute(
                select(Item.project_id, func.count()).where(Item.open_slots > 0).group_by(Item.project_id)
            ).all()
        )
        for p in session.scalars(select(Project).order_by(Project.id)):
            table.add_row(
                str(p.id),
                p.name,
                p.status,
                str(p.overlap),
                f"{p.gold_rate:.0%}",
                str(counts.get(p.id, 0)),
                str(open_counts.get(p.id, 0)),
            )
    console.print(table)


@projects_app.command("set")
@friendly_errors
def set_fields(
    project: str,
    status: str = typer.Option(None, help="draft | active | paused | closed"),
    priority: int = typer.Option(None),
    gold_rate: float = typer.Option(None),
    lease_minutes: int = typer.Option(None),
) -> None:
    """Change a project's status or queue settings.  Example: safetyops projects set "ConvAbuse demo" --status paused"""
    raw = {"status": status, "priority": priority, "gold_rate": gold_rate, "lease_minutes": lease_minutes}
    change = ProjectUpdate.model_validate({k: v for k, v in raw.items() if v is not None})
    with session_scope() as session:
        service.update_project(session, SYSTEM, service.get_project(session, project).id, change)
    console.print(f"project {project} updated")


@projects_app.command("add-vendor")
@friendly_errors
def add_vendor(project: str, vendor: str) -> None:
    """Let a vendor's labelers work on a project.  Example: safetyops projects add-vendor 1 "Acme BPO\""""
    with session_scope() as session:
        service.add_vendor(session, SYSTEM, service.get_project(session, project).id, get_vendor(session, vendor).id)
    console.print(f"vendor {vendor} now works on project {project}")


@projects_app.command("expire-leases")
@friendly_errors
def expire_leases(project: str) -> None:
    """Return expired leases to the queue now.  Example: safetyops projects expire-leases 1"""
    with session_scope() as session:
        project_id = service.get_project(session, project).id
    console.print(f"{expire_now(get_engine(), project_id)} slots returned to the queue")


# --- safetyops import … ---------------------------------------------------------------------------

import_app = typer.Typer(
    help="Import item batches and gold answers into a project (JSONL, CSV or Parquet; all or nothing).",
    no_args_is_help=True,
)


def _project_id(ref: str) -> int:
    with session_scope() as session:
        return service.get_project(session, ref).id


def _run_import(
    importer: Importer, what: str, project: str, file: Path, file_format: DataFormat | None, as_json: bool
) -> None:
    """Run an import with a progress display and report it; a refusal prints every problem and exits."""
    try:
        project_id = _project_id(project)
        with counting_progress(what, "rows") as on_progress:
            result = importer(
                get_engine(),
                project_id,
                file,
                file_format=file_format.value if file_format else None,
                on_progress=on_progress,
            )
    except SafetyOpsError as exc:
        raise fail(exc) from None
    _report(result, as_json)


def _report(result: ImportResult, as_json: bool) -> None:
    if as_json:
        typer.echo(orjson.dumps(asdict(result)).decode())
        return
    line = (
        f"batch {result.batch_id} ({result.kind}, {result.file_format}): {result.rows_read:,} rows read, "
        f"{result.rows_added:,} added, {result.rows_existing:,} already in the project"
    )
    if result.kind == "gold":
        line += f", {result.gold_answers:,} gold answers set"
    typer.echo(f"{line}\nsha256 {result.sha256}")


_FILE = typer.Argument(..., exists=True, dir_okay=False, readable=True, help="the file to import")
_PROJECT = typer.Option(..., "--project", "-p", help="project name or id")
_FORMAT = typer.Option(None, "--format", "-f", help="file format; default: from the file extension")
_JSON = typer.Option(False, "--json", help="print the result as one JSON object")


@import_app.command(
    "items",
    epilog="Example: safetyops import items --project toxicity-en batch-07.jsonl",
)
def items(
    file: Path = _FILE,
    project: str = _PROJECT,
    file_format: DataFormat | None = _FORMAT,
    as_json: bool = _JSON,
) -> None:
    """Import a batch of items. Rows need external_id and text or media_url; optional media_type
    (image|video|audio), market, language, source, priority, context (JSON) and metadata (JSON object;
    extra CSV columns go there too). Items already in the project (same external_id) are skipped; a file
    with any problem is refused whole, and every problem is listed with its line and field."""
    _run_import(import_items, f"importing {file.name}", project, file, file_format, as_json)


@import_app.command(
    "gold",
    epilog="Example: safetyops import gold --project toxicity-en gold-answers.csv",
)
def gold(
    file: Path = _FILE,
    project: str = _PROJECT,
    file_format: DataFormat | None = _FORMAT,
    as_json: bool = _JSON,
) -> None:
    """Import gold answers. Rows need external_id and answer (a JSON object valid in the project's
    taxonomy; a JSON string in CSV), and may carry a rationale. A row for an item not yet in the project
    must carry its content (text or media_url) and creates it as a gold item; existing items are marked
    gold. Re-importing updates answers in place; a file with any problem is refused whole."""
    _run_import(import_gold, f"importing gold {file.name}", project, file, file_format, as_json)
