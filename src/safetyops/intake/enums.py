"""The vocabulary of labeling requests: statuses and decision outcomes. Imported by schemas and the CLI."""

from __future__ import annotations

import enum


class RequestStatus(enum.StrEnum):
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    ACCEPTED_WITH_CONDITIONS = "accepted_with_conditions"
    REJECTED = "rejected"
    NEED_INFO = "need_info"


class Outcome(enum.StrEnum):
    ACCEPT = "accept"
    ACCEPT_WITH_CONDITIONS = "accept_with_conditions"
    REJECT = "reject"
    NEED_INFO = "need_info"
