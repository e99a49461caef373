"""Quality use cases over the database: gold accuracy, agreement, aggregation runs and the expert review queue.

Labels are read with one streaming Core query per call into NumPy arrays (no ORM objects): the answer to one
question is turned into its choice's position in the taxonomy inside SQL, so the rows are plain integers.
Statistics use the latest label per (item, labeler): a correction supersedes the original.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import ColumnElement, Select, case, func, insert, select
from sqlalchemy.orm import Session

from safetyops.auth.audit import record
from safetyops.auth.enums import Role
from safetyops.auth.policies import LabelerPolicy, ProjectPolicy, QualityPolicy, deny, hidden, readable_project
from safetyops.auth.principal import Principal
from safetyops.errors import InvalidInput, NotFound, Problem
from safetyops.guidelines.enums import QuestionType
from safetyops.guidelines.taxonomy import Question, Taxonomy
from safetyops.projects.models import GoldAnswer, Item, Project
from safetyops.quality import aggregation as agg
from safetyops.quality import agreement as ag
from safetyops.quality.enums import AccuracyGroup, AggregationMethod, IntervalMethod, TiePolicy
from safetyops.quality.intervals import proportion_ci
from safetyops.quality.models import AggregationRun, ExpertDecision, ExpertReview, FinalLabel
from safetyops.work.models import Label
from safetyops.workforce.models import Labeler, Site, Vendor

IntArray = NDArray[np.int64]
GROUPS = tuple(g.value for g in AccuracyGroup)


def actor_of(principal: Principal) -> int | None:
    """The user id to record as the actor (None for the system principal, which is no user)."""
    return principal.user_id


# ------------------------------------------------------------------------------------------------ scope


@dataclass(frozen=True)
class Scope:
    """Whose labels a caller may see: one vendor's labelers, one labeler, or everyone (None)."""

    vendor_id: int | None = None
    labeler_id: int | None = None

    @property
    def restricted(self) -> bool:
        return self.vendor_id is not None or self.labeler_id is not None


def scope_of(principal: Principal) -> Scope:
    """Vendor isolation: vendor managers see their vendor's labelers, labelers themselves; requesters none."""
    if principal.role is Role.LABELER:
        return Scope(principal.vendor_id, principal.labeler_id if principal.labeler_id is not None else -1)
    if not QualityPolicy.can_read_labeler_data(principal):
        raise deny("labeler-level quality data is for ops, QA, policy experts and vendor managers")
    vendor = LabelerPolicy.vendor_filter(principal)
    return Scope(vendor, None)


# ------------------------------------------------------------------------------------------------ period


def period_bounds(tz: str, date_from: date | None, date_to: date | None) -> tuple[datetime | None, datetime | None]:
    """UTC bounds [from 00:00, to + 1 day 00:00) of a period of days cut in the project's reporting zone."""
    zone = ZoneInfo(tz or "UTC")
    if date_from and date_to and date_to < date_from:
        raise InvalidInput(
            f"the period ends ({date_to}) before it starts ({date_from})", [Problem("before 'from'", "to")]
        )
    start = datetime.combine(date_from, time(), zone).astimezone(UTC) if date_from else None
    end = datetime.combine(date_to + timedelta(days=1), time(), zone).astimezone(UTC) if date_to else None
    return start, end


def local_days(times: list[datetime], tz: str) -> list[str]:
    zone = ZoneInfo(tz or "UTC")
    return [t.astimezone(zone).date().isoformat() for t in times]


# ------------------------------------------------------------------------------------------------ taxonomy


@dataclass(frozen=True)
class QuestionInfo:
    """A categorical question: its choices in taxonomy order, their policies, and the severity order."""

    key: str
    type: str
    classes: tuple[str, ...]
    policies: tuple[str | None, ...]
    severities: tuple[int | None, ...]

    @property
    def level(self) -> str:
        return "ordinal" if self.type == QuestionType.ORDINAL.value else "nominal"

    def severity_order(self) -> list[int] | None:
        """Class codes from most to least severe (severity field first, else ordinal position), or None."""
        n = len(self.classes)
        if any(s is not None for s in self.severities):
            return sorted(range(n), key=lambda i: (-(self.severities[i] or 0), -i))
        if self.type == QuestionType.ORDINAL.value:
            return list(range(n - 1, -1, -1))
        return None

    def positive(self, policy: str) -> NDArray[np.bool_]:
        """Per class: does this choice mean the content violates `policy` (its policy, severity above 0)?"""
        return np.array(
            [p == policy and (s is None or s > 0) for p, s in zip(self.policies, self.severities, strict=True)]
        )


