"""`safetyops projects …`: create projects from YAML, list and inspect them, manage who works on them.

`safetyops import …`: import item batches and gold answers into a project from JSONL, CSV or Parquet.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import typer

from safetyops.auth.principal import SYSTEM
from safetyops.clikit import (
    JSON,
    PROJECT,
    ProjectFirst,
    counting_progress,
    print_json,
    project_id,
    say,
    show,
    typer_app,
)
from safetyops.projects.enums import DataFormat

projects_app = typer_app()


@projects_app.command("create")
def create(file: Path = typer.Option(..., "--file", "-f", help="project YAML", exists=False)) -> None:
    """Create a project from a YAML file (name, taxonomy, overlap, gold_rate, lease_minutes, vendors, ...).

    Example: safetyops projects create --file examples/project.yaml
    """
    from safetyops.db.engine import session_scope
    from safetyops.projects import service

    spec = service.load_spec_file(file)
    with session_scope() as session:
        project = service.create_project(session, SYSTEM, spec)
        say(f"created project {project.name} (id {project.id})")


@projects_app.command("list")
def list_projects(as_json: bool = JSON) -> None:
    """List projects with their item counts ('open': items that still need labels).

    Example: safetyops projects list --json
    """
    from sqlalchemy import func, select

    from safetyops.db.engine import session_scope
    from safetyops.projects.models import Item, Project

    with session_scope() as session:
        counts = dict(session.execute(select(Item.project_id, func.count()).group_by(Item.project_id)).all())
        open_counts = dict(
            session.execute(
                select(Item.project_id, func.count()).where(Item.open_slots > 0).group_by(Item.project_id)
            ).all()
        )
        rows = [
            {
                "id": p.id,
                "name": p.name,
                "status": p.status,
                "overlap": p.overlap,
                "gold_rate": p.gold_rate,
                "items": counts.get(p.id, 0),
                "open": open_counts.get(p.id, 0),
            }
            for p in session.scalars(select(Project).order_by(Project.id))
        ]
    show(rows, as_json, headers={"gold_rate": "gold rate"})


@projects_app.command("set", cls=ProjectFirst)
def set_fields(
    project: str = PROJECT,
    status: str = typer.Option(None, help="draft | active | paused | closed"),
    priority: int = typer.Option(None),
    gold_rate: float = typer.Option(None),
    lease_minutes: int = typer.Option(None),
) -> None:
    """Change a project's status or queue settings.

    Example: safetyops projects set -p "ConvAbuse demo" --status paused
    """
    from safetyops.db.engine import session_scope
    from safetyops.projects import service
    from safetyops.projects.schemas import ProjectUpdate

    raw = {"status": status, "priority": priority, "gold_rate": gold_rate, "lease_minutes": lease_minutes}
    change = ProjectUpdate.model_validate({k: v for k, v in raw.items() if v is not None})
    with session_scope() as session:
        service.update_project(session, SYSTEM, service.get_project(session, project).id, change)
    say(f"project {project} updated")


@projects_app.command("add-vendor", cls=ProjectFirst)
def add_vendor(vendor: str, project: str = PROJECT) -> None:
    """Let a vendor's labelers work on a project.  Example: safetyops projects add-vendor -p 1 "Acme BPO\""""
    from safetyops.db.engine import session_scope
    from safetyops.projects import service
    from safetyops.workforce.service import get_vendor

    with session_scope() as session:
        service.add_vendor(session, SYSTEM, service.get_project(session, project).id, get_vendor(session, vendor).id)
    say(f"vendor {vendor} now works on project {project}")


@projects_app.command("expire-leases", cls=ProjectFirst)
def expire_leases(project: str = PROJECT) -> None:
    """Return expired leases to the queue now.  Example: safetyops projects expire-leases -p 1"""
    from safetyops.db.engine import get_engine
    from safetyops.work.service import expire_now

    say(f"{expire_now(get_engine(), project_id(project))} slots returned to the queue")


# --- safetyops import … ---------------------------------------------------------------------------

import_app = typer_app()


def _run_import(
    kind: Literal["items", "gold"], project: str, file: Path, file_format: DataFormat | None, as_json: bool
) -> None:
    """Run an import with a progress display and report it; a refusal lists every problem (the error path)."""
    from dataclasses import asdict

    from safetyops.db.engine import get_engine
    from safetyops.projects.imports import import_gold, import_items

    importer = import_items if kind == "items" else import_gold
    pid = project_id(project)
    with counting_progress(f"importing {'gold ' if kind == 'gold' else ''}{file.name}", "rows") as on_progress:
        result = importer(
            get_engine(),
            pid,
            file,
            file_format=file_format.value if file_format else None,
            on_progress=on_progress,
        )
    if as_json:
        print_json(asdict(result))
        return
    line = (
        f"batch {result.batch_id} ({result.kind}, {result.file_format}): {result.rows_read:,} rows read, "
        f"{result.rows_added:,} added, {result.rows_existing:,} already in the project"
    )
    if result.kind == "gold":
        line += f", {result.gold_answers:,} gold answers set"
    say(f"{line}\nsha256 {result.sha256}")


_FILE = typer.Argument(..., exists=True, dir_okay=False, readable=True, help="the file to import")
_FORMAT = typer.Option(None, "--format", "-f", help="file format; default: from the file extension")


@import_app.command(
    "items",
    epilog="Example: safetyops import items --project toxicity-en batch-07.jsonl",
)
def items(
    file: Path = _FILE,
    project: str = PROJECT,
    file_format: DataFormat | None = _FORMAT,
    as_json: bool = JSON,
) -> None:
    """Import a batch of items. Rows need external_id and text or media_url; optional media_type
    (image|video|audio), market, language, source, priority, context (JSON) and metadata (JSON object;
    extra CSV columns go there too). Items already in the project (same external_id) are skipped; a file
    with any problem is refused whole, and every problem is listed with its line and field."""
    _run_import("items", project, file, file_format, as_json)


@import_app.command(
    "gold",
    epilog="Example: safetyops import gold --project toxicity-en gold-answers.csv",
)
def gold(
    file: Path = _FILE,
    project: str = PROJECT,
    file_format: DataFormat | None = _FORMAT,
    as_json: bool = JSON,
) -> None:
    """Import gold answers. Rows need external_id and answer (a JSON object valid in the project's
    taxonomy; a JSON string in CSV), and may carry a rationale. A row for an item not yet in the project
    must carry its content (text or media_url) and creates it as a gold item; existing items are marked
    gold. Re-importing updates answers in place; a file with any problem is refused whole."""
    _run_import("gold", project, file, file_format, as_json)
