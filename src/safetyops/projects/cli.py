"""`safetyops projects …`: create projects from YAML, list and inspect them, manage who works on them."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table
from sqlalchemy import func, select

from safetyops.cli_support import console, friendly_errors
from safetyops.db.engine import get_engine, session_scope
from safetyops.projects import service
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
        project = service.create_project(session, spec, None)
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
                str(p.id), p.name, p.status, str(p.overlap), f"{p.gold_rate:.0%}",
                str(counts.get(p.id, 0)), str(open_counts.get(p.id, 0)),
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
        service.update_project(session, service.get_project(session, project), change, None)
    console.print(f"project {project} updated")


@projects_app.command("add-vendor")
@friendly_errors
def add_vendor(project: str, vendor: str) -> None:
    """Let a vendor's labelers work on a project.  Example: safetyops projects add-vendor 1 "Acme BPO\""""
    with session_scope() as session:
        service.add_vendor(session, service.get_project(session, project), get_vendor(session, vendor).id, None)
    console.print(f"vendor {vendor} now works on project {project}")


@projects_app.command("expire-leases")
@friendly_errors
def expire_leases(project: str) -> None:
    """Return expired leases to the queue now.  Example: safetyops projects expire-leases 1"""
    with session_scope() as session:
        project_id = service.get_project(session, project).id
    console.print(f"{expire_now(get_engine(), project_id)} slots returned to the queue")
