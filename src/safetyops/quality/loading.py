"""Reading what the quality statistics need from the database: labels and gold answers as integer arrays,
labeler names, and aggregation runs with their final labels.

Labels are read with one streaming Core query per call into NumPy arrays (no ORM objects): the answer to one
question is turned into its choice's position in the taxonomy inside SQL, so the rows are plain integers.
Statistics use the latest label per (item, labeler): a correction supersedes the original.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import ColumnElement, Select, case, func, select
from sqlalchemy.orm import Session

from safetyops.projects.models import GoldAnswer, Item, Project
from safetyops.quality.frame import IntArray, LabelFrame, QuestionInfo
from safetyops.quality.models import AggregationRun, ExpertDecision, ExpertReview, FinalLabel
from safetyops.quality.scope import Scope
from safetyops.work.models import Label
from safetyops.workforce.models import Labeler, Site, Vendor

# ------------------------------------------------------------------------------------------------ labels


def _code_expr(column: Any, q: QuestionInfo, dialect: str = "postgresql") -> ColumnElement[int]:
    """The answer's position among the question's choices, computed in SQL (−1: missing or unknown).

    SQLite: a bare json_extract (a JSON string comes back as text; SQLAlchemy's as_string() adds a CAST that
    costs ~5 % of the report on a million labels). PostgreSQL: `answer ->> key`.
    """
    if dialect == "sqlite":
        path = '$."' + q.key + '"'  # question keys are identifiers (taxonomy validation): nothing to escape
        value: Any = func.json_extract(column, path)
    else:
        value = column[q.key].as_string()
    return case({v: i for i, v in enumerate(q.classes)}, value=value, else_=-1)


def _latest(ids: IntArray, items: IntArray, labelers: IntArray) -> NDArray[np.intp]:
    """Indices of the newest row (highest id) of each (item, labeler) pair, in (item, labeler) order."""
    order = np.lexsort((ids, labelers, items))
    it, lb = items[order], labelers[order]
    last = np.ones(len(order), bool)
    if len(order) > 1:
        last[:-1] = (it[1:] != it[:-1]) | (lb[1:] != lb[:-1])
    return order[last]


def _scoped(stmt: Select[Any], scope: Scope) -> Select[Any]:
    if scope.labeler_id is not None:
        stmt = stmt.where(Label.labeler_id == scope.labeler_id)
    if scope.vendor_id is not None:
        stmt = stmt.where(Label.labeler_id.in_(select(Labeler.id).where(Labeler.vendor_id == scope.vendor_id)))
    return stmt


def _packing(session: Session, n_classes: int) -> tuple[int, int] | None:
    """Bit widths (labeler, code) to pack item, labeler and answer into one 63-bit integer, or None if too big."""
    code_bits = (n_classes + 1).bit_length()
    max_labeler = session.scalar(select(func.max(Labeler.id))) or 0
    max_item = session.scalar(select(func.max(Item.id))) or 0
    lab_bits = max(int(max_labeler).bit_length(), 1)
    if lab_bits + code_bits + max(int(max_item).bit_length(), 1) > 62:
        return None
    return lab_bits, code_bits


def _stream_packed(session: Session, stmt: Select[Any]) -> IntArray:
    """One integer per row, read in blocks from the driver's cursor straight into an array.

    A plain integer column needs no SQLAlchemy row processing (which would cost more than the query itself).
    No server-side cursor: SQLAlchemy's streaming strategy reads ahead of the raw cursor, and one integer column
    is small enough (≈ 20 MB per million rows) to hold client-side.
    """
    result = session.connection().execute(stmt)
    cursor = result.cursor
    parts = []
    try:
        while rows := cursor.fetchmany(200_000):
            parts.append(np.fromiter(itertools.chain.from_iterable(rows), dtype=np.int64, count=len(rows)))
    finally:
        result.close()
    return np.concatenate(parts) if parts else np.zeros(0, np.int64)


def load_labels(
    session: Session,
    project: Project,
    q: QuestionInfo,
    start: datetime | None = None,
    end: datetime | None = None,
    scope: Scope = Scope(),
    *,
    gold_only: bool = False,
    with_times: bool = False,
) -> LabelFrame:
    """The latest answer per (item, labeler) to question `q` among labels created in [start, end).

    The fast path asks SQL for one integer per label — (item · 2^L + labeler) · 2^C + answer code + 1 — in id
    order, so a Python object is made per row only once; the newest row of each (item, labeler) pair wins.
    """
    code = _code_expr(Label.answer, q, session.get_bind().dialect.name)
    filters: list[ColumnElement[bool]] = [Label.project_id == project.id]
    if start is not None:
        filters.append(Label.created_at >= start)
    if end is not None:
        filters.append(Label.created_at < end)
    if gold_only:
        filters.append(Label.item_id.in_(select(GoldAnswer.item_id).where(GoldAnswer.project_id == project.id)))
    packing = None if with_times else _packing(session, len(q.classes))
    times: list[datetime] | None = None
    if packing is not None:
        lab_bits, code_bits = packing
        packed = (Label.item_id * (1 << lab_bits) + Label.labeler_id) * (1 << code_bits) + (code + 1)
        values = _stream_packed(session, _scoped(select(packed).where(*filters), scope).order_by(Label.id))
        pair = values >> code_bits
        # the newest row of a pair is its last one in id order: first in the reversed array
        _, first_rev = np.unique(pair[::-1], return_index=True)
        keep = len(values) - 1 - first_rev  # sorted by pair, i.e. by (item, labeler)
        items, labelers = pair[keep] >> lab_bits, pair[keep] & ((1 << lab_bits) - 1)
        codes = (values[keep] & ((1 << code_bits) - 1)) - 1
    else:
        cols: list[Any] = [Label.id, Label.item_id, Label.labeler_id, code]
        if with_times:
            cols.append(Label.created_at)
        rows = session.execute(_scoped(select(*cols).where(*filters), scope)).all()
        arr = np.array([r[:4] for r in rows], dtype=np.int64).reshape(-1, 4)
        keep = _latest(arr[:, 0], arr[:, 1], arr[:, 2])
        items, labelers, codes = arr[keep, 1], arr[keep, 2], arr[keep, 3]
        if with_times:
            times = [rows[i][4] for i in keep.tolist()]
    answered = codes >= 0
    return LabelFrame(
        q,
        items[answered],
        labelers[answered],
        codes[answered],
        unanswered=int((~answered).sum()),
        times=[t for t, a in zip(times, answered.tolist(), strict=True) if a] if times is not None else None,
    )


def load_gold(session: Session, project: Project, q: QuestionInfo) -> dict[int, int]:
    """Known answers (class codes) of the project's gold items for question `q`."""
    code = _code_expr(GoldAnswer.answer, q, session.get_bind().dialect.name)
    stmt = select(GoldAnswer.item_id, code).where(GoldAnswer.project_id == project.id)
    return {int(i): int(c) for i, c in session.execute(stmt) if c >= 0}


