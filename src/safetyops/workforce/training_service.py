"""Training and certification use cases: plans on a timeline, per-labeler progress, quizzes on gold items.

Passing a project's quiz grants the certification `project:<id>:v<major>` (the guideline's major version)
and the plan adds that name to the project's required certifications, so the queue's existing eligibility
check (work.service.rules_for_worker and _check_ready) serves production tasks only to certified labelers. When the
guideline moves to a new major version, `expire_for_major_bump` removes the old certification from every
labeler (flagging the grant as expired) and swaps the project's requirement to the new major.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from safetyops.auth.audit import record
from safetyops.auth.enums import Role
from safetyops.auth.policies import LabelerPolicy, TrainingPolicy, deny, hidden, readable_project
from safetyops.auth.principal import Principal
from safetyops.errors import Conflict, Forbidden, InvalidInput, NotFound, Problem
from safetyops.guidelines.enums import QuestionType
from safetyops.guidelines.taxonomy import Taxonomy, validate_answer
from safetyops.projects.models import GoldAnswer, Item, Project, ProjectMember, ProjectVendor
from safetyops.workforce import timeline
from safetyops.workforce.enums import LabelerStatus, ModuleKind, ModuleStatus
from safetyops.workforce.models import CertificationGrant, Labeler, ModuleProgress, QuizAttempt, TrainingPlan

CERT_PREFIX = "project:"


# --- plan spec (what a person sends) -------------------------------------------------------------------------------


class ModuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    kind: ModuleKind
    days: int = Field(default=1, ge=1, le=60)
    title: str = Field(default="", max_length=200)


def default_modules() -> list[ModuleIn]:
    return [
        ModuleIn(key="read", kind=ModuleKind.READ_GUIDELINE, days=1, title="Read the guideline"),
        ModuleIn(key="examples", kind=ModuleKind.STUDY_EXAMPLES, days=1, title="Study the examples"),
        ModuleIn(key="quiz", kind=ModuleKind.QUIZ, days=1, title="Certification quiz"),
        ModuleIn(key="shadowing", kind=ModuleKind.SHADOWING, days=2, title="Shadow a production labeler"),
        ModuleIn(key="calibration", kind=ModuleKind.CALIBRATION, days=1, title="Calibration session"),
    ]


class PlanSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    project_start: date
    modules: list[ModuleIn] = Field(default_factory=default_modules, min_length=1, max_length=50)
    quiz_size: int = Field(default=10, ge=1, le=500)
    pass_mark: float = Field(default=0.8, ge=0, le=1)
    max_attempts: int = Field(default=3, ge=1, le=100)
    cooldown_hours: float = Field(default=24.0, ge=0, le=24 * 90)
    graded_questions: list[str] = Field(default_factory=list, description="empty: every required choice question")
    promote_on_pass: bool = True
    require_for_queue: bool = Field(default=True, description="add the certification to the project's requirements")

    @model_validator(mode="after")
    def _modules_ok(self) -> PlanSpec:
        keys = [m.key for m in self.modules]
        if len(set(keys)) != len(keys):
            raise ValueError("module keys must be unique")
        if sum(1 for m in self.modules if m.kind is ModuleKind.QUIZ) != 1:
            raise ValueError("a plan has exactly one quiz module (it grants the certification)")
        return self


# --- helpers ------------------------------------------------------------------------------------------------------


def guideline_major(version: str) -> int:
    head = version.strip().split(".", 1)[0]
    if not head.isdigit():
        raise InvalidInput(f"guideline version '{version}' does not start with a major number")
    return int(head)


def certification_name(project_id: int, major: int) -> str:
    return f"{CERT_PREFIX}{project_id}:v{major}"


def project_certification(project: Project) -> str:
    return certification_name(project.id, guideline_major(project.guideline_version))


def _now(now: datetime | None) -> datetime:
    return now if now is not None else datetime.now(UTC)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _graded(plan: TrainingPlan, taxonomy: Taxonomy) -> list[str]:
    if plan.graded_questions:
        return list(plan.graded_questions)
    return [q.key for q in taxonomy.questions if q.required and q.type is not QuestionType.FREE_TEXT]


def module_specs(plan: TrainingPlan) -> list[timeline.ModuleSpec]:
    return [timeline.ModuleSpec(m["key"], m["kind"], int(m["days"]), m.get("title", "")) for m in plan.modules]


def plan_timeline(plan: TrainingPlan) -> list[timeline.Slot]:
    return timeline.lay_out(module_specs(plan), plan.project_start)


def _quiz_key(plan: TrainingPlan) -> str:
    return next(m["key"] for m in plan.modules if m["kind"] == ModuleKind.QUIZ.value)


# --- plans --------------------------------------------------------------------------------------------------------


def set_plan(session: Session, principal: Principal, project_id: int, spec: PlanSpec) -> TrainingPlan:
    """Create or replace the project's training plan (progress on modules that remain is kept)."""
    TrainingPolicy.can_set_plan.require(principal)
    project = readable_project(session, principal, project_id)
    taxonomy = Taxonomy.model_validate(project.taxonomy)
    problems = []
    for i, key in enumerate(spec.graded_questions):
        q = taxonomy.question(key)
        if q is None:
            problems.append(Problem(f"'{key}' is not a question of the project", field=f"graded_questions.{i}"))
        elif q.type is QuestionType.FREE_TEXT:
            problems.append(Problem(f"'{key}' is free text and cannot be graded", field=f"graded_questions.{i}"))
    if problems:
        raise InvalidInput("the training plan is invalid", problems)
    values = spec.model_dump(mode="json", exclude={"require_for_queue", "project_start"})
    plan = session.scalar(select(TrainingPlan).where(TrainingPlan.project_id == project.id))
    if plan is None:
        plan = TrainingPlan(project_id=project.id, created_by=principal.user_id)
        session.add(plan)
    for key, value in values.items():
        setattr(plan, key, value)
    plan.project_start = spec.project_start
    plan.updated_at = datetime.now(UTC)
    session.flush()
    cert = project_certification(project)
    if spec.require_for_queue and cert not in (project.required_certifications or []):
        project.required_certifications = [*(project.required_certifications or []), cert]
    record(
        session,
        principal,
        "training_plan.set",
        "project",
        project.id,
        {"plan_id": plan.id, "modules": [m.key for m in spec.modules], "certification": cert},
    )
    return plan


