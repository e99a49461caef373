"""The projects area's vocabulary: project status, batch kinds and the item file formats. Stored as these strings."""

from __future__ import annotations

import enum


class ProjectStatus(enum.StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    PAUSED = "paused"
    CLOSED = "closed"


class BatchKind(enum.StrEnum):
    """What an imported batch brought: new items, or gold answers (batches.kind)."""

    ITEMS = "items"
    GOLD = "gold"


class DataFormat(enum.StrEnum):
    """File formats of item imports and exports (batches.file_format)."""

    JSONL = "jsonl"
    CSV = "csv"
    PARQUET = "parquet"
