"""HTTP routes of the quality area: accuracy, agreement, aggregation, expert review, QA review, calibration,
model evaluation and the project quality report. Thin: parse, call the service (which checks access), answer;
every route declares its answer's shape (quality.schemas), which the service's dict is checked against."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Response, UploadFile, status

from safetyops.auth.deps import PrincipalDep, SessionDep
from safetyops.delivery import service as delivery
from safetyops.quality import calibration, review, service
from safetyops.quality.enums import AccuracyGroup, IntervalMethod, Reference, VerdictChoice
from safetyops.quality.report import project_report
from safetyops.quality.schemas import (
    AccuracyOut,
    AggregateIn,
    AggregationOut,
    AgreementOut,
    BlindAnswerIn,
    CalibrationAnswerIn,
    CalibrationAnswerOut,
    CalibrationIn,
    CalibrationItemsOut,
    CalibrationKeyIn,
    CalibrationKeyOut,
    CalibrationNoteIn,
    CalibrationOut,
    CalibrationResultsOut,
    DecisionIn,
    DisputeDecisionIn,
    DisputeDecisionOut,
    DisputeIn,
    DisputeOut,
    DisputeRowOut,
    ExpertDecisionOut,
    FeedbackOut,
    FinalLabelsOut,
    ModelEvaluationOut,
    ModelRunOut,
    NoteAddedOut,
    QaPlanIn,
    QaPlanOut,
    QaScoresOut,
    QaTaskOut,
    QualityReportOut,
    RevealedTaskOut,
    ReviewItemOut,
    VerdictIn,
    VerdictOut,
)

router = APIRouter(tags=["quality"])

From = Annotated[date | None, Query(alias="from", description="first day (project's reporting time zone)")]
To = Annotated[date | None, Query(alias="to", description="last day, included")]
Interval = Annotated[IntervalMethod, Query()]
Json = dict[str, Any]


# --- report, accuracy, agreement ------------------------------------------------------------------------------


@router.get("/projects/{project_id}/quality", response_model=QualityReportOut)
def quality_report(
    project_id: int,
    session: SessionDep,
    principal: PrincipalDep,
    date_from: From = None,
    date_to: To = None,
    question: str | None = None,
    method: Interval = IntervalMethod.WILSON,
) -> Json:
    """Accuracy vs gold (overall, per labeler, per vendor), agreement (α, κ, AC1 with percent), QA, aggregation."""
    return project_report(
        session, principal, project_id, date_from=date_from, date_to=date_to, question=question, method=method
    )


@router.get("/projects/{project_id}/quality/accuracy", response_model=AccuracyOut)
def accuracy(
    project_id: int,
    session: SessionDep,
    principal: PrincipalDep,
    date_from: From = None,
    date_to: To = None,
    question: str | None = None,
    group_by: AccuracyGroup = AccuracyGroup.LABELER,
    method: Interval = IntervalMethod.WILSON,
    against: Reference = Reference.GOLD,
) -> Json:
    """Accuracy against gold, or against the newest aggregation's final labels, per group; per-class metrics."""
    return service.accuracy(
        session,
        principal,
        project_id,
        question=question,
        date_from=date_from,
        date_to=date_to,
        group_by=group_by,
        method=method,
        against=against,
    )


@router.get("/projects/{project_id}/quality/agreement", response_model=AgreementOut)
def agreement(
    project_id: int,
    session: SessionDep,
    principal: PrincipalDep,
    date_from: From = None,
    date_to: To = None,
    question: str | None = None,
) -> Json:
    return service.agreement(session, principal, project_id, question=question, date_from=date_from, date_to=date_to)


# --- aggregation and expert review ----------------------------------------------------------------------------


@router.post("/projects/{project_id}/aggregations", response_model=AggregationOut, status_code=status.HTTP_201_CREATED)
def aggregate(project_id: int, body: AggregateIn, session: SessionDep, principal: PrincipalDep) -> Json:
    return service.run_aggregation(
        session,
        principal,
        project_id,
        question=body.question,
        method=body.method,
        tie=body.tie,
        threshold=body.threshold,
        date_from=body.date_from,
        date_to=body.date_to,
        smoothing=body.smoothing,
    )