def read_plan(session: Session, principal: Principal, project_id: int) -> tuple[Project, TrainingPlan]:
    """A project's training plan, for anyone who may read the project."""
    project = readable_project(session, principal, project_id)
    return project, get_plan(session, project.id)


def get_plan(session: Session, project_id: int) -> TrainingPlan:
    """Building block: the project's plan (404 when it has none)."""
    plan = session.scalar(select(TrainingPlan).where(TrainingPlan.project_id == project_id))
    if plan is None:
        raise NotFound(f"project {project_id} has no training plan")
    return plan


# --- progress -----------------------------------------------------------------------------------------------------


@dataclass
class ModuleState:
    key: str
    kind: str
    status: str
    due: date
    late: bool


@dataclass
class LabelerProgress:
    labeler_id: int
    username: str
    vendor_id: int
    labeler_status: str
    certified: bool
    attempts_used: int
    modules: list[ModuleState] = field(default_factory=list)


def trainees(session: Session, project_id: int, vendor_id: int | None) -> list[Labeler]:
    """Labelers who train for a project: those of its vendors and named members (not offboarded)."""
    vendors = select(ProjectVendor.vendor_id).where(ProjectVendor.project_id == project_id)
    members = select(ProjectMember.user_id).where(ProjectMember.project_id == project_id)
    query = (
        select(Labeler)
        .where(
            or_(Labeler.vendor_id.in_(vendors), Labeler.user_id.in_(members)),
            Labeler.status != LabelerStatus.OFFBOARDED.value,
        )
        .order_by(Labeler.id)
    )
    if vendor_id is not None:
        query = query.where(Labeler.vendor_id == vendor_id)
    return list(session.scalars(query))


