"""The vocabulary of accounts: roles (ARCHITECTURE.md §1). Imported by models, schemas, policies and the CLI."""

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
