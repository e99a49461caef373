"""QA review: sampling plans, blind re-review, verdicts, the labeler's feedback inbox, disputes and QA scores.

Blind order: a reviewer takes a task and sees only the item; the original label and its labeler are shown
only after the reviewer has stored their own answer, and a verdict is accepted only after that.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from safetyops.auth.audit import record
from safetyops.auth.policies import ProjectPolicy, QaPolicy, deny, hidden, readable_project
from safetyops.auth.principal import Principal
from safetyops.db.base import utcnow
from safetyops.errors import Conflict, InvalidInput, Problem
from safetyops.guidelines.taxonomy import Taxonomy, validate_answer
from safetyops.projects.models import GoldAnswer, Item, Project
from safetyops.quality.enums import DisputeOutcome, ErrorType, IntervalMethod, QaStage, SampleMode, VerdictChoice
from safetyops.quality.frame import period_bounds
from safetyops.quality.intervals import audit_sample_size
from safetyops.quality.loading import labeler_info
from safetyops.quality.models import QaBlindAnswer, QaDispute, QaDisputeDecision, QaPlan, QaTask, QaVerdict
from safetyops.quality.rates import grouped_rates, rate_row
from safetyops.quality.scope import Scope, actor_of, scope_of
from safetyops.work.models import Label
from safetyops.workforce.models import Labeler

# ------------------------------------------------------------------------------------------------ plan


def sample_sizes(
    populations: dict[int, int],
    *,
    mode: str,
    rate: float,
    accuracy: float,
    margin: float,
    confidence: float,
) -> dict[int, int]:
    """Labels to review per labeler: ⌈rate·N⌉, or the audit size for ±margin with finite-population correction."""
    out = {}
    for labeler, n in populations.items():
        if n == 0:
            out[labeler] = 0
        elif mode == SampleMode.RATE:
            out[labeler] = min(n, math.ceil(round(rate * n, 9)))
        else:
            out[labeler] = audit_sample_size(accuracy, margin, population=n, confidence=confidence)
    return out


def create_plan(
    session: Session,
    principal: Principal,
    project_id: int,
    day: date,
    *,
    mode: str = SampleMode.RATE,
    rate: float | None = None,
    expected_accuracy: float = 0.9,
    margin: float = 0.05,
    confidence: float = 0.95,
    seed: int | None = None,
) -> dict[str, Any]:
    """Sample each labeler's labels of one reporting day (gold items excluded) into QA tasks."""
    QaPolicy.can_plan.require(principal)
    project = readable_project(session, principal, project_id)
    if mode not in list(SampleMode):
        raise InvalidInput(f"mode must be {' or '.join(SampleMode)}", [Problem(mode, "mode")])
    use_rate = project.qa_rate if rate is None else rate
    if not 0.0 <= use_rate <= 1.0:
        raise InvalidInput("rate must be within [0, 1]", [Problem(str(use_rate), "rate")])
    try:
        if mode == SampleMode.MARGIN:
            audit_sample_size(expected_accuracy, margin, confidence=confidence)
    except ValueError as exc:
        raise InvalidInput(str(exc), [Problem(str(exc), "margin")]) from None
    start, end = period_bounds(project.reporting_tz, day, day)
    gold_items = select(GoldAnswer.item_id).where(GoldAnswer.project_id == project.id)
    reviewed = select(QaTask.label_id).where(QaTask.project_id == project.id)
    rows = session.execute(
        select(Label.id, Label.item_id, Label.labeler_id)
        .where(
            Label.project_id == project.id,
            Label.created_at >= start,
            Label.created_at < end,
            Label.is_gold.is_(False),
            Label.item_id.not_in(gold_items),
            Label.id.not_in(reviewed),
        )
        .order_by(Label.id)
    ).all()
    # the newest label per (item, labeler): a correction replaces the original in the sample frame
    latest: dict[tuple[int, int], tuple[int, int, int]] = {}
    for lid, iid, lab in rows:
        latest[(iid, lab)] = (lid, iid, lab)
    per_labeler: dict[int, list[tuple[int, int]]] = {}
    for lid, iid, lab in latest.values():
        per_labeler.setdefault(lab, []).append((lid, iid))
    sizes = sample_sizes(
        {lab: len(v) for lab, v in per_labeler.items()},
        mode=mode,
        rate=use_rate,
        accuracy=expected_accuracy,
        margin=margin,
        confidence=confidence,
    )
    params = {
        "rate": use_rate,
        "expected_accuracy": expected_accuracy,
        "margin": margin,
        "confidence": confidence,
        "seed": seed,
    }
    plan = QaPlan(project_id=project.id, day=day, mode=mode, params=params, created_by=actor_of(principal))
    session.add(plan)
    session.flush()
    rng = np.random.default_rng(seed)
    summary, tasks = [], []
    for lab in sorted(per_labeler):
        pool = sorted(per_labeler[lab])
        picks: list[int] = rng.choice(len(pool), size=sizes[lab], replace=False).tolist() if sizes[lab] else []
        for p in sorted(picks):
            lid, iid = pool[p]
            tasks.append(QaTask(plan_id=plan.id, project_id=project.id, label_id=lid, item_id=iid, labeler_id=lab))
        summary.append({"labeler_id": lab, "population": len(pool), "sample": sizes[lab]})
    session.add_all(tasks)
    plan.n_tasks = len(tasks)
    session.flush()
    record(session, actor_of(principal), "qa.plan.create", "qa_plan", plan.id, {"day": day.isoformat(), "mode": mode})
    return {"plan_id": plan.id, "project_id": project.id, "day": day, "mode": mode, **params, "labelers": summary}