def question_info(project: Project, key: str | None) -> QuestionInfo:
    taxonomy = Taxonomy.model_validate(project.taxonomy)
    categorical = (QuestionType.SINGLE_CHOICE, QuestionType.ORDINAL)
    q: Question | None
    if key is None:
        q = next((q for q in taxonomy.questions if q.type in categorical), None)
        if q is None:
            raise InvalidInput("this project has no single-choice or ordinal question to measure")
    else:
        q = taxonomy.question(key)
        if q is None:
            keys = ", ".join(q.key for q in taxonomy.questions)
            raise InvalidInput(f"no question '{key}' in this project (questions: {keys})", [Problem("", "question")])
        if q.type not in categorical:
            raise InvalidInput(
                f"question '{key}' is {q.type.value}; quality statistics need a single-choice or ordinal question",
                [Problem("not categorical", "question")],
            )
    return QuestionInfo(
        q.key,
        q.type.value,
        tuple(c.value for c in q.choices),
        tuple(c.policy for c in q.choices),
        tuple(c.severity for c in q.choices),
    )


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


# ------------------------------------------------------------------------------------------------ loading


@dataclass(frozen=True, eq=False)
class LabelFrame:
    """The latest label per (item, labeler) as parallel integer arrays, sorted by (item, labeler);
    `codes` index `question.classes`."""

    question: QuestionInfo
    items: IntArray
    labelers: IntArray
    codes: IntArray
    unanswered: int = 0
    times: list[datetime] | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return len(self.items)

    def item_codes(self) -> tuple[IntArray, IntArray]:
        """Distinct item ids and each row's index into them (items are sorted: one pass, no sort)."""
        return sorted_codes(self.items)

    def labeler_codes(self) -> tuple[IntArray, IntArray]:
        """Distinct labeler ids and each row's index into them."""
        return small_codes(self.labelers)


def sorted_codes(values: IntArray) -> tuple[IntArray, IntArray]:
    """np.unique(values, return_inverse=True) for an already sorted array, in O(n)."""
    if len(values) == 0:
        return values.copy(), np.zeros(0, np.int64)
    starts = np.empty(len(values), bool)
    starts[0] = True
    np.not_equal(values[1:], values[:-1], out=starts[1:])
    return values[starts], np.cumsum(starts, dtype=np.int64) - 1


def small_codes(values: IntArray) -> tuple[IntArray, IntArray]:
    """np.unique(values, return_inverse=True) for non-negative ids of moderate size, by counting (no sort)."""
    if len(values) == 0:
        return values.copy(), np.zeros(0, np.int64)
    if values.min() < 0 or values.max() > 8 * len(values) + 1_000_000:
        uniq, inv = np.unique(values, return_inverse=True)
        return uniq, inv.reshape(-1).astype(np.int64)
    ids = np.flatnonzero(np.bincount(values)).astype(np.int64)
    lookup = np.zeros(int(ids[-1]) + 1, np.int64)
    lookup[ids] = np.arange(len(ids))
    return ids, lookup[values]


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


@dataclass(frozen=True)
class LabelerInfo:
    id: int
    name: str
    vendor_id: int
    vendor: str
    site_id: int | None
    site: str | None


def labeler_info(session: Session, ids: list[int]) -> dict[int, LabelerInfo]:
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


# ------------------------------------------------------------------------------------------------ accuracy


def rate_row(key: Any, name: str, correct: int, n: int, method: str, **extra: Any) -> dict[str, Any]:
    p = proportion_ci(int(correct), int(n), method)
    return {
        "key": key,
        "name": name,
        "n": p.n,
        "correct": p.k,
        "accuracy": p.value,
        "ci_low": p.ci_low,
        "ci_high": p.ci_high,
        "method": p.method,
        **({"reason": p.reason} if p.reason else {}),
        **extra,
    }


