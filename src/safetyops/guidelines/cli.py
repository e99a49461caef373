"""`safetyops guidelines …`: taxonomy, guideline versions and examples."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from safetyops.auth.principal import SYSTEM
from safetyops.cli_support import console, friendly_errors
from safetyops.db.engine import session_scope
from safetyops.errors import InvalidInput, Problem
from safetyops.guidelines import service
from safetyops.guidelines.enums import ExampleKind
from safetyops.guidelines.policy import default_policy_taxonomy, default_taxonomy_text
from safetyops.projects.service import get_project

guidelines_app = typer.Typer(help="Guidelines, taxonomy and examples.", no_args_is_help=True)


@guidelines_app.command("taxonomy")
@friendly_errors
def taxonomy(
    default: bool = typer.Option(False, "--default", help="the shipped default policy taxonomy"),
    project: str = typer.Option(None, help="a project's label schema (name or id)"),
    as_json: bool = typer.Option(False, "--json", help="JSON instead of YAML / a table"),
    as_project_taxonomy: bool = typer.Option(False, help="with --default: as a project label schema"),
) -> None:
    """Print a taxonomy.  Example: safetyops guidelines taxonomy --default"""
    if default == (project is not None):
        raise InvalidInput("say which taxonomy", [Problem("give --default or --project", field="taxonomy")])
    if default:
        policy = default_policy_taxonomy()
        if as_project_taxonomy:
            print(json.dumps(policy.to_taxonomy().model_dump(mode="json"), indent=2, ensure_ascii=False))
        elif as_json:
            print(json.dumps(policy.model_dump(mode="json"), indent=2, ensure_ascii=False))
        else:
            print(default_taxonomy_text(), end="")
        return
    with session_scope() as session:
        print(json.dumps(get_project(session, project).taxonomy, indent=2, ensure_ascii=False))


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"cannot read {path}", [Problem(str(exc), file=str(path))]) from exc


@guidelines_app.command("add")
@friendly_errors
def add_version(
    project: str = typer.Argument(..., help="project name or id"),
    version: str = typer.Argument(..., help="MAJOR.MINOR, newer than every existing version"),
    markdown: Path = typer.Argument(..., help="the guideline text (Markdown file)"),
    what_changed: str = typer.Option("", help="the notice labelers get when it is published"),
    publish: bool = typer.Option(False, "--publish", help="put it in force now"),
) -> None:
    """Add a guideline version.  Example: safetyops guidelines add hate-bn 1.1 guideline.md --publish"""
    text = _read(markdown)
    with session_scope() as session:
        p = get_project(session, project)
        row = service.create_version(session, SYSTEM, p.id, version, text, what_changed=what_changed)
        console.print(f"added guideline {row.version} to {p.name}")
        if publish:
            _report_publish(service.publish_version(session, SYSTEM, p.id, row.version))


def _report_publish(result: service.PublishResult) -> None:
    console.print(
        f"guideline {result.version.version} is in force (was {result.previous}); "
        f"notice sent to {result.recipients} labeler(s)",
        highlight=False,
    )
    if result.major_bump:
        console.print(
            f"major version change: {result.certifications_expired} labeler(s) lost their certification "
            "and must pass the quiz again",
            highlight=False,
        )


@guidelines_app.command("publish")
@friendly_errors
def publish(project: str, version: str) -> None:
    """Put a version in force.  Example: safetyops guidelines publish hate-bn 2.0"""
    with session_scope() as session:
        _report_publish(service.publish_version(session, SYSTEM, get_project(session, project).id, version))


@guidelines_app.command("list")
@friendly_errors
def list_versions(project: str) -> None:
    """List a project's guideline versions.  Example: safetyops guidelines list hate-bn"""
    table = Table("version", "created", "published", "examples", "what changed")
    with session_scope() as session:
        p = get_project(session, project)
        for v in service.list_versions(session, SYSTEM, p.id):
            table.add_row(
                v.version + (" *" if v.version == p.guideline_version else ""),
                v.created_at.strftime("%Y-%m-%d %H:%M"),
                v.published_at.strftime("%Y-%m-%d %H:%M") if v.published_at else "draft",
                str(len(service.examples_of(session, v))),
                v.what_changed[:60],
            )
    console.print(table)


@guidelines_app.command("diff")
@friendly_errors
def diff(project: str, from_version: str, to_version: str) -> None:
    """What changed between two versions.  Example: safetyops guidelines diff hate-bn 1.0 2.0"""
    with session_scope() as session:
        d = service.diff_versions(session, SYSTEM, get_project(session, project).id, from_version, to_version)
    print(d.unified, end="")
    for label, rows in (("added", d.examples_added), ("removed", d.examples_removed)):
        for ex in rows:
            print(f"example {label}: [{ex['kind']}] {ex['text'][:80]}")


@guidelines_app.command("example")
@friendly_errors
def add_example(
    project: str,
    version: str,
    kind: ExampleKind = typer.Option(..., help="allowed, not_allowed or borderline"),
    text: str = typer.Option(..., help="the example content"),
    rationale: str = typer.Option(..., help="why it is (not) allowed"),
    item: int = typer.Option(None, help="the id of an item it comes from"),
) -> None:
    """Attach an example to a draft version.

    Example: safetyops guidelines example hate-bn 1.1 --kind borderline --text "…" --rationale "…"
    """
    with session_scope() as session:
        p = get_project(session, project)
        ex = service.add_example(session, SYSTEM, p.id, version, kind, text, rationale, item_id=item)
        console.print(f"added {ex.kind} example {ex.id} to guideline {version}")
