"""`safetyops training …`: training plans, quizzes and certification."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from safetyops.auth.principal import SYSTEM
from safetyops.clikit import JSON, PROJECT, ProjectFirst, parse_day, print_json, say, show, typer_app
from safetyops.errors import InvalidInput, Problem
from safetyops.workforce.enums import ModuleKind

if TYPE_CHECKING:
    from safetyops.workforce.models import TrainingPlan
    from safetyops.workforce.training_service import ModuleIn

training_app = typer_app()
plan_app = typer_app("A project's training plan: modules on a timeline, quiz rules.")
training_app.add_typer(plan_app, name="plan")

DEFAULT_MODULES = (
    "read:read_guideline:1,examples:study_examples:1,quiz:quiz:1,shadowing:shadowing:2,calibration:calibration:1"
)


def _modules(value: str) -> list[ModuleIn]:
    from safetyops.workforce.training_service import ModuleIn

    out = []
    for n, part in enumerate(p.strip() for p in value.split(",") if p.strip()):
        bits = part.split(":")
        if len(bits) != 3 or not bits[2].isdigit() or bits[1] not in {k.value for k in ModuleKind}:
            kinds = ", ".join(k.value for k in ModuleKind)
            raise InvalidInput(
                "modules are key:kind:days, comma-separated",
                [Problem(f"'{part}': kind is one of {kinds}, days a whole number", field=f"modules.{n}")],
            )
        out.append(ModuleIn(key=bits[0], kind=ModuleKind(bits[1]), days=int(bits[2])))
    return out


def _print_plan(plan: TrainingPlan, certification: str, as_json: bool) -> None:
    from safetyops.workforce import timeline
    from safetyops.workforce import training_service as training

    slots = training.plan_timeline(plan)
    starts = timeline.training_starts(slots)
    if as_json:
        print_json(
            {
                "project_id": plan.project_id,
                "project_start": plan.project_start,
                "training_starts": starts,
                "quiz_size": plan.quiz_size,
                "pass_mark": plan.pass_mark,
                "max_attempts": plan.max_attempts,
                "cooldown_hours": plan.cooldown_hours,
                "promote_on_pass": plan.promote_on_pass,
                "certification": certification,
                "modules": slots,
            }
        )
        return
    show(
        slots,
        False,
        columns=["key", "kind", "days", "start", "end", "workdays_before_start"],
        headers={"key": "module", "start": "from", "end": "to", "workdays_before_start": "working days before start"},
    )
    say(
        f"training starts {starts.isoformat() if starts else '-'}; project starts {plan.project_start.isoformat()}; "
        f"quiz {plan.quiz_size} gold items, pass mark {plan.pass_mark:.0%}, {plan.max_attempts} attempts, "
        f"cool-down {plan.cooldown_hours:g} h; passing grants {certification}"
        + ("; labelers in training move to production" if plan.promote_on_pass else "")
    )


@plan_app.command("set", cls=ProjectFirst)
def set_plan(
    project: str = PROJECT,
    start: str = typer.Option(..., help="the project's start (go-live) date, YYYY-MM-DD"),
    modules: str = typer.Option(DEFAULT_MODULES, help="key:kind:days, comma-separated, in order"),
    quiz_size: int = typer.Option(10, help="gold items per quiz attempt"),
    pass_mark: float = typer.Option(0.8, help="share of right answers needed, 0..1"),
    max_attempts: int = typer.Option(3),
    cooldown_hours: float = typer.Option(24.0, help="wait after a failed attempt"),
    graded: str = typer.Option("", help="questions graded, comma-separated (default: every required choice)"),
    promote: bool = typer.Option(True, help="move labelers in training to production when they pass"),
    require: bool = typer.Option(True, help="require the certification for production tasks"),
    as_json: bool = JSON,
) -> None:
    """Create or replace a project's training plan and print its timeline.

    Example: safetyops training plan set -p "hate-speech-bn" --start 2026-12-07 --quiz-size 20 --pass-mark 0.85
    """
    from pydantic import ValidationError

    from safetyops.db.engine import session_scope
    from safetyops.projects.service import get_project, problems_from_validation
    from safetyops.workforce import training_service as training

    start_date = parse_day(start, "--start")

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
        _print_plan(plan, training.project_certification(p), as_json)


@plan_app.command("show", cls=ProjectFirst)
def show_plan(project: str = PROJECT, as_json: bool = JSON) -> None:
    """Print a project's training plan timeline.  Example: safetyops training plan show -p 3"""
    from safetyops.db.engine import session_scope
    from safetyops.projects.service import get_project
    from safetyops.workforce import training_service as training

    with session_scope() as session:
        p = get_project(session, project)
        _print_plan(training.get_plan(session, p.id), training.project_certification(p), as_json)


_SHORT = {"not_started": "todo", "in_progress": "started"}


@training_app.command("progress", cls=ProjectFirst)
def show_progress(
    project: str = PROJECT,
    vendor: str = typer.Option(None, help="only this vendor's labelers"),
    as_json: bool = JSON,
) -> None:
    """Each trainee's status per module: todo, started, done, failed ('!' marks a module past its due date).

    Example: safetyops training progress -p "hate-speech-bn" --vendor "Acme BPO"
    """
    from safetyops.db.engine import session_scope
    from safetyops.projects.service import get_project
    from safetyops.workforce import training_service as training
    from safetyops.workforce.service import get_vendor

    with session_scope() as session:
        p = get_project(session, project)
        vendor_id = get_vendor(session, vendor).id if vendor else None
        rows = training.progress(session, p, vendor_id)
        plan = training.get_plan(session, p.id)
        keys = [m["key"] for m in plan.modules]
    if as_json:
        print_json(rows)
        return
    table = [
        {
            "labeler": r.username,
            "vendor": r.vendor_id,
            "status": r.labeler_status,
            **{
                key: _SHORT.get(m.status, m.status) + (" !" if m.late else "")
                for key, m in zip(keys, r.modules, strict=True)
            },
            "attempts": r.attempts_used,
            "certified": r.certified,
        }
        for r in rows
    ]
    show(table, False, columns=["labeler", "vendor", "status", *keys, "attempts", "certified"])