def grouped_rates(
    keys: NDArray[Any], correct: NDArray[np.bool_], names: dict[Any, str], method: str
) -> list[dict[str, Any]]:
    """One rate row per distinct key (sorted), with n, correct and the interval."""
    if len(keys) == 0:
        return []
    uniq, inv = np.unique(keys, return_inverse=True)
    n = np.bincount(inv.reshape(-1), minlength=len(uniq))
    k = np.bincount(inv.reshape(-1), weights=correct.astype(np.float64), minlength=len(uniq))
    return [
        rate_row(_plain(u), names.get(_plain(u), str(_plain(u))), int(kk), int(nn), method)
        for u, kk, nn in zip(uniq.tolist(), k.tolist(), n.tolist(), strict=True)
    ]


def _plain(x: Any) -> Any:
    return x.item() if isinstance(x, np.generic) else x


def class_metrics(truth: IntArray, pred: IntArray, classes: tuple[str, ...], method: str) -> dict[str, Any]:
    """Confusion matrix (rows: gold, columns: labels) and per-class precision, recall and F1."""
    k = len(classes)
    cm = np.bincount(truth * k + pred, minlength=k * k).reshape(k, k)
    per_class = []
    for i, c in enumerate(classes):
        tp, col, row = int(cm[i, i]), int(cm[:, i].sum()), int(cm[i, :].sum())
        prec, rec = proportion_ci(tp, col, method), proportion_ci(tp, row, method)
        f1 = (
            2 * prec.value * rec.value / (prec.value + rec.value)
            if prec.value is not None and rec.value is not None and prec.value + rec.value > 0
            else None
        )
        per_class.append(
            {
                "class": c,
                "support": row,
                "predicted": col,
                "precision": prec.value,
                "precision_ci": [prec.ci_low, prec.ci_high],
                "recall": rec.value,
                "recall_ci": [rec.ci_low, rec.ci_high],
                "f1": f1,
            }
        )
    return {"classes": list(classes), "confusion": cm.tolist(), "per_class": per_class}


def accuracy(
    session: Session,
    principal: Principal,
    project_id: int,
    *,
    question: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    group_by: str = "labeler",
    method: str = IntervalMethod.WILSON,
    against: str = "gold",
) -> dict[str, Any]:
    """Accuracy against gold (or the newest final labels) per labeler, vendor, site, project, policy or day,
    and per-class precision, recall, F1 and the confusion matrix (rows: reference, columns: labels)."""
    if group_by not in GROUPS:
        raise InvalidInput(f"group_by must be one of {', '.join(GROUPS)}", [Problem(group_by, "group_by")])
    if method not in ("wilson", "clopper-pearson"):
        raise InvalidInput("method must be wilson or clopper-pearson", [Problem(str(method), "method")])
    project = readable_project(session, principal, project_id)
    scope = scope_of(principal)
    q = question_info(project, question)
    start, end = period_bounds(project.reporting_tz, date_from, date_to)
    run_id = None
    if against == "gold":
        gold = load_gold(session, project, q)
    elif against == "final":
        run = latest_run(session, project.id, q.key)
        if run is None:
            raise InvalidInput(f"no final labels for question '{q.key}' yet: run an aggregation first")
        code = {v: i for i, v in enumerate(q.classes)}
        gold = {i: code[lb] for i, (lb, _) in final_labels(session, run).items() if lb in code}
        run_id = run.id
    else:
        raise InvalidInput("against must be gold or final", [Problem(against, "against")])
    frame = load_labels(
        session, project, q, start, end, scope, gold_only=against == "gold", with_times=group_by == "day"
    )
    has_gold = np.array([i in gold for i in frame.items.tolist()], bool)
    truth = np.array([gold.get(i, -1) for i in frame.items.tolist()], np.int64)[has_gold]
    pred, labelers = frame.codes[has_gold], frame.labelers[has_gold]
    right = pred == truth
    info = labeler_info(session, sorted(set(labelers.tolist())))
    names: dict[Any, str] = {}
    keys: NDArray[Any]
    if group_by == "labeler":
        keys, names = labelers, {i: v.name for i, v in info.items()}
    elif group_by == "vendor":
        keys = np.array([info[i].vendor_id for i in labelers.tolist()], np.int64)
        names = {v.vendor_id: v.vendor for v in info.values()}
    elif group_by == "site":
        keys = np.array([info[i].site_id or 0 for i in labelers.tolist()], np.int64)
        names = {v.site_id or 0: v.site or "(no site)" for v in info.values()}
    elif group_by == "project":
        keys, names = np.full(len(pred), project.id, np.int64), {project.id: project.name}
    elif group_by == "policy":
        keys = np.array([q.policies[t] or "(none)" for t in truth.tolist()], dtype=object).astype(str)
    else:
        assert frame.times is not None
        days = local_days(frame.times, project.reporting_tz)
        keys = np.array([d for d, g in zip(days, has_gold.tolist(), strict=True) if g], dtype=str)
    overall = rate_row(project.id, project.name, int(right.sum()), len(right), method)
    return {
        "project_id": project.id,
        "question": q.key,
        "period": {"from": date_from, "to": date_to, "tz": project.reporting_tz},
        "group_by": group_by,
        "against": against,
        "aggregation_run_id": run_id,
        "scope": _scope_dict(scope),
        "overall": overall,
        "groups": grouped_rates(keys, right, names, method),
        **class_metrics(truth, pred, q.classes, method),
    }