# ------------------------------------------------------------------------------------------------ blind review


def _item_view(item: Item) -> dict[str, Any]:
    return {
        "id": item.id,
        "external_id": item.external_id,
        "content_text": item.content_text,
        "context": item.context,
        "media_url": item.media_url,
        "media_type": item.media_type,
        "language": item.language,
        "market": item.market,
    }


def _task_for_reviewer(session: Session, principal: Principal, task_id: int) -> tuple[QaTask, Project]:
    QaPolicy.can_review.require(principal)
    task = session.get(QaTask, task_id)
    if task is None or not ProjectPolicy.can_read(session, principal, task.project_id):
        raise hidden("QA task", task_id)
    if not QaPolicy.can_work_on_task(principal, task.reviewer_id):
        raise deny("another reviewer has taken this QA task")
    return task, session.get_one(Project, task.project_id)


def _blind_view(session: Session, task: QaTask, project: Project) -> dict[str, Any]:
    """What the reviewer sees before answering: the item and the questions, never the original label."""
    item = session.get_one(Item, task.item_id)
    return {
        "task_id": task.id,
        "project_id": task.project_id,
        "stage": QaStage.ANSWER.value,
        "item": _item_view(item),
        "taxonomy": project.taxonomy,
    }


def _revealed_view(session: Session, task: QaTask, blind: QaBlindAnswer) -> dict[str, Any]:
    """After the blind answer: the original label, whether the two agree, and the verdict form."""
    label = session.get_one(Label, task.label_id)
    verdict = session.scalar(select(QaVerdict).where(QaVerdict.task_id == task.id))
    agrees = {k: blind.answer.get(k) == v for k, v in label.answer.items()}
    return {
        "task_id": task.id,
        "project_id": task.project_id,
        "stage": (QaStage.VERDICT if verdict is None else QaStage.DONE).value,
        "item": _item_view(session.get_one(Item, task.item_id)),
        "your_answer": blind.answer,
        "original": {
            "label_id": label.id,
            "labeler_id": label.labeler_id,
            "answer": label.answer,
            "guideline_version": label.guideline_version,
            "created_at": label.created_at,
        },
        "agrees": agrees,
        "verdict_form": {"verdicts": [v.value for v in VerdictChoice], "error_types": [e.value for e in ErrorType]},
        "verdict": _verdict_dict(verdict) if verdict else None,
    }


