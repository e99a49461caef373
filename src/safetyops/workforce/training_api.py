"""HTTP routes for training plans, progress and certification quizzes (mounted by workforce/api.py).
Thin: the services check access (auth.policies); a route passes the caller and shapes the answer."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy.orm import Session

from safetyops.auth.deps import PrincipalDep, SessionDep
from safetyops.projects.models import Project
from safetyops.workforce import timeline
from safetyops.workforce import training_service as training
from safetyops.workforce.models import TrainingPlan
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


def plan_out(project: Project, plan: TrainingPlan) -> PlanOut:
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


def _project(session: Session, plan: TrainingPlan) -> Project:
    return session.get_one(Project, plan.project_id)


@router.put("/projects/{project_id}/training-plan", response_model=PlanOut)
def set_plan(project_id: int, body: training.PlanSpec, session: SessionDep, principal: PrincipalDep) -> PlanOut:
    """Create or replace the project's training plan; modules are laid out before `project_start`."""
    plan = training.set_plan(session, principal, project_id, body)
    return plan_out(_project(session, plan), plan)


@router.get("/projects/{project_id}/training-plan", response_model=PlanOut)
def get_plan(project_id: int, session: SessionDep, principal: PrincipalDep) -> PlanOut:
    return plan_out(*training.read_plan(session, principal, project_id))


@router.get("/projects/{project_id}/training-plan/progress", response_model=list[LabelerProgressOut])
def get_progress(project_id: int, session: SessionDep, principal: PrincipalDep) -> list[training.LabelerProgress]:
    """Every trainee's module status; vendor-bound people see only their own vendor (labelers: themselves)."""
    return training.read_progress(session, principal, project_id)


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
    return training.record_progress(session, principal, project_id, labeler_id, module_key, body.status)


@router.post("/projects/{project_id}/quiz", response_model=QuizOut, status_code=201)
def start_quiz(project_id: int, session: SessionDep, principal: PrincipalDep) -> training.QuizView:
    """Start (or resume) a certification quiz: random gold items of the project, without their answers."""
    return training.begin_quiz(session, principal, project_id)


@router.post("/quiz-attempts/{attempt_id}/answers", response_model=QuizResultOut)
def answer_quiz(
    attempt_id: int, body: QuizAnswersIn, session: SessionDep, principal: PrincipalDep
) -> training.QuizResult:
    """Answer every question of an attempt at once; the score, pass/fail and any certification come back."""
    return training.submit_quiz(session, principal, attempt_id, body.answers)
