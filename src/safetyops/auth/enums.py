"""The auth area's vocabulary: the roles. Stored as these strings (users.role); `system` is held by no user."""

from __future__ import annotations

import enum


class Role(enum.StrEnum):
    REQUESTER = "requester"
    OPS_MANAGER = "ops_manager"
    VENDOR_MANAGER = "vendor_manager"
    QA_REVIEWER = "qa_reviewer"
    POLICY_EXPERT = "policy_expert"
    LABELER = "labeler"
    ADMIN = "admin"
    # The command line's (and background work's) own role: see auth.principal.SYSTEM. No user row holds it.
    SYSTEM = "system"


USER_ROLES: tuple[Role, ...] = tuple(r for r in Role if r is not Role.SYSTEM)
