"""The guidelines area's vocabulary: question types of a taxonomy, example kinds and their status."""

from __future__ import annotations

import enum


class QuestionType(enum.StrEnum):
    SINGLE_CHOICE = "single_choice"
    MULTI_CHOICE = "multi_choice"
    ORDINAL = "ordinal"
    FREE_TEXT = "free_text"


class ExampleKind(enum.StrEnum):
    ALLOWED = "allowed"
    NOT_ALLOWED = "not_allowed"
    BORDERLINE = "borderline"


class ExampleStatus(enum.StrEnum):
    ACCEPTED = "accepted"
    PROPOSED = "proposed"
