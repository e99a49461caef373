"""The workforce area's vocabulary: labeler status, training module kinds and their status."""

from __future__ import annotations

import enum


class LabelerStatus(enum.StrEnum):
    RECRUITING = "recruiting"
    TRAINING = "training"
    PRODUCTION = "production"
    OFFBOARDED = "offboarded"


class ModuleKind(enum.StrEnum):
    READ_GUIDELINE = "read_guideline"
    STUDY_EXAMPLES = "study_examples"
    QUIZ = "quiz"
    SHADOWING = "shadowing"
    CALIBRATION = "calibration"


class ModuleStatus(enum.StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    FAILED = "failed"