@router.get("/projects/{project_id}/final-labels", response_model=FinalLabelsOut)
def final_labels(
    project_id: int,
    session: SessionDep,
    principal: PrincipalDep,
    run_id: int | None = None,
    limit: Annotated[int, Query(ge=1, le=100_000)] = 1000,
) -> Json:
    return service.list_final_labels(session, principal, project_id, run_id, limit)


@router.get("/projects/{project_id}/review-queue", response_model=list[ReviewItemOut])
def review_queue(
    project_id: int, session: SessionDep, principal: PrincipalDep, include_resolved: bool = False
) -> list[Json]:
    return service.review_queue(session, principal, project_id, include_resolved=include_resolved)


@router.post(
    "/review-queue/{review_id}/decisions", response_model=ExpertDecisionOut, status_code=status.HTTP_201_CREATED
)
def resolve_review(review_id: int, body: DecisionIn, session: SessionDep, principal: PrincipalDep) -> Json:
    return service.resolve_review(session, principal, review_id, body.label, body.note)


# --- QA review ------------------------------------------------------------------------------------------------


@router.post("/projects/{project_id}/qa/plans", response_model=QaPlanOut, status_code=status.HTTP_201_CREATED)
def qa_plan(project_id: int, body: QaPlanIn, session: SessionDep, principal: PrincipalDep) -> Json:
    return review.create_plan(
        session,
        principal,
        project_id,
        body.day,
        mode=body.mode,
        rate=body.rate,
        expected_accuracy=body.expected_accuracy,
        margin=body.margin,
        confidence=body.confidence,
        seed=body.seed,
    )


@router.get(
    "/projects/{project_id}/qa/next",
    response_model=QaTaskOut,
    responses={204: {"description": "nothing to review in this project now"}},
)
def qa_next(project_id: int, session: SessionDep, principal: PrincipalDep) -> Any:
    """The next label to re-review, blind: the item and the questions only."""
    task = review.next_review(session, principal, project_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT) if task is None else task


@router.get("/qa/tasks/{task_id}", response_model=QaTaskOut)
def qa_task(task_id: int, session: SessionDep, principal: PrincipalDep) -> Json:
    return review.get_task(session, principal, task_id)


@router.post("/qa/tasks/{task_id}/answer", response_model=RevealedTaskOut, status_code=status.HTTP_201_CREATED)
def qa_answer(task_id: int, body: BlindAnswerIn, session: SessionDep, principal: PrincipalDep) -> Json:
    """Store the reviewer's own answer; the original label is revealed in the reply, with the verdict form."""
    return review.submit_answer(session, principal, task_id, body.answer)


@router.post("/qa/tasks/{task_id}/verdict", response_model=VerdictOut, status_code=status.HTTP_201_CREATED)
def qa_verdict(task_id: int, body: VerdictIn, session: SessionDep, principal: PrincipalDep) -> Json:
    return review.submit_verdict(
        session,
        principal,
        task_id,
        correct=body.verdict == VerdictChoice.CORRECT,
        error_type=body.error_type,
        feedback=body.feedback,
    )


@router.get("/me/feedback", response_model=list[FeedbackOut])
def my_feedback(session: SessionDep, principal: PrincipalDep) -> list[Json]:
    """The labeler's inbox: verdicts on their own labels that carry feedback or found an error."""
    return review.feedback_inbox(session, principal)


@router.post("/qa/verdicts/{verdict_id}/dispute", response_model=DisputeOut, status_code=status.HTTP_201_CREATED)
def dispute(verdict_id: int, body: DisputeIn, session: SessionDep, principal: PrincipalDep) -> Json:
    return review.open_dispute(session, principal, verdict_id, body.reason)


@router.get("/projects/{project_id}/qa/disputes", response_model=list[DisputeRowOut])
def disputes(project_id: int, session: SessionDep, principal: PrincipalDep) -> list[Json]:
    return review.list_disputes(session, principal, project_id)


