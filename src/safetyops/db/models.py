"""Imports every area's tables so that the metadata (and Alembic) sees all of them."""

from safetyops.auth.models import ApiToken, AuditEntry, User
from safetyops.db.base import Base
from safetyops.projects.models import Batch, GoldAnswer, Item, Project, ProjectMember, ProjectVendor
from safetyops.work.models import Assignment, Label
from safetyops.workforce.models import Labeler, Site, Vendor

metadata = Base.metadata

__all__ = [
    "ApiToken",
    "Assignment",
    "AuditEntry",
    "Batch",
    "GoldAnswer",
    "Item",
    "Label",
    "Labeler",
    "Project",
    "ProjectMember",
    "ProjectVendor",
    "Site",
    "User",
    "Vendor",
    "metadata",
]
