"""Training plans, progress, quizzes on gold items, certification and the queue's eligibility, on both databases."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from safetyops.auth.principal import SYSTEM, Principal
from safetyops.auth.service import authenticate, clear_auth_cache
from safetyops.errors import Conflict, Forbidden, InvalidInput
from safetyops.guidelines import service as guidelines
from safetyops.projects.models import Project
from safetyops.work import service as work
from safetyops.workforce import training_service as training
from safetyops.workforce.enums import ModuleStatus
from safetyops.workforce.models import CertificationGrant, Labeler, QuizAttempt
from tests.workforce.training_world import MONDAY, TrainingWorld, training_world

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def plan(world: TrainingWorld, **kw: object) -> None:
    spec = training.PlanSpec.model_validate({"project_start": MONDAY.isoformat(), "quiz_size": 5, **kw})
    with Session(world.engine) as session, session.begin():
        training.set_plan(session, SYSTEM, world.project_id, spec)


def start(world: TrainingWorld, who: int = 0, now: datetime = T0, seed: int = 1) -> training.QuizView:
    with Session(world.engine) as session, session.begin():
        project = session.get_one(Project, world.project_id)
        labeler = session.get_one(Labeler, world.labeler_ids[who])
        return training.start_quiz(session, project, labeler, now=now, rng=random.Random(seed))


def items_of(world: TrainingWorld, attempt_id: int) -> list[int]:
    with Session(world.engine) as session:
        return list(session.get_one(QuizAttempt, attempt_id).item_ids)


def answer(
    world: TrainingWorld, view: training.QuizView, right: int, who: int = 0, now: datetime = T0
) -> training.QuizResult:
    ids = items_of(world, view.attempt_id)
    answers = world.right_answers(ids)[:right] + world.wrong_answers(ids)[right:]
    with Session(world.engine) as session, session.begin():
        labeler = session.get_one(Labeler, world.labeler_ids[who])
        return training.answer_quiz(session, view.attempt_id, labeler, answers, now=now)


def labeler(world: TrainingWorld, who: int = 0) -> Labeler:
    with Session(world.engine) as session:
        return session.get_one(Labeler, world.labeler_ids[who])


def test_plan_sets_requirement_and_progress_shows_due_dates(engine: Engine) -> None:
    world = training_world(engine)
    plan(world)
    with Session(engine) as session, session.begin():
        project = session.get_one(Project, world.project_id)
        assert project.required_certifications == [f"project:{project.id}:v1"]
        p = training.get_plan(session, project.id)
        lab = session.get_one(Labeler, world.labeler_ids[1])
        training.set_module_status(session, p, lab, "read", ModuleStatus.DONE, None)
    with Session(engine) as session:
        project = session.get_one(Project, world.project_id)
        rows = training.progress(session, project, None, today=MONDAY - timedelta(days=7))
        assert [r.labeler_id for r in rows] == world.labeler_ids
        first, second = rows
        # today is Mon 30 Nov: reading was due Fri 27 (late unless done), examples are due today (not late)
        assert [(m.key, m.status, m.late) for m in second.modules][:2] == [
            ("read", "done", False),
            ("examples", "not_started", False),
        ]
        assert first.modules[0].due.isoformat() == "2026-11-27" and first.modules[0].late  # read was due Fri 27
        assert second.modules[0].status == "done" and not second.modules[0].late
        assert not first.certified and first.attempts_used == 0
        # another vendor sees nobody
        assert training.progress(session, project, vendor_id=-1) == []


def test_quiz_pass_grants_certification_and_production(engine: Engine) -> None:
    world = training_world(engine)
    plan(world, pass_mark=0.8)
    view = start(world)
    assert len(view.questions) == 5 and view.attempt_no == 1
    assert all("abuse" not in str(q) for q in view.questions)  # no answers leak
    # starting again returns the same open attempt, not a new draw
    assert start(world, seed=99).attempt_id == view.attempt_id
    result = answer(world, view, right=4)  # 4/5 = 0.8 passes
    assert result.passed and result.score == pytest.approx(0.8) and result.correct == 4
    cert = f"project:{world.project_id}:v1"
    assert result.certification == cert and result.labeler_status == "production"
    lab = labeler(world)
    assert lab.certifications == [cert] and lab.status == "production"
    with pytest.raises(Conflict, match="already certified"):
        start(world)
    with pytest.raises(Conflict, match="already answered"):
        answer(world, view, right=5)


def test_fail_cooldown_retake_and_attempt_limit(engine: Engine) -> None:
    world = training_world(engine)
    plan(world, max_attempts=2, cooldown_hours=24, promote_on_pass=False)
    first = start(world)
    failed = answer(world, first, right=3)  # 0.6 < 0.8
    assert not failed.passed and failed.attempts_left == 1 and failed.retake_after == T0 + timedelta(hours=24)
    with pytest.raises(Conflict, match="cool-down"):
        start(world, now=T0 + timedelta(hours=23))
    second = start(world, now=T0 + timedelta(hours=24, minutes=1))
    assert second.attempt_id != first.attempt_id and second.attempt_no == 2
    out = answer(world, second, right=0, now=T0 + timedelta(hours=25))
    assert not out.passed and out.attempts_left == 0 and out.retake_after is None
    with pytest.raises(Forbidden, match="attempts"):
        start(world, now=T0 + timedelta(days=10))
    with Session(engine) as session:
        rows = training.progress(session, session.get_one(Project, world.project_id), None)
        quiz = next(m for m in rows[0].modules if m.key == "quiz")
        assert quiz.status == "failed" and rows[0].attempts_used == 2 and not rows[0].certified
    assert labeler(world).status == "training"


def test_answers_are_validated_against_the_taxonomy(engine: Engine) -> None:
    world = training_world(engine)
    plan(world)
    view = start(world)
    with Session(engine) as session, session.begin():
        lab = session.get_one(Labeler, world.labeler_ids[0])
        with pytest.raises(InvalidInput) as caught:
            training.answer_quiz(session, view.attempt_id, lab, [{"abuse": "9"}] + [{"abuse": "0"}] * 4)
        assert caught.value.problems[0].field == "answers.0.abuse"
        with pytest.raises(InvalidInput, match="one answer per question"):
            training.answer_quiz(session, view.attempt_id, lab, [{"abuse": "0"}])
    plan(world, quiz_size=50)
    with pytest.raises(Conflict, match="gold items"):
        start(world, who=1)


def test_certification_gates_the_queue_and_a_major_bump_expires_it(engine: Engine) -> None:
    world = training_world(engine, status="production")
    plan(world)
    pid = world.project_id

    def principal() -> Principal:
        clear_auth_cache()
        work.clear_caches()
        return authenticate(engine, world.queue.tokens[0])

    with pytest.raises(Forbidden, match="certifications"):
        work.next_task(engine, principal(), pid)
    assert answer(world, start(world), right=5).passed
    task = work.next_task(engine, principal(), pid)
    assert task is not None
    work.give_back(engine, principal(), task["assignment_id"], None, skip=False)

    # a minor version keeps the certification; a major version expires it
    with Session(engine) as session, session.begin():
        project = session.get_one(Project, pid)
        guidelines.create_version(session, SYSTEM, pid, "1.1", "# v1.1")
        assert guidelines.publish_version(session, SYSTEM, pid, "1.1").certifications_expired == 0
    assert work.next_task(engine, principal(), pid) is not None
    with Session(engine) as session, session.begin():
        project = session.get_one(Project, pid)
        guidelines.create_version(session, SYSTEM, pid, "2.0", "# v2")
        result = guidelines.publish_version(session, SYSTEM, pid, "2.0")
        assert result.major_bump and result.certifications_expired == 1
        assert project.required_certifications == [f"project:{pid}:v2"]
    with pytest.raises(Forbidden, match=f"project:{pid}:v2"):
        work.next_task(engine, principal(), pid)
    with Session(engine) as session:
        grant = session.scalar(select(CertificationGrant).where(CertificationGrant.labeler_id == world.labeler_ids[0]))
        assert grant is not None and grant.expired_at is not None and "major version 2" in grant.expiry_reason
        assert session.get_one(Labeler, world.labeler_ids[0]).certifications == []
    # re-certify on v2: attempts count afresh
    view = start(world, now=T0 + timedelta(days=1))
    assert view.attempt_no == 1 and view.guideline_version == "2.0"
    assert answer(world, view, right=5).certification == f"project:{pid}:v2"
    assert work.next_task(engine, principal(), pid) is not None
