"""What crosses the API for vendors, sites and labelers."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from safetyops.locale_codes import CodeNotes, LanguageList, MarketList
from safetyops.workforce.enums import LabelerStatus


class VendorIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    data_regions: list[str] = Field(default_factory=list)


class VendorOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    data_regions: list[str]


class SiteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    country: str = Field(default="", max_length=2)
    timezone: str = "UTC"


class SiteOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    vendor_id: int
    name: str
    country: str
    timezone: str


class LabelerIn(CodeNotes):
    model_config = ConfigDict(extra="forbid")

    vendor_id: int
    username: str = Field(min_length=1, max_length=120, pattern=r"^[A-Za-z0-9_.@-]+$")
    password: str | None = Field(default=None, min_length=8)
    name: str = ""
    languages: LanguageList = Field(default_factory=list, description="BCP 47 codes, e.g. bn, en, zh-Hans")
    markets: MarketList = Field(default_factory=list, description="ISO 3166-1 alpha-2 codes, e.g. BD, GB")
    site_id: int | None = None
    status: LabelerStatus = LabelerStatus.PRODUCTION
    start_date: date | None = None


class LabelerOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    user_id: int | None
    vendor_id: int
    site_id: int | None
    external_id: str
    name: str
    languages: list[str]
    markets: list[str]
    skills: list[str] = Field(default_factory=list)
    certifications: list[str]
    status: str
    start_date: date | None
    notes: list[str] = Field(
        default_factory=list, description="how what was sent was read (e.g. a language name read as its code)"
    )


class RosterResultOut(BaseModel):
    """What a roster import did (or, with dry_run, would do)."""

    model_config = ConfigDict(from_attributes=True)

    file: str
    rows: int
    created: list[str]
    updated: list[str]
    unchanged: list[str]
    dry_run: bool
    notes: list[str] = Field(default_factory=list, description="values read as another code ('Bengali' -> bn)")
