"""Tables of the delivery area: imported model predictions (model runs), compared with the final human labels.

The tables were created with the quality area (migration 0002); they moved here with model evaluation.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from safetyops.db.base import Base, BigId, utcnow


class ModelRun(Base):
    """One imported file of a model's predictions for a project."""

    __tablename__ = "model_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    filename: Mapped[str] = mapped_column(String(400), default="")
    file_format: Mapped[str] = mapped_column(String(8))
    rows: Mapped[int] = mapped_column(default=0)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ModelPrediction(Base):
    """A model's score (0–1) or label for one policy on one item."""

    __tablename__ = "model_predictions"

    run_id: Mapped[int] = mapped_column(ForeignKey("model_runs.id"), primary_key=True)
    item_id: Mapped[int] = mapped_column(BigId, ForeignKey("items.id"), primary_key=True)
    policy: Mapped[str] = mapped_column(String(100), primary_key=True)
    score: Mapped[float | None] = mapped_column(Float)
    label: Mapped[str | None] = mapped_column(String(100))
