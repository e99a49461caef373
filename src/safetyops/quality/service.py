"""Quality use cases over the database: gold accuracy, agreement, aggregation runs and the expert review queue.

Each use case checks access, reads through `quality.loading`, computes with the pure modules (`frame`, `rates`,
`aggregation`, `agreement`) and shapes the answer. QA review, calibration and the project report are the
sibling services `review`, `calibration` and `report`; model evaluation lives in `safetyops.delivery`.
"""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from safetyops.auth.audit import record
from safetyops.auth.policies import ProjectPolicy, QualityPolicy, hidden, readable_project
from safetyops.auth.principal import Principal
from safetyops.errors import InvalidInput, NotFound, Problem
from safetyops.projects.models import Item, Project
from safetyops.quality.aggregation import DS_SMOOTHING, aggregate_frame
from safetyops.quality.enums import AccuracyGroup, IntervalMethod
from safetyops.quality.frame import local_days, on_gold, period_bounds, question_info
from safetyops.quality.loading import final_labels, labeler_info, latest_run, load_gold, load_labels, run_summary
from safetyops.quality.models import AggregationRun, ExpertDecision, ExpertReview, FinalLabel
from safetyops.quality.rates import agreement_stats, class_metrics, grouped_rates, rate_row
from safetyops.quality.scope import actor_of, scope_of

GROUPS = tuple(g.value for g in AccuracyGroup)


# ------------------------------------------------------------------------------------------------ accuracy


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
    q = question_info(project.taxonomy, question)
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
    has_gold, truth = on_gold(frame, gold)
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
        "scope": scope.as_dict(),
        "overall": overall,
        "groups": grouped_rates(keys, right, names, method),
        **class_metrics(truth, pred, q.classes, method),
    }


# ------------------------------------------------------------------------------------------------ agreement


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
    q = question_info(project.taxonomy, question)
    start, end = period_bounds(project.reporting_tz, date_from, date_to)
    frame = load_labels(session, project, q, start, end, scope)
    info = labeler_info(session, sorted(set(frame.labelers.tolist())))
    stats = agreement_stats(frame, bootstrap=bootstrap, names={i: v.name for i, v in info.items()})
    return {
        "project_id": project.id,
        "period": {"from": date_from, "to": date_to, "tz": project.reporting_tz},
        "scope": scope.as_dict(),
        **stats,
    }


# ------------------------------------------------------------------------------------------------ aggregation


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
    smoothing: float = DS_SMOOTHING,
) -> dict[str, Any]:
    """Aggregate every labeled item into a stored final label; low-confidence items enter expert review.

    `smoothing` is Dawid–Skene's (method ds; 0 = the plain maximum-likelihood fit). The run row has no column
    for it yet: it is returned here and kept in the audit entry of the run.
    """
    QualityPolicy.can_aggregate.require(principal)
    project = readable_project(session, principal, project_id)
    if tie not in ("expert_review", "severity"):
        raise InvalidInput("tie must be expert_review or severity", [Problem(tie, "tie")])
    if not 0.0 <= threshold <= 1.0:
        raise InvalidInput("threshold must be within [0, 1]", [Problem(str(threshold), "threshold")])
    q = question_info(project.taxonomy, question)
    start, end = period_bounds(project.reporting_tz, date_from, date_to)
    frame = load_labels(session, project, q, start, end)
    if len(frame) == 0:
        raise InvalidInput(f"no labels on question '{q.key}' in this period: nothing to aggregate")
    gold = load_gold(session, project, q)
    item_ids, res, source = aggregate_frame(frame, gold, method, tie, threshold, smoothing)  # type: ignore[arg-type]
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
    ds_smoothing = smoothing if method == "ds" else None
    details = {"method": method, "smoothing": ds_smoothing}
    record(session, actor_of(principal), "quality.aggregate", "aggregation_run", run.id, details)
    out = run_summary(run)
    out["smoothing"] = ds_smoothing
    out["weights_from"] = source
    out["mean_confidence"] = float(res.confidence.mean()) if len(conf) else None
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
    q = question_info(project.taxonomy, run.question)
    if label not in q.classes:
        raise InvalidInput(f"'{label}' is not among the choices {list(q.classes)}", [Problem("", "label")])
    decision = ExpertDecision(review_id=review.id, decided_by=principal.user_id, label=label, note=note)
    session.add(decision)
    session.flush()
    record(session, actor_of(principal), "quality.review.resolve", "expert_review", review.id, {"label": label})
    return {"decision_id": decision.id, "review_id": review.id, "item_id": review.item_id, "label": label}
