"""Access rules as small functions: who may read or change what (vendor isolation included)."""

from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from safetyops.auth.enums import Role
from safetyops.auth.principal import Principal
from safetyops.errors import Forbidden, NotFound
from safetyops.projects.models import Project, ProjectMember, ProjectVendor
from safetyops.workforce.models import Labeler

PROJECT_MANAGERS = (Role.OPS_MANAGER, Role.ADMIN)
WORKFORCE_MANAGERS = (Role.OPS_MANAGER, Role.ADMIN, Role.VENDOR_MANAGER)


def require_role(principal: Principal, *roles: Role) -> None:
    if principal.role not in roles:
        allowed = ", ".join(r.value for r in roles)
        raise Forbidden(f"this needs one of the roles: {allowed} (you are {principal.role.value})")


def is_vendor_bound(principal: Principal) -> bool:
    """Vendor managers and labelers belong to one vendor and see only that vendor's people and work."""
    return principal.role in (Role.VENDOR_MANAGER, Role.LABELER)


def project_ids_visible(session: Session, principal: Principal) -> list[int] | None:
    """Ids of the projects this person may read; None means all of them."""
    if principal.is_staff or principal.role is Role.POLICY_EXPERT:
        return None
    member = select(ProjectMember.project_id).where(ProjectMember.user_id == principal.user_id)
    ids = set(session.scalars(member))
    if principal.vendor_id is not None:
        ids |= set(
            session.scalars(select(ProjectVendor.project_id).where(ProjectVendor.vendor_id == principal.vendor_id))
        )
    return sorted(ids)


def can_read_project(session: Session, principal: Principal, project_id: int) -> bool:
    visible = project_ids_visible(session, principal)
    return visible is None or project_id in visible


def readable_project(session: Session, principal: Principal, project_id: int) -> Project:
    """The project, or NotFound when it does not exist or this person may not see it."""
    project = session.get(Project, project_id)
    if project is None or not can_read_project(session, principal, project_id):
        raise NotFound(f"no project {project_id} for you")
    return project


def can_work_on(session: Session, principal: Principal, project_id: int) -> bool:
    """A labeler may take tasks when their vendor serves the project or they are a named member."""
    if principal.labeler_id is None:
        return False
    vendor_ok = session.scalar(
        select(exists().where(ProjectVendor.project_id == project_id, ProjectVendor.vendor_id == principal.vendor_id))
    )
    if vendor_ok:
        return True
    return bool(
        session.scalar(
            select(exists().where(ProjectMember.project_id == project_id, ProjectMember.user_id == principal.user_id))
        )
    )


def vendor_filter(principal: Principal) -> int | None:
    """The vendor id a listing of labelers, labels or metrics must be restricted to (None: no restriction)."""
    if principal.is_staff or principal.role in (Role.QA_REVIEWER, Role.POLICY_EXPERT):
        return None
    if is_vendor_bound(principal):
        return principal.vendor_id if principal.vendor_id is not None else -1
    return -1  # requesters see no labeler-level data


def can_read_labeler(principal: Principal, labeler: Labeler) -> bool:
    if principal.labeler_id == labeler.id:
        return True
    if principal.role is Role.LABELER:
        return False
    allowed_vendor = vendor_filter(principal)
    return allowed_vendor is None or allowed_vendor == labeler.vendor_id


def can_manage_labeler(principal: Principal, vendor_id: int) -> bool:
    if principal.is_staff:
        return True
    return principal.role is Role.VENDOR_MANAGER and principal.vendor_id == vendor_id