def progress(
    session: Session, project: Project, vendor_id: int | None, today: date | None = None
) -> list[LabelerProgress]:
    """Each trainee's status on every module, with due dates and lateness (restricted to one vendor if given)."""
    plan = get_plan(session, project.id)
    slots = plan_timeline(plan)
    today = today or datetime.now(UTC).date()
    people = trainees(session, project.id, vendor_id)
    ids = [p.id for p in people]
    statuses: dict[tuple[int, str], str] = {}
    attempts: dict[int, int] = {}
    major = guideline_major(project.guideline_version)
    if ids:
        rows = session.execute(
            select(ModuleProgress.labeler_id, ModuleProgress.module_key, ModuleProgress.status).where(
                ModuleProgress.plan_id == plan.id, ModuleProgress.labeler_id.in_(ids)
            )
        )
        statuses = {(r.labeler_id, r.module_key): r.status for r in rows}
        attempts = dict(
            session.execute(
                select(QuizAttempt.labeler_id, func.count())
                .where(
                    QuizAttempt.plan_id == plan.id,
                    QuizAttempt.labeler_id.in_(ids),
                    QuizAttempt.guideline_major == major,
                    QuizAttempt.finished_at.is_not(None),
                )
                .group_by(QuizAttempt.labeler_id)
            ).all()
        )
    cert = project_certification(project)
    out = []
    for lab in people:
        states = []
        for slot in slots:
            status = statuses.get((lab.id, slot.key), ModuleStatus.NOT_STARTED.value)
            late = timeline.is_late(slot, status == ModuleStatus.DONE.value, today)
            states.append(ModuleState(slot.key, slot.kind, status, slot.end, late))
        out.append(
            LabelerProgress(
                labeler_id=lab.id,
                username=lab.external_id,
                vendor_id=lab.vendor_id,
                labeler_status=lab.status,
                certified=cert in (lab.certifications or []),
                attempts_used=attempts.get(lab.id, 0),
                modules=states,
            )
        )
    return out


def read_progress(session: Session, principal: Principal, project_id: int) -> list[LabelerProgress]:
    """Every trainee's module status; vendor-bound people see only their own vendor (a labeler: themself)."""
    project = readable_project(session, principal, project_id)
    rows = progress(session, project, LabelerPolicy.vendor_filter(principal))
    if principal.role is Role.LABELER:
        rows = [r for r in rows if r.labeler_id == principal.labeler_id]
    return rows


SELF_SERVE = {ModuleKind.READ_GUIDELINE.value, ModuleKind.STUDY_EXAMPLES.value}


def record_progress(
    session: Session, principal: Principal, project_id: int, labeler_id: int, module_key: str, status: ModuleStatus
) -> LabelerProgress:
    """Record a labeler's progress on a module (managers of their vendor; a labeler marks own reading done)."""
    project = readable_project(session, principal, project_id)
    labeler = session.get(Labeler, labeler_id)
    if labeler is None or not LabelerPolicy.can_read(principal, labeler):
        raise hidden("labeler", labeler_id)
    plan = get_plan(session, project.id)
    kinds = {m["key"]: m["kind"] for m in plan.modules}
    if not TrainingPolicy.can_record_progress(principal, labeler, kinds.get(module_key) in SELF_SERVE):
        raise deny("you may record progress only for your own vendor's labelers")
    set_module_status(session, plan, labeler, module_key, status, principal)
    rows = progress(session, project, labeler.vendor_id)
    return next(r for r in rows if r.labeler_id == labeler.id)


def set_module_status(
    session: Session,
    plan: TrainingPlan,
    labeler: Labeler,
    module_key: str,
    status: ModuleStatus,
    actor: Principal | None,
) -> ModuleProgress:
    """Building block: a module's status; only the system (actor None or SYSTEM) sets the quiz module's."""
    kinds = {m["key"]: m["kind"] for m in plan.modules}
    if module_key not in kinds:
        raise NotFound(f"the training plan has no module '{module_key}'")
    if kinds[module_key] == ModuleKind.QUIZ.value and actor is not None and not actor.is_system:
        raise Conflict("the quiz module's status follows the labeler's quiz attempts")
    return _set_status(session, plan, labeler.id, module_key, status, actor)


