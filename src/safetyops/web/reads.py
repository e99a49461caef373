"""Read-only queries behind the pages: project lists for the home page and a labeler's open task.

Writes always go through the services (auth.service, work.service); nothing here changes data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, case, func, select
from sqlalchemy.orm import Session

from safetyops.auth.models import ApiToken
from safetyops.auth.policies import STAFF, ProjectPolicy, hidden
from safetyops.auth.principal import Principal
from safetyops.auth.service import hash_token
from safetyops.db.base import utcnow
from safetyops.projects.enums import ProjectStatus
from safetyops.projects.models import Item, Project
from safetyops.work.enums import AssignmentStatus
from safetyops.work.models import Assignment, Label
from safetyops.work.service import ProjectRules


@dataclass(frozen=True)
class ProjectRow:
    id: int
    name: str
    description: str
    status: str
    guideline_version: str
    can_work: bool = False
    items: int | None = None
    open_items: int | None = None
    labels: int | None = None
    data_credit: dict[str, Any] | None = None


def home_projects(session: Session, principal: Principal) -> list[ProjectRow]:
    """Projects for the home page: labelers get those they may work on, staff get counts, others what they read."""
    visible = ProjectPolicy.visible_ids(session, principal)
    query = select(Project).order_by(Project.id)
    if visible is not None:
        if not visible:
            return []
        query = query.where(Project.id.in_(visible))
    projects = list(session.scalars(query))
    if principal.labeler_id is not None:
        return [_row(p, can_work=True) for p in projects if ProjectPolicy.can_work_on(session, principal, p.id)]
    if not STAFF(principal):
        return [_row(p) for p in projects]
    items = {
        pid: (int(total), int(open_ or 0))
        for pid, total, open_ in session.execute(
            select(Item.project_id, func.count(), func.sum(case((Item.open_slots > 0, 1), else_=0))).group_by(
                Item.project_id
            )
        )
    }
    labels = {
        pid: int(n) for pid, n in session.execute(select(Label.project_id, func.count()).group_by(Label.project_id))
    }
    return [
        _row(
            p,
            items=items.get(p.id, (0, 0))[0],
            open_items=items.get(p.id, (0, 0))[1],
            labels=int(labels.get(p.id, 0)),
        )
        for p in projects
    ]


def _row(project: Project, **extra: Any) -> ProjectRow:
    return ProjectRow(
        id=project.id,
        name=project.name,
        description=project.description or "",
        status=project.status,
        guideline_version=project.guideline_version,
        data_credit=project.data_credit,
        **extra,
    )


def project_heading(engine: Engine, project_id: int) -> tuple[str, dict[str, Any] | None]:
    """A project's name and the data credit its items carry (empty and None for no such project)."""
    with Session(engine) as session:
        row = session.execute(select(Project.name, Project.data_credit).where(Project.id == project_id)).first()
    return (row[0], row[1]) if row is not None else ("", None)


def open_task(engine: Engine, principal: Principal, rules: ProjectRules) -> dict[str, Any] | None:
    """The live lease this labeler already holds on the project, shaped like work.service.next_task's task.

    Reloading the page (or a retried submit) then shows the same item again instead of leasing
    another one and leaving the first to expire. Only for active projects the labeler may work on.
    """
    if principal.labeler_id is None or rules.status != ProjectStatus.ACTIVE.value:
        return None
    with Session(engine) as session:
        if not ProjectPolicy.can_work_on(session, principal, rules.id):
            return None
        row = session.execute(
            select(Assignment.id, Assignment.expires_at, Item)
            .join(Item, Item.id == Assignment.item_id)
            .where(
                Assignment.labeler_id == principal.labeler_id,
                Assignment.project_id == rules.id,
                Assignment.status == AssignmentStatus.LEASED.value,
                Assignment.expires_at > utcnow(),
            )
            .order_by(Assignment.id)
            .limit(1)
        ).first()
    if row is None:
        return None
    assignment_id, expires, item = row
    return task_view(int(assignment_id), item, expires.isoformat(), rules)


def assigned_task(engine: Engine, principal: Principal, assignment_id: int, rules: ProjectRules) -> dict[str, Any]:
    """The task of one of this labeler's assignments, to show it again next to the problems of a submit."""
    with Session(engine) as session:
        row = session.execute(
            select(Assignment.labeler_id, Assignment.project_id, Assignment.expires_at, Item)
            .join(Item, Item.id == Assignment.item_id)
            .where(Assignment.id == assignment_id)
        ).first()
    if row is None or row[0] != principal.labeler_id or row[1] != rules.id:
        raise hidden("assignment", assignment_id)
    return task_view(assignment_id, row[3], row[2].isoformat(), rules)


def task_view(assignment_id: int, item: Item, expires: str, rules: ProjectRules) -> dict[str, Any]:
    """Same shape as work.service.next_task's answer: nothing tells gold from regular work."""
    return {
        "assignment_id": assignment_id,
        "item": {
            "text": item.content_text,
            "media_url": item.media_url,
            "media_type": item.media_type,
            "language": item.language,
            "market": item.market,
            "context": item.context,
        },
        "guideline_version": rules.guideline_version,
        "lease_expires_at": expires,
    }


def token_id(session: Session, raw_token: str) -> int | None:
    """The id of the stored API token behind a raw token (to revoke it on sign-out)."""
    return session.scalar(select(ApiToken.id).where(ApiToken.token_hash == hash_token(raw_token)))
