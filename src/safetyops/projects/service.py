"""Project use cases: create from a spec, find, list, update, and who may work on a project."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from safetyops.auth.audit import record
from safetyops.errors import Conflict, InvalidInput, NotFound, Problem
from safetyops.projects.models import Project, ProjectMember, ProjectVendor
from safetyops.projects.schemas import ProjectSpec, ProjectUpdate
from safetyops.workforce.models import Vendor


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


def create_project(session: Session, spec: ProjectSpec, actor_id: int | None) -> Project:
    if session.scalar(select(Project.id).where(Project.name == spec.name)) is not None:
        raise Conflict(f"a project named '{spec.name}' already exists")
    vendor_ids = _vendor_ids(session, spec.vendors)
    fields = spec.model_dump(exclude={"vendors", "taxonomy"})
    project = Project(**fields, taxonomy=spec.taxonomy.model_dump(mode="json"), created_by=actor_id)
    session.add(project)
    session.flush()
    session.add_all(ProjectVendor(project_id=project.id, vendor_id=v) for v in vendor_ids)
    record(session, actor_id, "project.create", "project", project.id, {"name": spec.name})
    return project


def _vendor_ids(session: Session, names: list[str]) -> list[int]:
    found = dict(session.execute(select(Vendor.name, Vendor.id).where(Vendor.name.in_(names))).all())
    missing = [n for n in names if n not in found]
    if missing:
        raise InvalidInput("unknown vendor", [Problem(f"no vendor named '{n}'", field="vendors") for n in missing])
    return [found[n] for n in names]


def get_project(session: Session, ref: int | str) -> Project:
    """A project by id, or by name when `ref` is not a number."""
    project: Project | None
    if isinstance(ref, int) or str(ref).isdigit():
        project = session.get(Project, int(ref))
    else:
        project = session.scalar(select(Project).where(Project.name == ref))
    if project is None:
        raise NotFound(f"no project '{ref}'")
    return project


def update_project(session: Session, project: Project, change: ProjectUpdate, actor_id: int | None) -> Project:
    values = change.model_dump(exclude_unset=True)
    for key, value in values.items():
        setattr(project, key, value)
    record(session, actor_id, "project.update", "project", project.id, {"changed": values})
    return project


def add_vendor(session: Session, project: Project, vendor_id: int, actor_id: int | None) -> None:
    if session.get(ProjectVendor, (project.id, vendor_id)) is None:
        session.add(ProjectVendor(project_id=project.id, vendor_id=vendor_id))
        record(session, actor_id, "project.add_vendor", "project", project.id, {"vendor_id": vendor_id})


def add_member(session: Session, project: Project, user_id: int, actor_id: int | None) -> None:
    if session.get(ProjectMember, (project.id, user_id)) is None:
        session.add(ProjectMember(project_id=project.id, user_id=user_id))
        record(session, actor_id, "project.add_member", "project", project.id, {"user_id": user_id})
