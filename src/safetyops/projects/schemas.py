"""What crosses the API and project YAML files for projects."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from safetyops.guidelines.taxonomy import Taxonomy
from safetyops.locale_codes import CodeNotes, LanguageList, MarketList, known_zone
from safetyops.projects.enums import BatchKind, DataFormat, ProjectStatus

_WEB_ADDRESS = re.compile(r"https?://[^\s<>\"']+")


class DataCredit(BaseModel):
    """The credit a project's data set asks for (source, link, licence), shown wherever the project's items are:
    the web pages that show its items and the project quality report."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    source: str = Field(min_length=1, max_length=300, description="who made the data, and where it was published")
    link: str | None = Field(default=None, max_length=500, description="http(s) address of the source")
    licence: str | None = Field(default=None, max_length=100, description="the licence's name, e.g. CC BY 4.0")
    licence_link: str | None = Field(default=None, max_length=500, description="http(s) address of the licence")

    @field_validator("link", "licence_link")
    @classmethod
    def _web_address(cls, value: str | None) -> str | None:
        # Pages link these addresses: nothing but http(s) (no javascript: or data: URLs).
        if value is not None and not _WEB_ADDRESS.fullmatch(value):
            raise ValueError("must be an http:// or https:// address")
        return value

    def text(self) -> str:
        """One line: 'source (link), licence'."""
        line = f"{self.source} ({self.link})" if self.link else self.source
        return f"{line}, {self.licence}" if self.licence else line


class ProjectSpec(CodeNotes):
    """A project as declared in a YAML file or a POST body. Markets and languages are codes (ISO 3166-1,
    BCP 47; a common name is read as its code, with a note in `code_notes`): see safetyops.locale_codes."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    taxonomy: Taxonomy
    guideline_version: str = "1.0"
    overlap: int = Field(default=1, ge=1, le=50)
    gold_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    qa_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    lease_minutes: int = Field(default=30, ge=1, le=24 * 60)
    priority: int = 0
    deadline: datetime | None = None
    status: ProjectStatus = ProjectStatus.ACTIVE
    reporting_tz: str = "UTC"
    markets: MarketList = Field(default_factory=list)
    languages: LanguageList = Field(default_factory=list)
    required_certifications: list[str] = Field(default_factory=list)
    vendors: list[str] = Field(default_factory=list, description="names of vendors whose labelers may work")
    data_credit: DataCredit | None = Field(default=None, description="credit owed to the source of the items' data")

    @field_validator("reporting_tz")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        if not known_zone(value):
            raise ValueError(f"unknown time zone '{value}' (use an IANA name such as Asia/Dhaka)")
        return value


class ProjectOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    description: str
    taxonomy: dict[str, Any]
    guideline_version: str
    overlap: int
    gold_rate: float
    qa_rate: float
    lease_minutes: int
    priority: int
    deadline: datetime | None
    status: str
    reporting_tz: str
    markets: list[str]
    languages: list[str]
    data_credit: DataCredit | None
    created_at: datetime
    notes: list[str] = Field(
        default_factory=list, description="how what was sent was read (e.g. a language name read as its code)"
    )


class ProjectUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: ProjectStatus | None = None
    priority: int | None = None
    gold_rate: float | None = Field(default=None, ge=0.0, le=1.0)
    lease_minutes: int | None = Field(default=None, ge=1, le=24 * 60)
    deadline: datetime | None = None
    data_credit: DataCredit | None = None


class IdIn(BaseModel):
    """The id of a vendor or user to add to a project."""

    id: int


class ItemOut(BaseModel):
    """An item as staff read it (labelers see items only through their tasks)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    external_id: str
    text: str | None = Field(validation_alias="content_text")
    media_url: str | None
    language: str | None
    market: str | None
    priority: int
    is_gold: bool
    label_count: int
    open_slots: int


class LabelOut(BaseModel):
    """One label event (a correction is a new label that names the one it supersedes)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    item_id: int
    labeler_id: int
    answer: dict[str, Any]
    time_spent_ms: int
    guideline_version: str
    supersedes_id: int | None
    created_at: datetime


class ImportOut(BaseModel):
    """What an import did: the batch, the rows read, added and already there (and gold answers stored)."""

    batch_id: int
    kind: BatchKind
    file: str | None = Field(description="the uploaded file's name")
    file_format: DataFormat
    sha256: str
    rows_read: int
    rows_added: int
    rows_existing: int
    gold_answers: int = 0
    notes: list[str] = Field(default_factory=list, description="values read as another code ('Bengali' -> bn)")