def next_review(session: Session, principal: Principal, project_id: int) -> dict[str, Any] | None:
    """The reviewer's unfinished task (at the stage it is in), or the oldest untaken one, taken now and shown
    blind (the item only). None: nothing to review."""
    QaPolicy.can_review.require(principal)
    project = readable_project(session, principal, project_id)
    judged = select(QaVerdict.task_id).where(QaVerdict.project_id == project.id)
    mine = session.scalar(
        select(QaTask)
        .where(QaTask.project_id == project.id, QaTask.reviewer_id == principal.user_id, QaTask.id.not_in(judged))
        .order_by(QaTask.id)
        .limit(1)
    )
    if mine is not None:
        blind = session.get(QaBlindAnswer, mine.id)
        if blind is not None:
            return _revealed_view(session, mine, blind)
    if mine is None:
        stmt = select(QaTask).where(QaTask.project_id == project.id, QaTask.reviewer_id.is_(None))
        if principal.labeler_id is not None:  # nobody reviews their own label
            stmt = stmt.where(QaTask.labeler_id != principal.labeler_id)
        stmt = stmt.order_by(QaTask.id).limit(1)
        if session.get_bind().dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        mine = session.scalar(stmt)
        if mine is None:
            return None
        mine.reviewer_id = principal.user_id
        mine.claimed_at = utcnow()
        session.flush()
    return _blind_view(session, mine, project)


def get_task(session: Session, principal: Principal, task_id: int) -> dict[str, Any]:
    task, project = _task_for_reviewer(session, principal, task_id)
    blind = session.get(QaBlindAnswer, task.id)
    return _blind_view(session, task, project) if blind is None else _revealed_view(session, task, blind)


def submit_answer(session: Session, principal: Principal, task_id: int, answer: dict[str, Any]) -> dict[str, Any]:
    """Store the reviewer's blind answer, then reveal the original label with the verdict form."""
    task, project = _task_for_reviewer(session, principal, task_id)
    if session.get(QaBlindAnswer, task.id) is not None:
        raise Conflict("this QA task already has your answer; give the verdict next")
    problems = validate_answer(Taxonomy.model_validate(project.taxonomy), answer)
    if problems:
        raise InvalidInput("the answer does not fit the taxonomy", problems)
    if task.reviewer_id is None:
        task.reviewer_id, task.claimed_at = principal.user_id, utcnow()
    blind = QaBlindAnswer(task_id=task.id, reviewer_id=principal.user_id, answer=answer)
    session.add(blind)
    session.flush()
    return _revealed_view(session, task, blind)


def _verdict_dict(v: QaVerdict) -> dict[str, Any]:
    return {
        "verdict_id": v.id,
        "task_id": v.task_id,
        "labeler_id": v.labeler_id,
        "reviewer_id": v.reviewer_id,
        "correct": v.correct,
        "error_type": v.error_type,
        "feedback": v.feedback,
        "created_at": v.created_at,
    }


def submit_verdict(
    session: Session,
    principal: Principal,
    task_id: int,
    *,
    correct: bool,
    error_type: str | None = None,
    feedback: str = "",
) -> dict[str, Any]:
    """The verdict, accepted only after the reviewer's own blind answer; one verdict per task."""
    task, _ = _task_for_reviewer(session, principal, task_id)
    blind = session.get(QaBlindAnswer, task.id)
    if blind is None or blind.reviewer_id != principal.user_id:
        raise Conflict("blind review: answer the item yourself (POST …/answer) before giving a verdict")
    if correct and error_type is not None:
        raise InvalidInput("a correct label has no error type", [Problem("must be empty", "error_type")])
    if not correct:
        if error_type is None:
            raise InvalidInput("a wrong label needs an error type", [Problem("required", "error_type")])
        if error_type not in {e.value for e in ErrorType}:
            allowed = ", ".join(e.value for e in ErrorType)
            raise InvalidInput(f"error type must be one of {allowed}", [Problem(error_type, "error_type")])
    if session.scalar(select(QaVerdict.id).where(QaVerdict.task_id == task.id)) is not None:
        raise Conflict("this QA task already has a verdict (verdicts are never changed; the labeler may dispute)")
    verdict = QaVerdict(
        task_id=task.id,
        project_id=task.project_id,
        labeler_id=task.labeler_id,
        reviewer_id=principal.user_id,
        correct=correct,
        error_type=error_type,
        feedback=feedback,
    )
    session.add(verdict)
    session.flush()
    record(session, actor_of(principal), "qa.verdict", "qa_verdict", verdict.id, {"correct": correct})
    return _verdict_dict(verdict)


# ------------------------------------------------------------------------------------------------ feedback, disputes