def _scope_dict(scope: Scope) -> dict[str, Any]:
    return {"vendor_id": scope.vendor_id, "labeler_id": scope.labeler_id}


# ------------------------------------------------------------------------------------------------ agreement


def agreement_stats(
    frame: LabelFrame, *, bootstrap: int = 1000, with_pairwise: bool = True, names: dict[int, str] | None = None
) -> dict[str, Any]:
    """Percent agreement, Fleiss κ, Krippendorff α (level from the question) and Gwet AC1 over the taxonomy."""
    q = frame.question
    k = len(q.classes)
    item_ids, item_codes = frame.item_codes()
    rater_ids, rater_codes = frame.labeler_codes()
    counts = ag.count_matrix(item_codes, frame.codes, len(item_ids), k)
    n_r = len(rater_ids)
    out: dict[str, Any] = {
        "question": q.key,
        "level": q.level,
        "categories": list(q.classes),
        "n_labels": len(frame),
        "n_items": len(item_ids),
        "n_labelers": n_r,
        "percent": ag.percent_agreement_result(counts, bootstrap=bootstrap, n_raters=n_r).as_dict(),
        "fleiss": ag.fleiss_kappa(counts, bootstrap=bootstrap, n_raters=n_r).as_dict(),
        "alpha": ag.krippendorff_alpha_counts(
            counts, np.arange(k, dtype=np.float64), q.level, n_raters=n_r, bootstrap=bootstrap
        ).as_dict(),
        "ac1": ag.gwet_ac1(counts, n_raters=n_r).as_dict(),
    }
    if with_pairwise:
        labels = [names.get(int(r), str(int(r))) if names else str(int(r)) for r in rater_ids]
        pw = ag.pairwise_agreement(item_codes, rater_codes, frame.codes, len(item_ids), n_r, k, labels)
        rows = pw.rows()
        for row, (a, b) in zip(rows, zip(*np.triu_indices(n_r, k=1), strict=True), strict=True):
            row["labeler_a"], row["labeler_b"] = int(rater_ids[a]), int(rater_ids[b])
        out["pairwise"] = [r for r in rows if r["n"] > 0]
    return out


def agreement(
    session: Session,
    principal: Principal,
    project_id: int,
    *,
    question: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    bootstrap: int = 1000,
) -> dict[str, Any]:
    """Agreement among the labels a caller may see (a vendor manager: among their own vendor's labelers)."""
    project = readable_project(session, principal, project_id)
    scope = scope_of(principal)
    q = question_info(project, question)
    start, end = period_bounds(project.reporting_tz, date_from, date_to)
    frame = load_labels(session, project, q, start, end, scope)
    info = labeler_info(session, sorted(set(frame.labelers.tolist())))
    stats = agreement_stats(frame, bootstrap=bootstrap, names={i: v.name for i, v in info.items()})
    return {
        "project_id": project.id,
        "period": {"from": date_from, "to": date_to, "tz": project.reporting_tz},
        "scope": _scope_dict(scope),
        **stats,
    }


