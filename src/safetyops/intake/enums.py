"""The intake area's vocabulary: what a request is for, its flags, its status, decisions and rule verdicts.

Stored as these strings (labeling_requests.purpose/status/verdict, request_decisions.outcome, and inside the
stored request spec).
"""

from __future__ import annotations

import enum


class Purpose(enum.StrEnum):
    TRAINING = "training"
    EVALUATION = "evaluation"
    MONITORING = "monitoring"


class Modality(enum.StrEnum):
    TEXT = "text"
    IMAGE = "image"
    VIDEO = "video"
    AUDIO = "audio"
    MULTIMODAL = "multimodal"


class Term(enum.StrEnum):
    """A short request is one volume by a deadline; a long one goes on with a monthly volume."""

    SHORT = "short"
    LONG = "long"


class Sensitivity(enum.StrEnum):
    """Content flags that need certified labelers or special handling."""

    MINORS = "minors"
    SEXUAL_CONTENT = "sexual_content"
    GRAPHIC_VIOLENCE = "graphic_violence"
    PERSONAL_DATA = "personal_data"


class RequestStatus(enum.StrEnum):
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    ACCEPTED_WITH_CONDITIONS = "accepted_with_conditions"
    REJECTED = "rejected"
    NEED_INFO = "need_info"


class Outcome(enum.StrEnum):
    """What an ops manager decides on a request."""

    ACCEPT = "accept"
    ACCEPT_WITH_CONDITIONS = "accept_with_conditions"
    REJECT = "reject"
    NEED_INFO = "need_info"


class Verdict(enum.StrEnum):
    """An evaluation rule's verdict (and a request's overall one)."""

    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
