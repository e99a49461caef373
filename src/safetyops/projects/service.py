"""Project use cases: create from a spec, find, list, update, who works on a project, its items, labels,
imports and exports. Each use case checks access first (auth.policies)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from safetyops.auth.audit import record
from safetyops.auth.enums import Role
from safetyops.auth.models import User
from safetyops.auth.policies import LabelerPolicy, ProjectPolicy, hidden, readable_project
from safetyops.auth.principal import Principal
from safetyops.delivery.export import export_items
from safetyops.errors import Conflict, InvalidInput, NotFound, Problem
from safetyops.projects.imports import ImportResult, import_gold, import_items
from safetyops.projects.models import Item, Project, ProjectMember, ProjectVendor
from safetyops.projects.schemas import ProjectSpec, ProjectUpdate
from safetyops.work.models import Label
from safetyops.workforce.models import Labeler, Vendor


def problems_from_validation(exc: ValidationError, file: str | None = None) -> list[Problem]:
    return [Problem(err["msg"], field=".".join(str(p) for p in err["loc"]) or None, file=file) for err in exc.errors()]


def load_spec_file(path: Path) -> ProjectSpec:
    """Read a project YAML file; every problem names the file, and the line where YAML knows it."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise InvalidInput(
            "project file is not valid YAML", [Problem(str(exc).splitlines()[0], file=str(path), line=line)]
        ) from exc
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}") from exc
    return parse_spec(raw, file=str(path))


def parse_spec(raw: Any, file: str | None = None) -> ProjectSpec:
    try:
        return ProjectSpec.model_validate(raw)
    except ValidationError as exc:
        raise InvalidInput("project spec is invalid", problems_from_validation(exc, file)) from exc


def create_project(session: Session, principal: Principal, spec: ProjectSpec) -> Project:
    ProjectPolicy.can_create.require(principal)
    if session.scalar(select(Project.id).where(Project.name == spec.name)) is not None:
        raise Conflict(f"a project named '{spec.name}' already exists")
    vendor_ids = _vendor_ids(session, spec.vendors)
    fields = spec.model_dump(exclude={"vendors", "taxonomy"})
    project = Project(**fields, taxonomy=spec.taxonomy.model_dump(mode="json"), created_by=principal.user_id)
    session.add(project)
    session.flush()
    session.add_all(ProjectVendor(project_id=project.id, vendor_id=v) for v in vendor_ids)
    record(session, principal, "project.create", "project", project.id, {"name": spec.name})
    return project


def _vendor_ids(session: Session, names: list[str]) -> list[int]:
    found = dict(session.execute(select(Vendor.name, Vendor.id).where(Vendor.name.in_(names))).all())
    missing = [n for n in names if n not in found]
    if missing:
        raise InvalidInput("unknown vendor", [Problem(f"no vendor named '{n}'", field="vendors") for n in missing])
    return [found[n] for n in names]


def get_project(session: Session, ref: int | str) -> Project:
    """Building block: a project by id, or by name when `ref` is not a number (for the command line)."""
    project: Project | None
    if isinstance(ref, int) or str(ref).isdigit():
        project = session.get(Project, int(ref))
    else:
        project = session.scalar(select(Project).where(Project.name == ref))
    if project is None:
        raise NotFound(f"no project '{ref}'")
    return project


def list_projects(session: Session, principal: Principal) -> list[Project]:
    """The projects this person may read."""
    query = select(Project).order_by(Project.id)
    visible = ProjectPolicy.visible_ids(session, principal)
    if visible is not None:
        query = query.where(Project.id.in_(visible))
    return list(session.scalars(query))


def read_project(session: Session, principal: Principal, project_id: int) -> Project:
    return readable_project(session, principal, project_id)


def update_project(session: Session, principal: Principal, project_id: int, change: ProjectUpdate) -> Project:
    ProjectPolicy.can_update.require(principal)
    project = readable_project(session, principal, project_id)
    values = change.model_dump(exclude_unset=True)
    for key, value in values.items():
        setattr(project, key, value)
    record(session, principal, "project.update", "project", project.id, {"changed": values})
    return project


def add_vendor(session: Session, principal: Principal, project_id: int, vendor_id: int) -> None:
    ProjectPolicy.can_add_vendor.require(principal)
    project = readable_project(session, principal, project_id)
    if session.get(Vendor, vendor_id) is None:
        raise hidden("vendor", vendor_id)
    if session.get(ProjectVendor, (project.id, vendor_id)) is None:
        session.add(ProjectVendor(project_id=project.id, vendor_id=vendor_id))
        record(session, principal, "project.add_vendor", "project", project.id, {"vendor_id": vendor_id})


def add_member(session: Session, principal: Principal, project_id: int, user_id: int) -> None:
    ProjectPolicy.can_add_member.require(principal)
    project = readable_project(session, principal, project_id)
    if session.get(User, user_id) is None:
        raise hidden("user", user_id)
    if session.get(ProjectMember, (project.id, user_id)) is None:
        session.add(ProjectMember(project_id=project.id, user_id=user_id))
        record(session, principal, "project.add_member", "project", project.id, {"user_id": user_id})


def list_items(session: Session, principal: Principal, project_id: int, after_id: int, limit: int) -> list[Item]:
    """Items by id (keyset pages). Labelers and vendors read items only through their tasks."""
    ProjectPolicy.can_read_items.require(principal)
    readable_project(session, principal, project_id)
    query = select(Item).where(Item.project_id == project_id, Item.id > after_id).order_by(Item.id).limit(limit)
    return list(session.scalars(query))


def list_labels(session: Session, principal: Principal, project_id: int, after_id: int, limit: int) -> list[Label]:
    """Labels by id; vendor-bound people see only their vendor's labelers (a labeler only their own)."""
    readable_project(session, principal, project_id)
    query = select(Label).where(Label.project_id == project_id, Label.id > after_id)
    if principal.role is Role.LABELER:
        query = query.where(Label.labeler_id == principal.labeler_id)
    else:
        vendor = LabelerPolicy.vendor_filter(principal)
        if vendor is not None:
            query = query.join(Labeler, Labeler.id == Label.labeler_id).where(Labeler.vendor_id == vendor)
    return list(session.scalars(query.order_by(Label.id).limit(limit)))


def import_file(
    engine: Engine, principal: Principal, project_id: int, path: Path, *, gold: bool = False
) -> ImportResult:
    """Import a file of items (staff) or of gold answers (staff, QA reviewers, policy experts) into a project
    the person may read: all or nothing (projects.imports)."""
    (ProjectPolicy.can_import_gold if gold else ProjectPolicy.can_import_items).require(principal)
    with Session(engine) as session:
        readable_project(session, principal, project_id)
    importer = import_gold if gold else import_items
    return importer(engine, project_id, path, actor_id=principal.user_id)


def export_file(engine: Engine, principal: Principal, project_id: int, file_format: str) -> Iterator[bytes]:
    """A project's items with their labels and status as JSONL, CSV or Parquet chunks (delivery.export)."""
    ProjectPolicy.can_export.require(principal)
    with Session(engine) as session:
        readable_project(session, principal, project_id)
    return export_items(engine, project_id, file_format)