# ------------------------------------------------------------------------------------------------ aggregation


METHODS = tuple(m.value for m in AggregationMethod)
DS_MAX_ITER = 1000


def aggregate_frame(
    frame: LabelFrame,
    gold: dict[int, int],
    method: str,
    tie: TiePolicy,
    threshold: float,
) -> tuple[IntArray, agg.AggregationResult, str | None]:
    """Aggregate a frame: the item ids (in result order), the result, and where weights came from."""
    q = frame.question
    k = len(q.classes)
    item_ids, items = frame.item_codes()
    rater_ids, raters = frame.labeler_codes()
    severity = q.severity_order()
    if tie == "severity" and severity is None:
        raise InvalidInput(
            f"question '{q.key}' has no severity order (no severities, not ordinal); use tie=expert_review",
            [Problem("no severity order", "tie")],
        )
    known = np.array(sorted(gold), np.int64)
    gold_pos = np.searchsorted(item_ids, known)
    hit = (gold_pos < len(item_ids)) & (item_ids[np.minimum(gold_pos, len(item_ids) - 1)] == known)
    g_items = gold_pos[hit].astype(np.int64)
    g_classes = np.array([gold[int(i)] for i in known[hit].tolist()], np.int64)
    source = None
    if method == "mv":
        res = agg.majority_vote(
            items, frame.codes, len(item_ids), k, tie=tie, severity_order=severity, threshold=threshold
        )
    elif method == "weighted":
        reference = np.full(len(item_ids), -1, np.int64)
        if len(g_items):
            reference[g_items], source = g_classes, "gold"
        else:
            reference = agg.majority_vote(items, frame.codes, len(item_ids), k).labels
            source = "majority vote"
        acc = agg.rater_accuracy(items, raters, frame.codes, reference, len(rater_ids))
        res = agg.weighted_vote(
            items, raters, frame.codes, len(item_ids), k, acc, tie=tie, severity_order=severity, threshold=threshold
        )
    elif method == "ds":
        res = agg.dawid_skene(
            items,
            raters,
            frame.codes,
            len(item_ids),
            len(rater_ids),
            k,
            gold=(g_items, g_classes),
            max_iter=DS_MAX_ITER,
            threshold=threshold,
            tie=tie,
            severity_order=severity,
        )
    else:
        raise InvalidInput(f"method must be one of {', '.join(METHODS)}", [Problem(method, "method")])
    if tie == "severity":
        # a tie settled by the severity order is decided: only missing or low-confidence labels need an expert
        res = replace(res, needs_review=(res.labels < 0) | (res.confidence < threshold))
    return item_ids, res, source


