"""The auth area's vocabulary: the roles a person can hold. Stored as these strings (users.role)."""

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
