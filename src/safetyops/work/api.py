"""HTTP routes of the labeler client: next task, submit, skip, release, correct."""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Request, Response, Security, status
from fastapi.security import HTTPBearer

from safetyops.auth.deps import EngineDep, PrincipalDep, principal_of
from safetyops.work import service
from safetyops.work.schemas import CorrectIn, ReceiptOut, SkipIn, SubmitIn, TaskOut

router = APIRouter(tags=["queue"])
# Documents the bearer scheme in OpenAPI without a per-request dependency doing the work twice.
BearerDoc = Annotated[object, Security(HTTPBearer(auto_error=False))]

# The two hot routes are `async def` and call the (short, indexed) database work inline: a thread-pool
# hop per request costs more CPU than the queue transaction itself. Each worker process handles one
# queue transaction at a time; run more workers (PostgreSQL) for parallelism.


def _json(body: object, code: int) -> Response:
    return Response(content=orjson.dumps(body), status_code=code, media_type="application/json")


@router.post(
    "/projects/{project_id}/next",
    response_model=TaskOut,
    responses={204: {"description": "no work for this labeler now"}},
)
async def next_task(project_id: int, request: Request, _: BearerDoc) -> Response:
    task = service.next_task(request.app.state.engine, principal_of(request), project_id)
    if task is None:
        return Response(status_code=status.HTTP_204_NO_CONTENT)
    return _json(task, status.HTTP_200_OK)


@router.post("/assignments/{assignment_id}/submit", response_model=ReceiptOut, status_code=201)
async def submit(assignment_id: int, body: SubmitIn, request: Request, _: BearerDoc) -> Response:
    receipt = service.submit(
        request.app.state.engine,
        principal_of(request),
        assignment_id,
        body.answer,
        body.idempotency_key,
        body.time_spent_ms,
    )
    return _json(receipt, status.HTTP_201_CREATED)


@router.post("/assignments/{assignment_id}/skip", status_code=204)
def skip(assignment_id: int, body: SkipIn, engine: EngineDep, principal: PrincipalDep) -> None:
    service.give_back(engine, principal, assignment_id, body.reason, skip=True)


@router.post("/assignments/{assignment_id}/release", status_code=204)
def release(assignment_id: int, engine: EngineDep, principal: PrincipalDep) -> None:
    service.give_back(engine, principal, assignment_id, None, skip=False)


@router.post("/labels/{label_id}/correct", response_model=ReceiptOut, status_code=201)
def correct(label_id: int, body: CorrectIn, engine: EngineDep, principal: PrincipalDep) -> Response:
    receipt = service.correct_label(engine, principal, label_id, body.answer, body.idempotency_key)
    return _json(receipt, status.HTTP_201_CREATED)