def run_aggregation(
    session: Session,
    principal: Principal,
    project_id: int,
    *,
    question: str | None = None,
    method: str = "ds",
    tie: str = "expert_review",
    threshold: float = 0.0,
    date_from: date | None = None,
    date_to: date | None = None,
) -> dict[str, Any]:
    """Aggregate every labeled item into a stored final label; low-confidence items enter expert review."""
    QualityPolicy.can_aggregate.require(principal)
    project = readable_project(session, principal, project_id)
    if tie not in ("expert_review", "severity"):
        raise InvalidInput("tie must be expert_review or severity", [Problem(tie, "tie")])
    if not 0.0 <= threshold <= 1.0:
        raise InvalidInput("threshold must be within [0, 1]", [Problem(str(threshold), "threshold")])
    q = question_info(project, question)
    start, end = period_bounds(project.reporting_tz, date_from, date_to)
    frame = load_labels(session, project, q, start, end)
    if len(frame) == 0:
        raise InvalidInput(f"no labels on question '{q.key}' in this period: nothing to aggregate")
    gold = load_gold(session, project, q)
    item_ids, res, source = aggregate_frame(frame, gold, method, tie, threshold)  # type: ignore[arg-type]
    run = AggregationRun(
        project_id=project.id,
        question=q.key,
        method=method,
        tie_policy=tie,
        threshold=threshold,
        n_items=len(item_ids),
        n_labels=len(frame),
        n_review=int(res.needs_review.sum()),
        iterations=res.iterations,
        converged=res.converged,
        log_likelihood=res.log_likelihood,
        period_from=date_from,
        period_to=date_to,
        created_by=actor_of(principal),
    )
    session.add(run)
    session.flush()
    classes = q.classes
    labels = [classes[c] if c >= 0 else None for c in res.labels.tolist()]
    conf = res.confidence.tolist()
    review = res.needs_review.tolist()
    ids = item_ids.tolist()
    rows = [
        {"run_id": run.id, "item_id": i, "label": lb, "confidence": c, "needs_review": r}
        for i, lb, c, r in zip(ids, labels, conf, review, strict=True)
    ]
    for s in range(0, len(rows), 20_000):
        session.execute(insert(FinalLabel), rows[s : s + 20_000])
    tied = res.tied.tolist()
    queue = [
        {
            "run_id": run.id,
            "project_id": project.id,
            "item_id": ids[j],
            "reason": "tie" if tied[j] else ("no_label" if labels[j] is None else "low_confidence"),
            "proposed_label": labels[j],
            "confidence": conf[j],
            "created_at": run.created_at,
        }
        for j in np.flatnonzero(res.needs_review).tolist()
    ]
    for s in range(0, len(queue), 20_000):
        session.execute(insert(ExpertReview), queue[s : s + 20_000])
    record(session, actor_of(principal), "quality.aggregate", "aggregation_run", run.id, {"method": method})
    out = run_summary(run)
    out["weights_from"] = source
    out["mean_confidence"] = float(res.confidence.mean()) if len(conf) else None
    return out


def run_summary(run: AggregationRun) -> dict[str, Any]:
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


def latest_run(session: Session, project_id: int, question: str | None = None) -> AggregationRun | None:
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


def list_final_labels(
    session: Session, principal: Principal, project_id: int, run_id: int | None = None, limit: int = 1000
) -> dict[str, Any]:
    project = readable_project(session, principal, project_id)
    run = session.get(AggregationRun, run_id) if run_id is not None else latest_run(session, project.id)
    if run is None or run.project_id != project.id:
        raise NotFound("no aggregation run for this project; run one first")
    labels = final_labels(session, run)
    ext = dict(session.execute(select(Item.id, Item.external_id).where(Item.id.in_(list(labels)[:limit]))).all())
    rows = [
        {"item_id": i, "external_id": ext.get(i), "label": lb, "confidence": c}
        for i, (lb, c) in itertools.islice(labels.items(), limit)
    ]
    return {"run": run_summary(run), "labels": rows}


# ------------------------------------------------------------------------------------------------ expert review


def review_queue(
    session: Session, principal: Principal, project_id: int, *, include_resolved: bool = False, limit: int = 200
) -> list[dict[str, Any]]:
    """Items waiting for an expert (newest run first); resolved ones only when asked."""
    QualityPolicy.can_read_review_queue.require(principal)
    project = readable_project(session, principal, project_id)
    stmt = (
        select(ExpertReview, Item.external_id, Item.content_text)
        .join(Item, Item.id == ExpertReview.item_id)
        .where(ExpertReview.project_id == project.id)
        .order_by(ExpertReview.run_id.desc(), ExpertReview.confidence, ExpertReview.id)
    )
    decisions: dict[int, str] = {}  # review id → the newest decision's label
    for rid, label in session.execute(
        select(ExpertDecision.review_id, ExpertDecision.label)
        .join(ExpertReview, ExpertReview.id == ExpertDecision.review_id)
        .where(ExpertReview.project_id == project.id)
        .order_by(ExpertDecision.id)
    ):
        decisions[int(rid)] = label
    out = []
    for review, external_id, content in session.execute(stmt):
        resolved = decisions.get(review.id)
        if resolved is not None and not include_resolved:
            continue
        out.append(
            {
                "review_id": review.id,
                "run_id": review.run_id,
                "item_id": review.item_id,
                "external_id": external_id,
                "content_text": content,
                "reason": review.reason,
                "proposed_label": review.proposed_label,
                "confidence": review.confidence,
                "resolved_label": resolved,
            }
        )
        if len(out) >= limit:
            break
    return out