def _set_status(
    session: Session, plan: TrainingPlan, labeler_id: int, key: str, status: ModuleStatus, actor: Principal | None
) -> ModuleProgress:
    row = session.get(ModuleProgress, (plan.id, labeler_id, key))
    if row is None:
        row = ModuleProgress(plan_id=plan.id, labeler_id=labeler_id, module_key=key)
        session.add(row)
    row.status = status.value
    row.updated_by = actor.user_id if actor is not None else None
    row.updated_at = datetime.now(UTC)
    session.flush()
    record(session, actor, "training.module", "labeler", labeler_id, {"plan_id": plan.id, key: status.value})
    return row


# --- quizzes ------------------------------------------------------------------------------------------------------


@dataclass
class QuizView:
    attempt_id: int
    attempt_no: int
    guideline_version: str
    questions: list[dict[str, Any]]


@dataclass
class QuizResult:
    attempt_id: int
    score: float
    correct: int
    total: int
    passed: bool
    pass_mark: float
    certification: str | None
    labeler_status: str
    attempts_left: int
    retake_after: datetime | None


def _finished_attempts(session: Session, plan: TrainingPlan, labeler_id: int, major: int) -> list[QuizAttempt]:
    return list(
        session.scalars(
            select(QuizAttempt)
            .where(
                QuizAttempt.plan_id == plan.id,
                QuizAttempt.labeler_id == labeler_id,
                QuizAttempt.guideline_major == major,
                QuizAttempt.finished_at.is_not(None),
            )
            .order_by(QuizAttempt.id)
        )
    )


def _may_train(session: Session, project: Project, labeler: Labeler) -> None:
    if labeler.status == LabelerStatus.OFFBOARDED.value:
        raise Forbidden("an offboarded labeler takes no quizzes")
    if labeler.id not in {lab.id for lab in trainees(session, project.id, labeler.vendor_id)}:
        raise hidden("project", project.id)


def _quiz_view(session: Session, attempt: QuizAttempt, attempt_no: int) -> QuizView:
    items = {i.id: i for i in session.scalars(select(Item).where(Item.id.in_(attempt.item_ids)))}
    questions = [
        {
            "position": pos,
            "text": items[iid].content_text,
            "media_url": items[iid].media_url,
            "media_type": items[iid].media_type,
            "language": items[iid].language,
            "market": items[iid].market,
            "context": items[iid].context,
        }
        for pos, iid in enumerate(attempt.item_ids)
    ]
    return QuizView(attempt.id, attempt_no, attempt.guideline_version, questions)


def own_labeler(session: Session, principal: Principal) -> Labeler:
    """The caller's labeler profile: quizzes and notices are a labeler's own."""
    labeler = session.get(Labeler, principal.labeler_id) if TrainingPolicy.can_take_quiz(principal) else None
    if labeler is None:
        raise deny("only labelers take quizzes; this user has no labeler profile")
    return labeler


def begin_quiz(session: Session, principal: Principal, project_id: int) -> QuizView:
    """Start (or resume) the caller's certification quiz on a project they may read."""
    labeler = own_labeler(session, principal)
    project = readable_project(session, principal, project_id)
    return start_quiz(session, project, labeler)


def submit_quiz(session: Session, principal: Principal, attempt_id: int, answers: list[Any]) -> QuizResult:
    """Answer every question of the caller's own attempt at once."""
    return answer_quiz(session, attempt_id, own_labeler(session, principal), answers)


