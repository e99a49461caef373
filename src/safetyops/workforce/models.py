"""Tables: vendors (BPO companies), their sites, and labelers."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from safetyops.db.base import Base, JSONType, utcnow


class LabelerStatus(enum.StrEnum):
    RECRUITING = "recruiting"
    TRAINING = "training"
    PRODUCTION = "production"
    OFFBOARDED = "offboarded"


class Vendor(Base):
    __tablename__ = "vendors"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    data_regions: Mapped[list[str]] = mapped_column(JSONType, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Site(Base):
    __tablename__ = "sites"
    __table_args__ = (UniqueConstraint("vendor_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")


class Labeler(Base):
    __tablename__ = "labelers"
    __table_args__ = (UniqueConstraint("vendor_id", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), unique=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id"), index=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    external_id: Mapped[str] = mapped_column(String(120))
    name: Mapped[str] = mapped_column(String(200), default="")
    languages: Mapped[list[str]] = mapped_column(JSONType, default=list)
    markets: Mapped[list[str]] = mapped_column(JSONType, default=list)
    skills: Mapped[list[str]] = mapped_column(JSONType, default=list)
    certifications: Mapped[list[str]] = mapped_column(JSONType, default=list)
    status: Mapped[str] = mapped_column(String(20), default=LabelerStatus.PRODUCTION.value)
    start_date: Mapped[date | None] = mapped_column()
    extra: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