def resolve_review(
    session: Session, principal: Principal, review_id: int, label: str, note: str = ""
) -> dict[str, Any]:
    """An expert decides an item's final label (a new decision row; the newest one counts)."""
    QualityPolicy.can_decide_review.require(principal)
    review = session.get(ExpertReview, review_id)
    if review is None or not ProjectPolicy.can_read(session, principal, review.project_id):
        raise hidden("review item", review_id)
    project = session.get_one(Project, review.project_id)
    run = session.get_one(AggregationRun, review.run_id)
    q = question_info(project, run.question)
    if label not in q.classes:
        raise InvalidInput(f"'{label}' is not among the choices {list(q.classes)}", [Problem("", "label")])
    decision = ExpertDecision(review_id=review.id, decided_by=principal.user_id, label=label, note=note)
    session.add(decision)
    session.flush()
    record(session, actor_of(principal), "quality.review.resolve", "expert_review", review.id, {"label": label})
    return {"decision_id": decision.id, "review_id": review.id, "item_id": review.item_id, "label": label}


# ------------------------------------------------------------------------------------------------ model evaluation


def import_predictions(
    session: Session, principal: Principal, project_id: int, data: bytes, filename: str, name: str = ""
) -> dict[str, Any]:
    """Store a model's predictions, all or nothing: any problem (with file, line, field) stores nothing."""
    from safetyops.quality.modeleval import FALSE_LABELS, TRUE_LABELS, parse_predictions
    from safetyops.quality.models import ModelPrediction, ModelRun

    QualityPolicy.can_import_model.require(principal)
    project = readable_project(session, principal, project_id)
    rows, problems = parse_predictions(data, filename)
    taxonomy = Taxonomy.model_validate(project.taxonomy)
    known_policies = {c.policy for q in taxonomy.questions for c in q.choices if c.policy}
    choice_values = {c.value for q in taxonomy.questions for c in q.choices}
    ids: dict[str, int] = {}
    wanted = sorted({r.external_id for r in rows})
    for s in range(0, len(wanted), 5000):
        chunk = wanted[s : s + 5000]
        ids.update(
            session.execute(
                select(Item.external_id, Item.id).where(Item.project_id == project.id, Item.external_id.in_(chunk))
            ).all()
        )
    for r in rows:
        if r.external_id not in ids:
            problems.add(Problem(f"no item '{r.external_id}' in this project", "external_id", r.line, filename))
        if r.policy not in known_policies:
            problems.add(
                Problem(
                    f"'{r.policy}' is not a policy of the taxonomy {sorted(known_policies)}", "policy", r.line, filename
                )
            )
        if r.label is not None and r.label not in choice_values and r.label.lower() not in TRUE_LABELS | FALSE_LABELS:
            problems.add(
                Problem(
                    f"label '{r.label}' is neither a choice of the taxonomy nor yes/no (or 1/0, true/false)",
                    "label",
                    r.line,
                    filename,
                )
            )
    if problems:
        more = f" (first {len(problems.items)} shown)" if problems.total > len(problems.items) else ""
        raise InvalidInput(f"{problems.total} problem(s) in {filename}; nothing was imported{more}", problems.items)
    fmt = "jsonl" if filename.lower().endswith((".jsonl", ".ndjson", ".json")) else "csv"
    run = ModelRun(
        project_id=project.id,
        name=name or filename,
        filename=filename,
        file_format=fmt,
        rows=len(rows),
        created_by=actor_of(principal),
    )
    session.add(run)
    session.flush()
    values = [
        {"run_id": run.id, "item_id": ids[r.external_id], "policy": r.policy, "score": r.score, "label": r.label}
        for r in rows
    ]
    for s in range(0, len(values), 20_000):
        session.execute(insert(ModelPrediction), values[s : s + 20_000])
    record(session, actor_of(principal), "quality.model.import", "model_run", run.id, {"rows": len(rows)})
    return {"model_run_id": run.id, "project_id": project.id, "name": run.name, "rows": len(rows)}