def start_quiz(
    session: Session,
    project: Project,
    labeler: Labeler,
    *,
    now: datetime | None = None,
    rng: random.Random | None = None,
) -> QuizView:
    """Draw `quiz_size` random gold items for a labeler (or return their open attempt unchanged)."""
    now = _now(now)
    plan = get_plan(session, project.id)
    _may_train(session, project, labeler)
    major = guideline_major(project.guideline_version)
    cert = certification_name(project.id, major)
    done = _finished_attempts(session, plan, labeler.id, major)
    open_attempt = session.scalar(
        select(QuizAttempt).where(
            QuizAttempt.plan_id == plan.id,
            QuizAttempt.labeler_id == labeler.id,
            QuizAttempt.guideline_major == major,
            QuizAttempt.finished_at.is_(None),
        )
    )
    if open_attempt is not None:
        return _quiz_view(session, open_attempt, len(done) + 1)
    if cert in (labeler.certifications or []) or any(a.passed for a in done):
        raise Conflict(f"already certified ({cert}); no retake needed")
    if len(done) >= plan.max_attempts:
        raise Forbidden(f"all {plan.max_attempts} quiz attempts for guideline v{major} are used; ask your ops manager")
    if done and done[-1].finished_at is not None:
        ready = _aware(done[-1].finished_at) + timedelta(hours=plan.cooldown_hours)
        if now < ready:
            raise Conflict(f"retake allowed after {ready.isoformat(timespec='minutes')} (cool-down)")
    gold_ids = list(
        session.scalars(
            select(GoldAnswer.item_id).where(GoldAnswer.project_id == project.id).order_by(GoldAnswer.item_id)
        )
    )
    if len(gold_ids) < plan.quiz_size:
        raise Conflict(
            f"the quiz needs {plan.quiz_size} gold items with answers; project {project.id} has {len(gold_ids)}"
        )
    picked = (rng or random.SystemRandom()).sample(gold_ids, plan.quiz_size)
    attempt = QuizAttempt(
        plan_id=plan.id,
        project_id=project.id,
        labeler_id=labeler.id,
        guideline_version=project.guideline_version,
        guideline_major=major,
        item_ids=picked,
        started_at=now,
    )
    session.add(attempt)
    session.flush()
    quiz_key = _quiz_key(plan)
    current = session.get(ModuleProgress, (plan.id, labeler.id, quiz_key))
    if current is None or current.status == ModuleStatus.NOT_STARTED.value:
        _set_status(session, plan, labeler.id, quiz_key, ModuleStatus.IN_PROGRESS, None)
    record(session, labeler.user_id, "quiz.start", "quiz_attempt", attempt.id, {"project_id": project.id})
    return _quiz_view(session, attempt, len(done) + 1)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, list) and isinstance(b, list):
        return sorted(map(str, a)) == sorted(map(str, b))
    return bool(a == b)


def answer_quiz(
    session: Session,
    attempt_id: int,
    labeler: Labeler,
    answers: list[Any],
    *,
    now: datetime | None = None,
) -> QuizResult:
    """Score an attempt once: the share of items whose graded questions all match the gold answer."""
    now = _now(now)
    attempt = session.get(QuizAttempt, attempt_id)
    if attempt is None or attempt.labeler_id != labeler.id:
        raise hidden("quiz attempt", attempt_id)
    if attempt.finished_at is not None:
        raise Conflict(f"quiz attempt {attempt_id} is already answered; start a new attempt to retake")
    project = session.get_one(Project, attempt.project_id)
    plan = session.get_one(TrainingPlan, attempt.plan_id)
    taxonomy = Taxonomy.model_validate(project.taxonomy)
    if len(answers) != len(attempt.item_ids):
        raise InvalidInput(
            f"send one answer per question: {len(attempt.item_ids)} expected, {len(answers)} given",
            [Problem("wrong number of answers", field="answers")],
        )
    problems = [
        Problem(p.message, field=f"answers.{pos}.{(p.field or 'answer').removeprefix('answer.')}")
        for pos, answer in enumerate(answers)
        for p in validate_answer(taxonomy, answer)
    ]
    if problems:
        raise InvalidInput("some answers do not fit the project's taxonomy", problems)
    gold = {
        g.item_id: g.answer for g in session.scalars(select(GoldAnswer).where(GoldAnswer.item_id.in_(attempt.item_ids)))
    }
    graded = _graded(plan, taxonomy)
    correct = sum(
        1
        for iid, answer in zip(attempt.item_ids, answers, strict=True)
        if iid in gold and all(_same(answer.get(k), gold[iid].get(k)) for k in graded)
    )
    total = len(attempt.item_ids)
    score = correct / total
    passed = score >= plan.pass_mark - 1e-12
    attempt.answers = answers
    attempt.score = score
    attempt.passed = passed
    attempt.finished_at = now
    session.flush()
    record(
        session,
        labeler.user_id,
        "quiz.answer",
        "quiz_attempt",
        attempt.id,
        {"score": score, "passed": passed, "project_id": project.id},
    )
    quiz_key = _quiz_key(plan)
    used = len(_finished_attempts(session, plan, labeler.id, attempt.guideline_major))
    cert: str | None = None
    retake_after: datetime | None = None
    if passed:
        cert = certification_name(project.id, attempt.guideline_major)
        grant(session, labeler, cert, project.id, attempt.guideline_major, attempt.id)
        _set_status(session, plan, labeler.id, quiz_key, ModuleStatus.DONE, None)
        if plan.promote_on_pass and labeler.status == LabelerStatus.TRAINING.value:
            labeler.status = LabelerStatus.PRODUCTION.value
            record(
                session,
                None,
                "labeler.promote",
                "labeler",
                labeler.id,
                {"to": labeler.status, "by": "quiz"},
            )
    else:
        exhausted = used >= plan.max_attempts
        _set_status(
            session, plan, labeler.id, quiz_key, ModuleStatus.FAILED if exhausted else ModuleStatus.IN_PROGRESS, None
        )
        if not exhausted:
            retake_after = now + timedelta(hours=plan.cooldown_hours)
    return QuizResult(
        attempt_id=attempt.id,
        score=score,
        correct=correct,
        total=total,
        passed=passed,
        pass_mark=plan.pass_mark,
        certification=cert,
        labeler_status=labeler.status,
        attempts_left=max(plan.max_attempts - used, 0) if not passed else 0,
        retake_after=retake_after,
    )