def feedback_inbox(session: Session, principal: Principal) -> list[dict[str, Any]]:
    """The caller's own verdicts that carry feedback or find an error, newest first, with dispute status."""
    if not QaPolicy.can_read_feedback(principal):
        raise deny("the feedback inbox belongs to labelers; this user has no labeler profile")
    stmt = (
        select(QaVerdict, Label.answer, Item.external_id, Item.content_text, QaDispute, QaDisputeDecision)
        .join(QaTask, QaTask.id == QaVerdict.task_id)
        .join(Label, Label.id == QaTask.label_id)
        .join(Item, Item.id == QaTask.item_id)
        .outerjoin(QaDispute, QaDispute.verdict_id == QaVerdict.id)
        .outerjoin(QaDisputeDecision, QaDisputeDecision.dispute_id == QaDispute.id)
        .where(QaVerdict.labeler_id == principal.labeler_id)
        .where((QaVerdict.feedback != "") | QaVerdict.correct.is_(False))
        .order_by(QaVerdict.id.desc())
    )
    out = []
    for verdict, answer, external_id, content, dispute, decision in session.execute(stmt):
        row = _verdict_dict(verdict)
        row.pop("reviewer_id")
        row.update(
            {
                "item_external_id": external_id,
                "content_text": content,
                "your_answer": answer,
                "dispute": None
                if dispute is None
                else {
                    "dispute_id": dispute.id,
                    "reason": dispute.reason,
                    "outcome": decision.outcome if decision else None,
                    "note": decision.note if decision else None,
                },
            }
        )
        out.append(row)
    return out


def open_dispute(session: Session, principal: Principal, verdict_id: int, reason: str) -> dict[str, Any]:
    """A labeler disputes a verdict that found an error in their own label."""
    verdict = session.get(QaVerdict, verdict_id)
    if verdict is None or not QaPolicy.can_dispute(principal, verdict.labeler_id):
        raise hidden("verdict", verdict_id)
    if verdict.correct:
        raise Conflict("this verdict found your label correct; there is nothing to dispute")
    if not reason.strip():
        raise InvalidInput("say why you disagree", [Problem("empty", "reason")])
    if session.scalar(select(QaDispute.id).where(QaDispute.verdict_id == verdict.id)) is not None:
        raise Conflict("this verdict is already disputed")
    dispute = QaDispute(verdict_id=verdict.id, labeler_id=verdict.labeler_id, reason=reason)
    session.add(dispute)
    session.flush()
    record(session, actor_of(principal), "qa.dispute", "qa_dispute", dispute.id, {"verdict_id": verdict.id})
    return {"dispute_id": dispute.id, "verdict_id": verdict.id, "reason": reason}


def list_disputes(session: Session, principal: Principal, project_id: int) -> list[dict[str, Any]]:
    QaPolicy.can_read_disputes.require(principal)
    project = readable_project(session, principal, project_id)
    stmt = (
        select(QaDispute, QaVerdict, QaDisputeDecision)
        .join(QaVerdict, QaVerdict.id == QaDispute.verdict_id)
        .outerjoin(QaDisputeDecision, QaDisputeDecision.dispute_id == QaDispute.id)
        .where(QaVerdict.project_id == project.id)
        .order_by(QaDispute.id)
    )
    return [
        {
            "dispute_id": d.id,
            "reason": d.reason,
            "verdict": _verdict_dict(v),
            "outcome": dec.outcome if dec else None,
        }
        for d, v, dec in session.execute(stmt)
    ]


def decide_dispute(
    session: Session, principal: Principal, dispute_id: int, outcome: str, note: str = ""
) -> dict[str, Any]:
    """A second reviewer (never the one who gave the verdict) upholds or overturns it."""
    QaPolicy.can_decide_disputes.require(principal)
    dispute = session.get(QaDispute, dispute_id)
    verdict = session.get_one(QaVerdict, dispute.verdict_id) if dispute is not None else None
    if dispute is None or verdict is None or not ProjectPolicy.can_read(session, principal, verdict.project_id):
        raise hidden("dispute", dispute_id)
    if outcome not in {o.value for o in DisputeOutcome}:
        raise InvalidInput(f"outcome must be {' or '.join(DisputeOutcome)}", [Problem(outcome, "outcome")])
    if not QaPolicy.can_decide_dispute(principal, verdict.reviewer_id):
        raise deny("a dispute is decided by a second reviewer, not the one who gave the verdict")
    if session.scalar(select(QaDisputeDecision.id).where(QaDisputeDecision.dispute_id == dispute.id)) is not None:
        raise Conflict("this dispute is already decided")
    decision = QaDisputeDecision(dispute_id=dispute.id, decided_by=principal.user_id, outcome=outcome, note=note)
    session.add(decision)
    session.flush()
    record(session, actor_of(principal), "qa.dispute.decide", "qa_dispute", dispute.id, {"outcome": outcome})
    return {"dispute_id": dispute.id, "decision_id": decision.id, "outcome": outcome, "note": note}


