"""What crosses the API for guideline versions, examples, diffs and notices."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from safetyops.guidelines.enums import ExampleKind
from safetyops.locale_codes import LanguageCode


class VersionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: str = Field(max_length=40, description="MAJOR.MINOR, newer than every existing version")
    text: str = Field(description="the guideline in Markdown (stored as text)")
    what_changed: str = Field(default="", max_length=20_000, description="the notice labelers get on publish")
    publish: bool = False
    carry_examples: bool = True


class VersionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    project_id: int
    version: str
    major: int
    minor: int
    what_changed: str
    created_at: datetime
    published_at: datetime | None


class ExampleText(BaseModel):
    """An example's text and rationale in one more language (either may be left out: the original is shown)."""

    model_config = ConfigDict(extra="forbid")

    text: str | None = Field(default=None, min_length=1, max_length=20_000)
    rationale: str | None = Field(default=None, min_length=1, max_length=20_000)


class ExampleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: ExampleKind
    text: str = Field(min_length=1)
    rationale: str = Field(min_length=1)
    item_id: int | None = None
    source: str = Field(default="", max_length=200)
    translations: dict[LanguageCode, ExampleText] = Field(
        default_factory=dict, description="the text and rationale in other languages, e.g. {bn: {rationale: ...}}"
    )


class ExampleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    version_id: int
    kind: str
    text: str
    rationale: str
    item_id: int | None
    source: str
    status: str
    translations: dict[str, dict[str, str]] | None = None


class VersionDetailOut(VersionOut):
    text: str
    examples: list[ExampleOut]
    proposed_examples: list[ExampleOut]


class PublishOut(BaseModel):
    version: str
    previous: str
    notice_id: int
    recipients: int
    major_bump: bool
    certifications_expired: int


class DiffOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    from_version: str
    to_version: str
    unified: str
    examples_added: list[dict[str, Any]]
    examples_removed: list[dict[str, Any]]


class AcceptIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    into_version: str | None = Field(default=None, description="a draft version; default: the proposal's own")


class NoticeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    project_id: int
    version: str
    title: str
    body: str
    created_at: datetime
    read_at: datetime | None
