"""HTTP routes for training plans, progress and certification quizzes (mounted by workforce/api.py)."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy.orm import Session

from safetyops.auth import policies
from safetyops.auth.deps import PrincipalDep, SessionDep
from safetyops.auth.principal import Principal
from safetyops.errors import Forbidden, NotFound
from safetyops.workforce import timeline
from safetyops.workforce import training_service as training
from safetyops.workforce.enums import ModuleKind
from safetyops.workforce.models import Labeler, TrainingPlan
from safetyops.workforce.training_schemas import (
    LabelerProgressOut,
    ModuleStatusIn,
    PlanOut,
    QuizAnswersIn,
    QuizOut,
    QuizResultOut,
    SlotOut,
)

router = APIRouter(tags=["training"])

SELF_SERVE = {ModuleKind.READ_GUIDELINE.value, ModuleKind.STUDY_EXAMPLES.value}


def plan_out(session: Session, plan: TrainingPlan) -> PlanOut:
    from safetyops.projects.models import Project

    project = session.get_one(Project, plan.project_id)
    slots = training.plan_timeline(plan)
    return PlanOut(
        project_id=plan.project_id,
        project_start=plan.project_start,
        training_starts=timeline.training_starts(slots),
        certification=training.project_certification(project),
        quiz_size=plan.quiz_size,
        pass_mark=plan.pass_mark,
        max_attempts=plan.max_attempts,
        cooldown_hours=plan.cooldown_hours,
        graded_questions=list(plan.graded_questions),
        promote_on_pass=plan.promote_on_pass,
        timeline=[SlotOut.model_validate(s) for s in slots],
    )


def _own_labeler(session: Session, principal: Principal) -> Labeler:
    labeler = session.get(Labeler, principal.labeler_id) if principal.labeler_id else None
    if labeler is None:
        raise Forbidden("only labelers take quizzes; this user has no labeler profile")
    return labeler


@router.put("/projects/{project_id}/training-plan", response_model=PlanOut)
def set_plan(project_id: int, body: training.PlanSpec, session: SessionDep, principal: PrincipalDep) -> PlanOut:
    """Create or replace the project's training plan; modules are laid out before `project_start`."""
    policies.require_role(principal, *policies.PROJECT_MANAGERS)
    project = policies.readable_project(session, principal, project_id)
    return plan_out(session, training.set_plan(session, project, body, principal.user_id))


@router.get("/projects/{project_id}/training-plan", response_model=PlanOut)
def get_plan(project_id: int, session: SessionDep, principal: PrincipalDep) -> PlanOut:
    policies.readable_project(session, principal, project_id)
    return plan_out(session, training.get_plan(session, project_id))


@router.get("/projects/{project_id}/training-plan/progress", response_model=list[LabelerProgressOut])
def get_progress(project_id: int, session: SessionDep, principal: PrincipalDep) -> list[training.LabelerProgress]:
    """Every trainee's module status; vendor-bound people see only their own vendor (labelers: themselves)."""
    project = policies.readable_project(session, principal, project_id)
    rows = training.progress(session, project, policies.vendor_filter(principal))
    if principal.role.value == "labeler":
        rows = [r for r in rows if r.labeler_id == principal.labeler_id]
    return rows


@router.put(
    "/projects/{project_id}/training-plan/progress/{labeler_id}/{module_key}", response_model=LabelerProgressOut
)
def set_module_status(
    project_id: int,
    labeler_id: int,
    module_key: str,
    body: ModuleStatusIn,
    session: SessionDep,
    principal: PrincipalDep,
) -> training.LabelerProgress:
    """Record a labeler's progress on a module (managers of their vendor; a labeler marks own reading done)."""
    project = policies.readable_project(session, principal, project_id)
    labeler = session.get(Labeler, labeler_id)
    if labeler is None or not policies.can_read_labeler(principal, labeler):
        raise NotFound(f"no labeler {labeler_id} for you")
    plan = training.get_plan(session, project.id)
    kinds = {m["key"]: m["kind"] for m in plan.modules}
    self_serve = principal.labeler_id == labeler.id and kinds.get(module_key) in SELF_SERVE
    if not (self_serve or policies.can_manage_labeler(principal, labeler.vendor_id)):
        raise Forbidden("you may record progress only for your own vendor's labelers")
    training.set_module_status(session, plan, labeler, module_key, body.status, principal.user_id)
    rows = training.progress(session, project, labeler.vendor_id)
    return next(r for r in rows if r.labeler_id == labeler.id)


@router.post("/projects/{project_id}/quiz", response_model=QuizOut, status_code=201)
def start_quiz(project_id: int, session: SessionDep, principal: PrincipalDep) -> training.QuizView:
    """Start (or resume) a certification quiz: random gold items of the project, without their answers."""
    labeler = _own_labeler(session, principal)
    project = policies.readable_project(session, principal, project_id)
    return training.start_quiz(session, project, labeler)


@router.post("/quiz-attempts/{attempt_id}/answers", response_model=QuizResultOut)
def answer_quiz(
    attempt_id: int, body: QuizAnswersIn, session: SessionDep, principal: PrincipalDep
) -> training.QuizResult:
    """Answer every question of an attempt at once; the score, pass/fail and any certification come back."""
    labeler = _own_labeler(session, principal)
    return training.answer_quiz(session, attempt_id, labeler, body.answers)
