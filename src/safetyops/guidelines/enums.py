"""The vocabulary of guidelines: kinds and statuses of examples. Imported by models, schemas and the CLI."""

from __future__ import annotations

import enum


class ExampleKind(enum.StrEnum):
    ALLOWED = "allowed"
    NOT_ALLOWED = "not_allowed"
    BORDERLINE = "borderline"


class ExampleStatus(enum.StrEnum):
    ACCEPTED = "accepted"
    PROPOSED = "proposed"
