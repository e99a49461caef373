"""HTTP routes of the labeler client: next task, submit, skip, release, correct."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cache, partial
from typing import Any

import orjson
from fastapi import APIRouter, Request, Response
from pydantic import ValidationError
from sqlalchemy import Engine

from safetyops.auth.deps import EngineDep, PrincipalDep, principal_from_header
from safetyops.config import get_settings
from safetyops.db.engine import is_sqlite
from safetyops.errors import TooLarge, invalid_request
from safetyops.work import service
from safetyops.work.schemas import CorrectIn, ReceiptOut, SkipIn, SubmitIn, TaskOut

router = APIRouter(tags=["queue"])

# next and submit are the labeler's hot pair. Their work is done by `answer_next` and `answer_submit`,
# which take the raw request parts and return (status, JSON body): `work.fastpath` serves them straight
# from ASGI in the running server, and the FastAPI routes below declare the contract for OpenAPI and
# serve the same functions when the app runs without the fast path (a test checks both agree). They
# take no FastAPI dependencies and parse their own body; what FastAPI would derive from the signature
# (bearer security, the request body) is declared for OpenAPI by hand.
_SUBMIT_BODY = {
    "requestBody": {"required": True, "content": {"application/json": {"schema": SubmitIn.model_json_schema()}}}
}


Answer = tuple[int, bytes]


async def answer_off_loop(engine: Engine, handler: Callable[..., Answer], *args: Any) -> Answer:
    """Run `answer_next` or `answer_submit` for an async caller. PostgreSQL: in a worker thread, so that the
    event loop serves other requests while this one waits for the database server. SQLite: right here,
    since its work is in-process CPU time that the writer lock serializes anyway."""
    if is_sqlite(engine):
        return handler(engine, *args)
    return await asyncio.get_running_loop().run_in_executor(_database_threads(), partial(handler, engine, *args))


@cache
def _database_threads() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=get_settings().queue_threads, thread_name_prefix="queue-db")


def answer_next(engine: Engine, authorization: str, project_id: int) -> tuple[int, bytes]:
    """Lease the next task: 200 with the task, or 204 when there is no work for this labeler now."""
    task = service.next_task(engine, principal_from_header(engine, authorization), project_id)
    return (204, b"") if task is None else (200, orjson.dumps(task))


def answer_submit(engine: Engine, authorization: str, assignment_id: int, body: bytes) -> tuple[int, bytes]:
    """Store a label: 201 with the receipt (the first receipt again on a retry with the same key)."""
    principal = principal_from_header(engine, authorization)
    submitted = _submit_body(body)
    receipt = service.submit(
        engine, principal, assignment_id, submitted.answer, submitted.idempotency_key, submitted.time_spent_ms
    )
    return 201, orjson.dumps(receipt)


def max_submit_bytes() -> int:
    """Largest submit body accepted: room for the longest allowed answer, escaped, and the other fields."""
    return 6 * get_settings().max_answer_chars + 64 * 1024


def _submit_body(body: bytes) -> SubmitIn:
    if len(body) > max_submit_bytes():
        raise TooLarge(f"the submit body is over {max_submit_bytes()} bytes")
    try:
        return SubmitIn.model_validate_json(body)
    except ValidationError as exc:
        raise invalid_request(exc.errors()) from None


def _response(answer: tuple[int, bytes]) -> Response:
    code, body = answer
    return Response(body, status_code=code, media_type="application/json" if body else None)


@router.post(
    "/projects/{project_id}/next",
    response_model=TaskOut,
    responses={204: {"description": "no work for this labeler now"}},
)
async def next_task(project_id: int, request: Request) -> Response:
    authorization = request.headers.get("authorization", "")
    return _response(await answer_off_loop(request.app.state.engine, answer_next, authorization, project_id))


@router.post(
    "/assignments/{assignment_id}/submit", response_model=ReceiptOut, status_code=201, openapi_extra=_SUBMIT_BODY
)
async def submit(assignment_id: int, request: Request) -> Response:
    authorization = request.headers.get("authorization", "")
    body = await request.body()
    return _response(await answer_off_loop(request.app.state.engine, answer_submit, authorization, assignment_id, body))


@router.post("/assignments/{assignment_id}/skip", status_code=204)
def skip(assignment_id: int, body: SkipIn, engine: EngineDep, principal: PrincipalDep) -> None:
    service.give_back(engine, principal, assignment_id, body.reason, skip=True)


@router.post("/assignments/{assignment_id}/release", status_code=204)
def release(assignment_id: int, engine: EngineDep, principal: PrincipalDep) -> None:
    service.give_back(engine, principal, assignment_id, None, skip=False)


@router.post("/labels/{label_id}/correct", response_model=ReceiptOut, status_code=201)
def correct(label_id: int, body: CorrectIn, engine: EngineDep, principal: PrincipalDep) -> Response:
    receipt = service.correct_label(engine, principal, label_id, body.answer, body.idempotency_key)
    return _response((201, orjson.dumps(receipt)))
