"""HTTP routes for projects: create, read, change, who works on them, their items and labels."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Query, UploadFile, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from pydantic import BaseModel
from sqlalchemy import select

from safetyops.auth import policies
from safetyops.auth.deps import EngineDep, PrincipalDep, SessionDep
from safetyops.auth.enums import Role
from safetyops.delivery.export import export_items
from safetyops.errors import InvalidInput
from safetyops.projects import service
from safetyops.projects.imports import import_gold, import_items
from safetyops.projects.models import Item, Project
from safetyops.projects.schemas import ProjectOut, ProjectSpec, ProjectUpdate
from safetyops.work.models import Label
from safetyops.workforce.models import Labeler

router = APIRouter(tags=["projects"])


class IdIn(BaseModel):
    id: int


@router.post("/projects", response_model=ProjectOut, status_code=status.HTTP_201_CREATED)
def create_project(body: ProjectSpec, session: SessionDep, principal: PrincipalDep) -> Project:
    policies.require_role(principal, *policies.PROJECT_MANAGERS)
    return service.create_project(session, body, principal.user_id)


@router.get("/projects", response_model=list[ProjectOut])
def list_projects(session: SessionDep, principal: PrincipalDep) -> list[Project]:
    query = select(Project).order_by(Project.id)
    visible = policies.project_ids_visible(session, principal)
    if visible is not None:
        query = query.where(Project.id.in_(visible))
    return list(session.scalars(query))


@router.get("/projects/{project_id}", response_model=ProjectOut)
def get_project(project_id: int, session: SessionDep, principal: PrincipalDep) -> Project:
    return policies.readable_project(session, principal, project_id)


@router.patch("/projects/{project_id}", response_model=ProjectOut)
def update_project(project_id: int, body: ProjectUpdate, session: SessionDep, principal: PrincipalDep) -> Project:
    policies.require_role(principal, *policies.PROJECT_MANAGERS)
    project = policies.readable_project(session, principal, project_id)
    return service.update_project(session, project, body, principal.user_id)


@router.post("/projects/{project_id}/vendors", status_code=status.HTTP_204_NO_CONTENT)
def add_vendor(project_id: int, body: IdIn, session: SessionDep, principal: PrincipalDep) -> None:
    policies.require_role(principal, *policies.PROJECT_MANAGERS)
    project = policies.readable_project(session, principal, project_id)
    service.add_vendor(session, project, body.id, principal.user_id)


@router.post("/projects/{project_id}/members", status_code=status.HTTP_204_NO_CONTENT)
def add_member(project_id: int, body: IdIn, session: SessionDep, principal: PrincipalDep) -> None:
    policies.require_role(principal, *policies.PROJECT_MANAGERS)
    project = policies.readable_project(session, principal, project_id)
    service.add_member(session, project, body.id, principal.user_id)


@router.get("/projects/{project_id}/items")
def list_items(
    project_id: int,
    session: SessionDep,
    principal: PrincipalDep,
    after_id: int = 0,
    limit: int = Query(default=100, ge=1, le=1000),
) -> list[dict[str, Any]]:
    """Items by id (keyset pages: pass the last id as after_id). Labelers read items only through tasks."""
    policies.require_role(principal, Role.OPS_MANAGER, Role.ADMIN, Role.QA_REVIEWER, Role.POLICY_EXPERT)
    policies.readable_project(session, principal, project_id)
    rows = session.scalars(
        select(Item).where(Item.project_id == project_id, Item.id > after_id).order_by(Item.id).limit(limit)
    )
    return [
        {
            "id": i.id,
            "external_id": i.external_id,
            "text": i.content_text,
            "media_url": i.media_url,
            "language": i.language,
            "market": i.market,
            "priority": i.priority,
            "is_gold": i.is_gold,
            "label_count": i.label_count,
            "open_slots": i.open_slots,
        }
        for i in rows
    ]


@router.get("/projects/{project_id}/labels")
def list_labels(
    project_id: int,
    session: SessionDep,
    principal: PrincipalDep,
    after_id: int = 0,
    limit: int = Query(default=100, ge=1, le=1000),
) -> list[dict[str, Any]]:
    """Labels by id; vendor-bound users see only their vendor's labelers (a labeler only their own)."""
    policies.readable_project(session, principal, project_id)
    query = select(Label).where(Label.project_id == project_id, Label.id > after_id)
    if principal.role is Role.LABELER:
        query = query.where(Label.labeler_id == principal.labeler_id)
    else:
        vendor = policies.vendor_filter(principal)
        if vendor is not None:
            query = query.join(Labeler, Labeler.id == Label.labeler_id).where(Labeler.vendor_id == vendor)
    rows = session.scalars(query.order_by(Label.id).limit(limit))
    return [
        {
            "id": lb.id,
            "item_id": lb.item_id,
            "labeler_id": lb.labeler_id,
            "answer": lb.answer,
            "time_spent_ms": lb.time_spent_ms,
            "guideline_version": lb.guideline_version,
            "supersedes_id": lb.supersedes_id,
            "created_at": lb.created_at.isoformat(),
        }
        for lb in rows
    ]