# ------------------------------------------------------------------------------------------------ scores


def verdict_rows(
    session: Session, project: Project, scope: Scope, start: datetime | None, end: datetime | None
) -> list[tuple[int, bool, str | None, str | None]]:
    """(labeler id, correct, error type, dispute outcome) of the project's verdicts in [start, end)."""
    stmt = (
        select(QaVerdict.labeler_id, QaVerdict.correct, QaVerdict.error_type, QaDisputeDecision.outcome)
        .outerjoin(QaDispute, QaDispute.verdict_id == QaVerdict.id)
        .outerjoin(QaDisputeDecision, QaDisputeDecision.dispute_id == QaDispute.id)
        .where(QaVerdict.project_id == project.id)
    )
    if start is not None:
        stmt = stmt.where(QaVerdict.created_at >= start)
    if end is not None:
        stmt = stmt.where(QaVerdict.created_at < end)
    if scope.labeler_id is not None:
        stmt = stmt.where(QaVerdict.labeler_id == scope.labeler_id)
    if scope.vendor_id is not None:
        stmt = stmt.where(QaVerdict.labeler_id.in_(select(Labeler.id).where(Labeler.vendor_id == scope.vendor_id)))
    return [(int(a), bool(b), c, d) for a, b, c, d in session.execute(stmt)]


def score_verdicts(
    session: Session,
    rows: list[tuple[int, bool, str | None, str | None]],
    method: str = IntervalMethod.WILSON,
    overall_key: Any = None,
    overall_name: str = "",
) -> dict[str, Any]:
    """QA scores: technical errors excluded; an overturned verdict counts as correct."""
    counted = [(lab, ok or outcome == DisputeOutcome.OVERTURNED.value) for lab, ok, err, outcome in rows]
    counted = [c for c, (_, _, err, _) in zip(counted, rows, strict=True) if err != ErrorType.TECHNICAL.value]
    labs = np.array([c[0] for c in counted], np.int64)
    ok = np.array([c[1] for c in counted], bool)
    info = labeler_info(session, sorted(set(labs.tolist())))
    vendors = np.array([info[i].vendor_id for i in labs.tolist()], np.int64)
    errors: dict[str, int] = {}
    for _, good, err, outcome in rows:
        if not good and outcome != DisputeOutcome.OVERTURNED.value and err:
            errors[err] = errors.get(err, 0) + 1
    return {
        "overall": rate_row(overall_key, overall_name, int(ok.sum()), len(ok), method),
        "technical_excluded": sum(1 for r in rows if r[2] == ErrorType.TECHNICAL.value),
        "overturned": sum(1 for r in rows if r[3] == DisputeOutcome.OVERTURNED.value),
        "errors": errors,
        "per_labeler": grouped_rates(labs, ok, {i: v.name for i, v in info.items()}, method),
        "per_vendor": grouped_rates(vendors, ok, {v.vendor_id: v.vendor for v in info.values()}, method),
    }


def qa_scores(
    session: Session,
    principal: Principal,
    project_id: int,
    *,
    date_from: date | None = None,
    date_to: date | None = None,
    method: str = IntervalMethod.WILSON,
) -> dict[str, Any]:
    project = readable_project(session, principal, project_id)
    scope = scope_of(principal)
    start, end = period_bounds(project.reporting_tz, date_from, date_to)
    rows = verdict_rows(session, project, scope, start, end)
    return {
        "project_id": project.id,
        "period": {"from": date_from, "to": date_to, "tz": project.reporting_tz},
        "scope": {"vendor_id": scope.vendor_id, "labeler_id": scope.labeler_id},
        **score_verdicts(session, rows, method, project.id, project.name),
    }