@router.post(
    "/qa/disputes/{dispute_id}/decision", response_model=DisputeDecisionOut, status_code=status.HTTP_201_CREATED
)
def decide(dispute_id: int, body: DisputeDecisionIn, session: SessionDep, principal: PrincipalDep) -> Json:
    return review.decide_dispute(session, principal, dispute_id, body.outcome, body.note)


@router.get("/projects/{project_id}/qa/scores", response_model=QaScoresOut)
def qa_scores(
    project_id: int,
    session: SessionDep,
    principal: PrincipalDep,
    date_from: From = None,
    date_to: To = None,
    method: Interval = IntervalMethod.WILSON,
) -> Json:
    return review.qa_scores(session, principal, project_id, date_from=date_from, date_to=date_to, method=method)


# --- calibration ----------------------------------------------------------------------------------------------


@router.post("/projects/{project_id}/calibrations", response_model=CalibrationOut, status_code=status.HTTP_201_CREATED)
def create_calibration(project_id: int, body: CalibrationIn, session: SessionDep, principal: PrincipalDep) -> Json:
    return calibration.create_session(
        session,
        principal,
        project_id,
        question=body.question,
        title=body.title,
        item_ids=body.item_ids,
        disputed_from=body.disputed_from,
        disputed_to=body.disputed_to,
        count=body.count,
    )


@router.get("/calibrations/{session_id}/items", response_model=CalibrationItemsOut)
def calibration_items(session_id: int, session: SessionDep, principal: PrincipalDep) -> Json:
    return calibration.session_items(session, principal, session_id)


@router.post(
    "/calibrations/{session_id}/answers", response_model=CalibrationAnswerOut, status_code=status.HTTP_201_CREATED
)
def calibration_answer(
    session_id: int, body: CalibrationAnswerIn, session: SessionDep, principal: PrincipalDep
) -> Json:
    return calibration.submit_answer(session, principal, session_id, body.item_id, body.answer)


@router.post("/calibrations/{session_id}/keys", response_model=CalibrationKeyOut, status_code=status.HTTP_201_CREATED)
def calibration_key(session_id: int, body: CalibrationKeyIn, session: SessionDep, principal: PrincipalDep) -> Json:
    return calibration.key_item(session, principal, session_id, body.item_id, body.answer, body.rationale)


@router.get("/calibrations/{session_id}/results", response_model=CalibrationResultsOut)
def calibration_results(session_id: int, session: SessionDep, principal: PrincipalDep) -> Json:
    return calibration.results(session, principal, session_id)


@router.post("/calibrations/{session_id}/notes", response_model=NoteAddedOut, status_code=status.HTTP_201_CREATED)
def calibration_note(session_id: int, body: CalibrationNoteIn, session: SessionDep, principal: PrincipalDep) -> Json:
    return calibration.add_note(
        session,
        principal,
        session_id,
        kind=body.kind,
        text=body.text,
        item_id=body.item_id,
        example_kind=body.example_kind,
        example_version=body.example_version,
        example_rationale=body.example_rationale,
    )


# --- model evaluation -----------------------------------------------------------------------------------------


@router.post("/projects/{project_id}/models", response_model=ModelRunOut, status_code=status.HTTP_201_CREATED)
def import_model(
    project_id: int,
    session: SessionDep,
    principal: PrincipalDep,
    file: Annotated[UploadFile, File(description="CSV or JSONL: external_id, policy, score (0–1) or label")],
    name: Annotated[str, Form()] = "",
) -> Json:
    data = file.file.read()
    return delivery.import_predictions(session, principal, project_id, data, file.filename or "upload.csv", name)


@router.get("/models/{model_run_id}/evaluation", response_model=ModelEvaluationOut)
def evaluate_model(
    model_run_id: int,
    session: SessionDep,
    principal: PrincipalDep,
    question: str | None = None,
    threshold: Annotated[float, Query(ge=0.0, le=1.0)] = 0.5,
    target_precision: Annotated[float, Query(gt=0.0, le=1.0)] = 0.9,
    top: Annotated[int, Query(ge=0, le=1000)] = 20,
) -> Json:
    return delivery.evaluate_model(
        session,
        principal,
        model_run_id,
        question=question,
        threshold=threshold,
        target_precision=target_precision,
        top=top,
    )
