"""`safetyops training …`: training plans, quizzes and certification."""

from __future__ import annotations

from datetime import date

import typer
from rich.table import Table

from safetyops.auth.principal import SYSTEM
from safetyops.cli_support import console, friendly_errors
from safetyops.db.engine import session_scope
from safetyops.errors import InvalidInput, Problem
from safetyops.projects.service import get_project
from safetyops.workforce import timeline
from safetyops.workforce import training_service as training
from safetyops.workforce.enums import ModuleKind
from safetyops.workforce.models import TrainingPlan
from safetyops.workforce.service import get_vendor

training_app = typer.Typer(help="Training plans, quizzes and certification.", no_args_is_help=True)
plan_app = typer.Typer(help="A project's training plan: modules on a timeline, quiz rules.", no_args_is_help=True)
training_app.add_typer(plan_app, name="plan")

DEFAULT_MODULES = (
    "read:read_guideline:1,examples:study_examples:1,quiz:quiz:1,shadowing:shadowing:2,calibration:calibration:1"
)


def _modules(value: str) -> list[training.ModuleIn]:
    out = []
    for n, part in enumerate(p.strip() for p in value.split(",") if p.strip()):
        bits = part.split(":")
        if len(bits) != 3 or not bits[2].isdigit() or bits[1] not in {k.value for k in ModuleKind}:
            kinds = ", ".join(k.value for k in ModuleKind)
            raise InvalidInput(
                "modules are key:kind:days, comma-separated",
                [Problem(f"'{part}': kind is one of {kinds}, days a whole number", field=f"modules.{n}")],
            )
        out.append(training.ModuleIn(key=bits[0], kind=ModuleKind(bits[1]), days=int(bits[2])))
    return out


def _print_plan(plan: TrainingPlan, certification: str) -> None:
    slots = training.plan_timeline(plan)
    table = Table("module", "kind", "days", "from", "to", "working days before start")
    for s in slots:
        table.add_row(s.key, s.kind, str(s.days), s.start.isoformat(), s.end.isoformat(), str(s.workdays_before_start))
    console.print(table)
    starts = timeline.training_starts(slots)
    console.print(
        f"training starts {starts.isoformat() if starts else '-'}; project starts {plan.project_start.isoformat()}; "
        f"quiz {plan.quiz_size} gold items, pass mark {plan.pass_mark:.0%}, {plan.max_attempts} attempts, "
        f"cool-down {plan.cooldown_hours:g} h; passing grants {certification}"
        + ("; labelers in training move to production" if plan.promote_on_pass else ""),
        highlight=False,
    )


@plan_app.command("set")
@friendly_errors
def set_plan(
    project: str = typer.Argument(..., help="project name or id"),
    start: str = typer.Option(..., help="the project's start (go-live) date, YYYY-MM-DD"),
    modules: str = typer.Option(DEFAULT_MODULES, help="key:kind:days, comma-separated, in order"),
    quiz_size: int = typer.Option(10, help="gold items per quiz attempt"),
    pass_mark: float = typer.Option(0.8, help="share of right answers needed, 0..1"),
    max_attempts: int = typer.Option(3),
    cooldown_hours: float = typer.Option(24.0, help="wait after a failed attempt"),
    graded: str = typer.Option("", help="questions graded, comma-separated (default: every required choice)"),
    promote: bool = typer.Option(True, help="move labelers in training to production when they pass"),
    require: bool = typer.Option(True, help="require the certification for production tasks"),
) -> None:
    """Create or replace a project's training plan and print its timeline.

    Example: safetyops training plan set "hate-speech-bn" --start 2026-12-07 --quiz-size 20 --pass-mark 0.85
    """
    try:
        start_date = date.fromisoformat(start)
    except ValueError:
        raise InvalidInput("bad start date", [Problem("write YYYY-MM-DD", field="start")]) from None
    from pydantic import ValidationError

    from safetyops.projects.service import problems_from_validation

    try:
        spec = training.PlanSpec(
            project_start=start_date,
            modules=_modules(modules),
            quiz_size=quiz_size,
            pass_mark=pass_mark,
            max_attempts=max_attempts,
            cooldown_hours=cooldown_hours,
            graded_questions=[g.strip() for g in graded.split(",") if g.strip()],
            promote_on_pass=promote,
            require_for_queue=require,
        )
    except ValidationError as exc:
        raise InvalidInput("the training plan is invalid", problems_from_validation(exc)) from None
    with session_scope() as session:
        p = get_project(session, project)
        plan = training.set_plan(session, SYSTEM, p.id, spec)
        _print_plan(plan, training.project_certification(p))


@plan_app.command("show")
@friendly_errors
def show_plan(project: str = typer.Argument(..., help="project name or id")) -> None:
    """Print a project's training plan timeline.  Example: safetyops training plan show 3"""
    with session_scope() as session:
        p = get_project(session, project)
        _print_plan(training.get_plan(session, p.id), training.project_certification(p))


_SHORT = {"not_started": "todo", "in_progress": "started"}


@training_app.command("progress")
@friendly_errors
def show_progress(
    project: str = typer.Argument(..., help="project name or id"),
    vendor: str = typer.Option(None, help="only this vendor's labelers"),
) -> None:
    """Each trainee's status per module: todo, started, done, failed ('!' marks a module past its due date).

    Example: safetyops training progress "hate-speech-bn" --vendor "Acme BPO"
    """
    with session_scope() as session:
        p = get_project(session, project)
        vendor_id = get_vendor(session, vendor).id if vendor else None
        rows = training.progress(session, p, vendor_id)
        plan = training.get_plan(session, p.id)
        keys = [m["key"] for m in plan.modules]
    table = Table("labeler", "vendor", "status", *keys, "attempts", "certified")
    for r in rows:
        cells = [_SHORT.get(m.status, m.status) + (" !" if m.late else "") for m in r.modules]
        table.add_row(
            r.username, str(r.vendor_id), r.labeler_status, *cells, str(r.attempts_used), "yes" if r.certified else "no"
        )
    console.print(table)
