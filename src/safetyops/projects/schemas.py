"""What crosses the API and project YAML files for projects."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import available_timezones

from pydantic import BaseModel, ConfigDict, Field, field_validator

from safetyops.guidelines.taxonomy import Taxonomy
from safetyops.projects.enums import ProjectStatus


class ProjectSpec(BaseModel):
    """A project as declared in a YAML file or a POST body."""

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
    markets: list[str] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=list)
    required_certifications: list[str] = Field(default_factory=list)
    vendors: list[str] = Field(default_factory=list, description="names of vendors whose labelers may work")

    @field_validator("reporting_tz")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        if value not in available_timezones() and value != "UTC":
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
    created_at: datetime


class ProjectUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: ProjectStatus | None = None
    priority: int | None = None
    gold_rate: float | None = Field(default=None, ge=0.0, le=1.0)
    lease_minutes: int | None = Field(default=None, ge=1, le=24 * 60)
    deadline: datetime | None = None
