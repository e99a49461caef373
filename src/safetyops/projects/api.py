"""HTTP routes for projects: create, read, change, who works on them, their items and labels.
Thin: the services check access (auth.policies) and do the work; a route passes the caller and shapes the answer."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import asdict
from pathlib import Path

from fastapi import APIRouter, Query, UploadFile, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from safetyops.auth.deps import EngineDep, PrincipalDep, SessionDep, file_download
from safetyops.auth.principal import Principal
from safetyops.delivery.export import CONTENT_TYPES
from safetyops.errors import InvalidInput
from safetyops.projects import service
from safetyops.projects.enums import DataFormat
from safetyops.projects.models import Item, Project
from safetyops.projects.schemas import IdIn, ImportOut, ItemOut, LabelOut, ProjectOut, ProjectSpec, ProjectUpdate
from safetyops.work.models import Label

router = APIRouter(tags=["projects"])


@router.post("/projects", response_model=ProjectOut, status_code=status.HTTP_201_CREATED)
def create_project(body: ProjectSpec, session: SessionDep, principal: PrincipalDep) -> ProjectOut:
    project = service.create_project(session, principal, body)
    return ProjectOut.model_validate(project).model_copy(update={"notes": body.code_notes})


@router.get("/projects", response_model=list[ProjectOut])
def list_projects(session: SessionDep, principal: PrincipalDep) -> list[Project]:
    return service.list_projects(session, principal)


@router.get("/projects/{project_id}", response_model=ProjectOut)
def get_project(project_id: int, session: SessionDep, principal: PrincipalDep) -> Project:
    return service.read_project(session, principal, project_id)


@router.patch("/projects/{project_id}", response_model=ProjectOut)
def update_project(project_id: int, body: ProjectUpdate, session: SessionDep, principal: PrincipalDep) -> Project:
    return service.update_project(session, principal, project_id, body)


@router.post("/projects/{project_id}/vendors", status_code=status.HTTP_204_NO_CONTENT)
def add_vendor(project_id: int, body: IdIn, session: SessionDep, principal: PrincipalDep) -> None:
    service.add_vendor(session, principal, project_id, body.id)


@router.post("/projects/{project_id}/members", status_code=status.HTTP_204_NO_CONTENT)
def add_member(project_id: int, body: IdIn, session: SessionDep, principal: PrincipalDep) -> None:
    service.add_member(session, principal, project_id, body.id)


@router.get("/projects/{project_id}/items", response_model=list[ItemOut])
def list_items(
    project_id: int,
    session: SessionDep,
    principal: PrincipalDep,
    after_id: int = 0,
    limit: int = Query(default=100, ge=1, le=1000),
) -> list[Item]:
    """Items by id (keyset pages: pass the last id as after_id). Labelers read items only through tasks."""
    return service.list_items(session, principal, project_id, after_id, limit)


@router.get("/projects/{project_id}/labels", response_model=list[LabelOut])
def list_labels(
    project_id: int,
    session: SessionDep,
    principal: PrincipalDep,
    after_id: int = 0,
    limit: int = Query(default=100, ge=1, le=1000),
) -> list[Label]:
    """Labels by id; vendor-bound users see only their vendor's labelers (a labeler only their own)."""
    return service.list_labels(session, principal, project_id, after_id, limit)


def _spool(upload: UploadFile, folder: str) -> Path:
    """Copy an upload to a file named like the original (its extension tells the format)."""
    name = Path(upload.filename or "upload").name
    if not name or name in (".", ".."):
        raise InvalidInput("the uploaded file has no usable name")
    target = Path(folder) / name
    with target.open("wb") as out:
        shutil.copyfileobj(upload.file, out, length=1 << 20)
    return target


async def _import(
    engine: EngineDep, principal: Principal, project_id: int, upload: UploadFile, gold: bool
) -> ImportOut:
    with tempfile.TemporaryDirectory(prefix="safetyops-import-") as folder:
        path = await run_in_threadpool(_spool, upload, folder)
        result = await run_in_threadpool(service.import_file, engine, principal, project_id, path, gold=gold)
    return ImportOut(**{**asdict(result), "file": upload.filename})


@router.post("/projects/{project_id}/batches", response_model=ImportOut, status_code=status.HTTP_201_CREATED)
async def upload_batch(project_id: int, file: UploadFile, engine: EngineDep, principal: PrincipalDep) -> ImportOut:
    """Import a JSONL, CSV or Parquet file of items as one batch: all or nothing, idempotent on external_id."""
    return await _import(engine, principal, project_id, file, gold=False)


@router.post("/projects/{project_id}/gold", response_model=ImportOut, status_code=status.HTTP_201_CREATED)
async def upload_gold(project_id: int, file: UploadFile, engine: EngineDep, principal: PrincipalDep) -> ImportOut:
    """Import gold answers (external_id, answer, rationale; new items may carry their content)."""
    return await _import(engine, principal, project_id, file, gold=True)


@router.get(
    "/projects/{project_id}/export",
    response_class=StreamingResponse,
    responses=file_download("the items with their labels", *CONTENT_TYPES.values()),
)
def export(
    project_id: int,
    engine: EngineDep,
    principal: PrincipalDep,
    format: DataFormat = Query(default=DataFormat.JSONL),
) -> StreamingResponse:
    """Items with their labels and status, streamed as JSONL, CSV or Parquet."""
    chunks = service.export_file(engine, principal, project_id, format)
    filename = f"project-{project_id}.{format.value}"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    return StreamingResponse(chunks, media_type=CONTENT_TYPES[format], headers=headers)