# --- certifications -----------------------------------------------------------------------------------------------


def grant(
    session: Session,
    labeler: Labeler,
    name: str,
    project_id: int | None,
    major: int | None,
    attempt_id: int | None = None,
) -> CertificationGrant:
    row = CertificationGrant(
        labeler_id=labeler.id, name=name, project_id=project_id, guideline_major=major, attempt_id=attempt_id
    )
    session.add(row)
    if name not in (labeler.certifications or []):
        labeler.certifications = [*(labeler.certifications or []), name]
    session.flush()
    record(session, None, "certification.grant", "labeler", labeler.id, {"certification": name})
    return row


def expire_for_major_bump(session: Session, project: Project, old_major: int, new_major: int, actor: Principal) -> int:
    """The guideline moved to a new major version: old certifications lapse; returns how many labelers lost one.

    Labeler.certifications loses `project:<id>:v<old>` (the queue then refuses production tasks), the grant
    rows get `expired_at`, and the project's requirement moves to `project:<id>:v<new>` if it named the old one.
    """
    if new_major <= old_major:
        return 0
    old = certification_name(project.id, old_major)
    new = certification_name(project.id, new_major)
    now = datetime.now(UTC)
    reason = f"guideline changed to major version {new_major}"
    for g in session.scalars(
        select(CertificationGrant).where(
            CertificationGrant.project_id == project.id,
            CertificationGrant.expired_at.is_(None),
            CertificationGrant.guideline_major < new_major,
        )
    ):
        g.expired_at = now
        g.expiry_reason = reason
    affected = 0
    holders = session.scalars(
        select(Labeler).where(
            Labeler.id.in_(select(CertificationGrant.labeler_id).where(CertificationGrant.project_id == project.id))
        )
    )
    prefix = f"{CERT_PREFIX}{project.id}:v"
    for lab in holders:
        kept = [c for c in lab.certifications or [] if not (c.startswith(prefix) and c != new)]
        if kept != list(lab.certifications or []):
            lab.certifications = kept
            affected += 1
    required = list(project.required_certifications or [])
    if any(c.startswith(prefix) for c in required):
        project.required_certifications = list(dict.fromkeys(new if c.startswith(prefix) else c for c in required))
    session.flush()
    record(
        session,
        actor,
        "certification.expire",
        "project",
        project.id,
        {"from": old, "to": new, "labelers": affected},
    )
    return affected
