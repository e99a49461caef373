"""`safetyops guidelines …`: taxonomy, guideline versions and examples."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from safetyops.auth.principal import SYSTEM
from safetyops.clikit import JSON, PROJECT, ProjectFirst, print_json, project_option, read_file, say, show, typer_app
from safetyops.errors import InvalidInput, Problem
from safetyops.guidelines.enums import ExampleKind

if TYPE_CHECKING:
    from safetyops.guidelines.service import PublishResult

guidelines_app = typer_app()


@guidelines_app.command("taxonomy")
def taxonomy(
    default: bool = typer.Option(False, "--default", help="the shipped default policy taxonomy"),
    project: str = project_option(required=False),
    as_json: bool = JSON,
    as_project_taxonomy: bool = typer.Option(False, help="with --default: as a project label schema (JSON)"),
) -> None:
    """Print a taxonomy as YAML (or JSON with --json).  Example: safetyops guidelines taxonomy --default"""
    import yaml

    if default == (project is not None):
        raise InvalidInput("say which taxonomy", [Problem("give --default or --project", field="taxonomy")])
    if default:
        from safetyops.guidelines.policy import default_policy_taxonomy, default_taxonomy_text

        policy = default_policy_taxonomy()
        if as_project_taxonomy:
            print_json(policy.to_taxonomy().model_dump(mode="json"))
        elif as_json:
            print_json(policy.model_dump(mode="json"))
        else:
            print(default_taxonomy_text(), end="")
        return
    from safetyops.db.engine import session_scope
    from safetyops.projects.service import get_project

    with session_scope() as session:
        schema = get_project(session, project).taxonomy
    if as_json:
        print_json(schema)
    else:
        print(yaml.safe_dump(schema, allow_unicode=True, sort_keys=False), end="")


@guidelines_app.command("add", cls=ProjectFirst)
def add_version(
    version: str = typer.Argument(..., help="MAJOR.MINOR, newer than every existing version"),
    markdown: Path = typer.Argument(..., help="the guideline text (Markdown file)"),
    project: str = PROJECT,
    what_changed: str = typer.Option("", help="the notice labelers get when it is published"),
    publish: bool = typer.Option(False, "--publish", help="put it in force now"),
) -> None:
    """Add a guideline version.  Example: safetyops guidelines add -p hate-bn 1.1 guideline.md --publish"""
    from safetyops.db.engine import session_scope
    from safetyops.guidelines import service
    from safetyops.projects.service import get_project

    try:
        text = read_file(markdown).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"cannot read {markdown}", [Problem(str(exc), file=str(markdown))]) from None
    with session_scope() as session:
        p = get_project(session, project)
        row = service.create_version(session, SYSTEM, p.id, version, text, what_changed=what_changed)
        say(f"added guideline {row.version} to {p.name}")
        if publish:
            _report_publish(service.publish_version(session, SYSTEM, p.id, row.version))


def _report_publish(result: PublishResult) -> None:
    say(
        f"guideline {result.version.version} is in force (was {result.previous}); "
        f"notice sent to {result.recipients} labeler(s)"
    )
    if result.major_bump:
        say(
            f"major version change: {result.certifications_expired} labeler(s) lost their certification "
            "and must pass the quiz again"
        )


@guidelines_app.command("publish", cls=ProjectFirst)
def publish(version: str, project: str = PROJECT) -> None:
    """Put a version in force.  Example: safetyops guidelines publish -p hate-bn 2.0"""
    from safetyops.db.engine import session_scope
    from safetyops.guidelines import service
    from safetyops.projects.service import get_project

    with session_scope() as session:
        _report_publish(service.publish_version(session, SYSTEM, get_project(session, project).id, version))


@guidelines_app.command("list", cls=ProjectFirst)
def list_versions(project: str = PROJECT, as_json: bool = JSON) -> None:
    """List a project's guideline versions ('in force': the published one labelers work by).

    Example: safetyops guidelines list -p hate-bn
    """
    from safetyops.db.engine import session_scope
    from safetyops.guidelines import service
    from safetyops.projects.service import get_project

    with session_scope() as session:
        p = get_project(session, project)
        rows: list[dict[str, Any]] = [
            {
                "version": v.version,
                "in_force": v.version == p.guideline_version,
                "created": v.created_at,
                "published": v.published_at,
                "examples": len(service.examples_of(session, v)),
                "what_changed": v.what_changed,
            }
            for v in service.list_versions(session, SYSTEM, p.id)
        ]
    if not as_json:  # people see the version in force marked, as before the column existed
        rows = [{**r, "version": f"{r['version']}{' *' if r['in_force'] else ''}"} for r in rows]
    show(rows, as_json, headers={"in_force": "in force", "what_changed": "what changed"}, clip=("what_changed",))


@guidelines_app.command("diff", cls=ProjectFirst)
def diff(from_version: str, to_version: str, project: str = PROJECT) -> None:
    """What changed between two versions.  Example: safetyops guidelines diff -p hate-bn 1.0 2.0"""
    from safetyops.db.engine import session_scope
    from safetyops.guidelines import service
    from safetyops.projects.service import get_project

    with session_scope() as session:
        d = service.diff_versions(session, SYSTEM, get_project(session, project).id, from_version, to_version)
    print(d.unified, end="")
    for label, rows in (("added", d.examples_added), ("removed", d.examples_removed)):
        for ex in rows:
            print(f"example {label}: [{ex['kind']}] {ex['text'][:80]}")


@guidelines_app.command("example", cls=ProjectFirst)
def add_example(
    version: str,
    project: str = PROJECT,
    kind: ExampleKind = typer.Option(..., help="allowed, not_allowed or borderline"),
    text: str = typer.Option(..., help="the example content"),
    rationale: str = typer.Option(..., help="why it is (not) allowed"),
    item: int = typer.Option(None, help="the id of an item it comes from"),
) -> None:
    """Attach an example to a draft version.

    Example: safetyops guidelines example -p hate-bn 1.1 --kind borderline --text "…" --rationale "…"
    """
    from safetyops.db.engine import session_scope
    from safetyops.guidelines import service
    from safetyops.projects.service import get_project

    with session_scope() as session:
        p = get_project(session, project)
        ex = service.add_example(session, SYSTEM, p.id, version, kind, text, rationale, item_id=item)
        say(f"added {ex.kind} example {ex.id} to guideline {version}")
