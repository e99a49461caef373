"""The queue's vocabulary: the states of an assignment (a lease). Stored as these strings (assignments.status)."""

from __future__ import annotations

import enum


class AssignmentStatus(enum.StrEnum):
    LEASED = "leased"
    SUBMITTED = "submitted"
    EXPIRED = "expired"
    SKIPPED = "skipped"
    RELEASED = "released"