# ------------------------------------------------------------------------------------------------ labelers


@dataclass(frozen=True)
class LabelerInfo:
    id: int
    name: str
    vendor_id: int
    vendor: str
    site_id: int | None
    site: str | None


def labeler_info(session: Session, ids: list[int]) -> dict[int, LabelerInfo]:
    """Name, vendor and site of each labeler id (read in chunks of 5,000 ids)."""
    out: dict[int, LabelerInfo] = {}
    for chunk in (ids[i : i + 5000] for i in range(0, len(ids), 5000)):
        stmt = (
            select(Labeler.id, Labeler.name, Labeler.vendor_id, Vendor.name, Labeler.site_id, Site.name)
            .join(Vendor, Vendor.id == Labeler.vendor_id)
            .outerjoin(Site, Site.id == Labeler.site_id)
            .where(Labeler.id.in_(chunk))
        )
        for lid, name, vid, vname, sid, sname in session.execute(stmt):
            out[lid] = LabelerInfo(lid, name, vid, vname, sid, sname)
    return out


# ------------------------------------------------------------------------------------------------ aggregation runs


def latest_run(session: Session, project_id: int, question: str | None = None) -> AggregationRun | None:
    """The project's newest aggregation run (on `question`, when given)."""
    stmt = select(AggregationRun).where(AggregationRun.project_id == project_id)
    if question is not None:
        stmt = stmt.where(AggregationRun.question == question)
    return session.scalars(stmt.order_by(AggregationRun.id.desc()).limit(1)).first()


def final_labels(session: Session, run: AggregationRun) -> dict[int, tuple[str | None, float]]:
    """Item id → (final label, confidence) of a run, with the newest expert decision applied (confidence 1)."""
    out = {
        int(i): (lb, float(c))
        for i, lb, c in session.execute(
            select(FinalLabel.item_id, FinalLabel.label, FinalLabel.confidence).where(FinalLabel.run_id == run.id)
        )
    }
    decided = session.execute(
        select(ExpertReview.item_id, ExpertDecision.label)
        .join(ExpertDecision, ExpertDecision.review_id == ExpertReview.id)
        .where(ExpertReview.run_id == run.id)
        .order_by(ExpertDecision.id)
    )
    for item_id, label in decided:
        out[int(item_id)] = (label, 1.0)
    return out


def run_summary(run: AggregationRun) -> dict[str, Any]:
    """What a caller is told about an aggregation run."""
    return {
        "run_id": run.id,
        "project_id": run.project_id,
        "question": run.question,
        "method": run.method,
        "tie_policy": run.tie_policy,
        "threshold": run.threshold,
        "n_items": run.n_items,
        "n_labels": run.n_labels,
        "n_review": run.n_review,
        "iterations": run.iterations,
        "converged": run.converged,
        "log_likelihood": run.log_likelihood,
        "period": {"from": run.period_from, "to": run.period_to},
        "created_at": run.created_at,
    }
