"""Tables: guideline versions (Markdown text, append-only), their examples, and "what changed" notices."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from safetyops.db.base import Base, BigId, JSONType, utcnow
from safetyops.guidelines.enums import ExampleStatus


class GuidelineVersion(Base):
    """One version of a project's guideline. Its text never changes; a change is a new version."""

    __tablename__ = "guideline_versions"
    __table_args__ = (UniqueConstraint("project_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    version: Mapped[str] = mapped_column(String(40))
    major: Mapped[int] = mapped_column()
    minor: Mapped[int] = mapped_column()
    text: Mapped[str] = mapped_column(Text)
    what_changed: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column()
    published_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class GuidelineExample(Base):
    """An allowed / not allowed / borderline example of a version, with its rationale."""

    __tablename__ = "guideline_examples"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("guideline_versions.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    rationale: Mapped[str] = mapped_column(Text, default="")
    item_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("items.id"))
    source: Mapped[str] = mapped_column(String(200), default="")
    # The text and rationale in other languages: {language code: {"text": ..., "rationale": ...}} (guidelines.texts).
    translations: Mapped[dict[str, dict[str, str]] | None] = mapped_column(JSONType)
    status: Mapped[str] = mapped_column(String(16), default=ExampleStatus.ACCEPTED.value)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class GuidelineNotice(Base):
    """The "what changed" message sent to a project's labelers when a version is published."""

    __tablename__ = "guideline_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("guideline_versions.id"))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class NoticeReceipt(Base):
    """One labeler's copy of a notice; `read_at` is set when they mark it read."""

    __tablename__ = "guideline_notice_receipts"

    notice_id: Mapped[int] = mapped_column(ForeignKey("guideline_notices.id"), primary_key=True)
    labeler_id: Mapped[int] = mapped_column(ForeignKey("labelers.id"), primary_key=True, index=True)
    read_at: Mapped[datetime | None] = mapped_column()