def evaluate_model(
    session: Session,
    principal: Principal,
    model_run_id: int,
    *,
    question: str | None = None,
    threshold: float = 0.5,
    target_precision: float = 0.9,
    top: int = 20,
) -> dict[str, Any]:
    """Compare a model's predictions with the newest final human labels, per policy."""
    from safetyops.quality import modeleval as me
    from safetyops.quality.models import ModelPrediction, ModelRun

    run = session.get(ModelRun, model_run_id)
    if run is None or not ProjectPolicy.can_read(session, principal, run.project_id):
        raise hidden("model run", model_run_id)
    project = session.get_one(Project, run.project_id)
    q = question_info(project, question)
    agg_run = latest_run(session, project.id, q.key)
    if agg_run is None:
        raise InvalidInput(f"no final labels for question '{q.key}' yet: run an aggregation first")
    human = final_labels(session, agg_run)
    code = {v: i for i, v in enumerate(q.classes)}
    preds = session.execute(
        select(ModelPrediction.item_id, ModelPrediction.policy, ModelPrediction.score, ModelPrediction.label).where(
            ModelPrediction.run_id == run.id
        )
    ).all()
    ext = dict(
        session.execute(
            select(Item.id, Item.external_id).where(
                Item.id.in_(select(ModelPrediction.item_id).where(ModelPrediction.run_id == run.id))
            )
        ).all()
    )
    by_policy: dict[str, list[tuple[int, float | None, str | None]]] = {}
    for item_id, policy, score, label in preds:
        by_policy.setdefault(policy, []).append((int(item_id), score, label))
    out_policies = []
    for policy in sorted(by_policy):
        positive = q.positive(policy)
        pos_choices = {c for c, p in zip(q.classes, positive.tolist(), strict=True) if p}
        choices = set(q.classes)
        rows = [
            (i, s, lb, human[i])
            for i, s, lb in by_policy[policy]
            if i in human and human[i][0] is not None and human[i][0] in code
        ]
        truth = np.array([bool(positive[code[h[0] or ""]]) for *_, h in rows], np.bool_)
        conf = np.array([h[1] for *_, h in rows], np.float64)
        scores = np.array([s if s is not None else np.nan for _, s, _, _ in rows], np.float64)
        decided = np.array(
            [
                (s >= threshold) if s is not None else bool(me.label_is_positive(lb or "", pos_choices, choices))
                for _, s, lb, _ in rows
            ],
            np.bool_,
        )
        has_score = ~np.isnan(scores)
        curve = me.pr_curve(truth[has_score], scores[has_score])
        model_p = np.where(has_score, scores, decided.astype(np.float64))
        gap = np.abs(model_p - truth.astype(np.float64)) * conf
        worst: list[int] = np.lexsort((np.array([r[0] for r in rows], np.int64), -gap))[:top].tolist() if rows else []
        out_policies.append(
            {
                "policy": policy,
                "positive_choices": sorted(pos_choices),
                "n_predictions": len(by_policy[policy]),
                "n_compared": len(rows),
                "threshold": threshold,
                **me.binary_metrics(truth, decided),
                "pr_curve": curve,
                "target_precision": target_precision,
                "threshold_for_target": me.threshold_for_precision(curve, target_precision),
                "disagreements": [
                    {
                        "item_id": rows[j][0],
                        "external_id": ext.get(rows[j][0]),
                        "model_score": rows[j][1],
                        "model_label": rows[j][2],
                        "human_label": rows[j][3][0],
                        "human_confidence": rows[j][3][1],
                        "disagreement": float(gap[j]),
                    }
                    for j in worst
                    if gap[j] > 0
                ],
            }
        )
    return {
        "model_run_id": run.id,
        "name": run.name,
        "project_id": project.id,
        "question": q.key,
        "aggregation_run_id": agg_run.id,
        "policies": out_policies,
    }