EXPORT_TYPES = {"jsonl": "application/x-ndjson", "csv": "text/csv", "parquet": "application/vnd.apache.parquet"}


def _spool(upload: UploadFile, folder: str) -> Path:
    """Copy an upload to a file named like the original (its extension tells the format)."""
    name = Path(upload.filename or "upload").name
    if not name or name in (".", ".."):
        raise InvalidInput("the uploaded file has no usable name")
    target = Path(folder) / name
    with target.open("wb") as out:
        shutil.copyfileobj(upload.file, out, length=1 << 20)
    return target


async def _import(engine: EngineDep, project_id: int, upload: UploadFile, actor_id: int, gold: bool) -> dict[str, Any]:
    importer = import_gold if gold else import_items
    with tempfile.TemporaryDirectory(prefix="safetyops-import-") as folder:
        path = await run_in_threadpool(_spool, upload, folder)
        result = await run_in_threadpool(importer, engine, project_id, path, actor_id=actor_id)
    body = asdict(result)
    body["file"] = upload.filename
    return body


@router.post("/projects/{project_id}/batches", status_code=status.HTTP_201_CREATED)
async def upload_batch(project_id: int, file: UploadFile, engine: EngineDep, principal: PrincipalDep) -> dict[str, Any]:
    """Import a JSONL, CSV or Parquet file of items as one batch: all or nothing, idempotent on external_id."""
    policies.require_role(principal, *policies.PROJECT_MANAGERS)
    return await _import(engine, project_id, file, principal.user_id, gold=False)


@router.post("/projects/{project_id}/gold", status_code=status.HTTP_201_CREATED)
async def upload_gold(project_id: int, file: UploadFile, engine: EngineDep, principal: PrincipalDep) -> dict[str, Any]:
    """Import gold answers (external_id, answer, rationale; new items may carry their content)."""
    policies.require_role(principal, Role.OPS_MANAGER, Role.ADMIN, Role.QA_REVIEWER, Role.POLICY_EXPERT)
    return await _import(engine, project_id, file, principal.user_id, gold=True)


@router.get("/projects/{project_id}/export")
def export(
    project_id: int,
    session: SessionDep,
    engine: EngineDep,
    principal: PrincipalDep,
    format: str = Query(default="jsonl", pattern="^(jsonl|csv|parquet)$"),
) -> StreamingResponse:
    """Items with their labels and status, streamed as JSONL, CSV or Parquet."""
    policies.require_role(principal, Role.OPS_MANAGER, Role.ADMIN, Role.QA_REVIEWER, Role.POLICY_EXPERT, Role.REQUESTER)
    policies.readable_project(session, principal, project_id)
    chunks = export_items(engine, project_id, format)
    filename = f"project-{project_id}.{format}"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    return StreamingResponse(chunks, media_type=EXPORT_TYPES[format], headers=headers)
