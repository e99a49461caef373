"""The project quality report for a period: gold accuracy, agreement, QA scores and the aggregation summary.

One streaming Core query loads the period's labels as integer columns; everything after is vectorised.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from safetyops.auth.policies import readable_project
from safetyops.auth.principal import Principal
from safetyops.projects.schemas import DataCredit
from safetyops.quality.enums import IntervalMethod
from safetyops.quality.frame import on_gold, period_bounds, question_info
from safetyops.quality.loading import labeler_info, latest_run, load_gold, load_labels, run_summary
from safetyops.quality.models import ExpertDecision, ExpertReview
from safetyops.quality.rates import agreement_stats, grouped_rates, rate_row
from safetyops.quality.review import score_verdicts, verdict_rows
from safetyops.quality.scope import scope_of


def project_report(
    session: Session,
    principal: Principal,
    project_id: int,
    *,
    date_from: date | None = None,
    date_to: date | None = None,
    question: str | None = None,
    method: str = IntervalMethod.WILSON,
    bootstrap: int = 1000,
) -> dict[str, Any]:
    """Everything an ops manager checks on a project's quality for a period, as one JSON-ready dict."""
    project = readable_project(session, principal, project_id)
    scope = scope_of(principal)
    q = question_info(project.taxonomy, question)
    start, end = period_bounds(project.reporting_tz, date_from, date_to)
    frame = load_labels(session, project, q, start, end, scope)
    gold = load_gold(session, project, q)
    info = labeler_info(session, frame.labeler_codes()[0].tolist())

    # accuracy against gold
    gold_rows, truth = on_gold(frame, gold)
    right = frame.codes[gold_rows] == truth
    labs = frame.labelers[gold_rows]
    lab_ids = np.array(sorted(info), np.int64)
    lab_vendor = np.array([info[i].vendor_id for i in lab_ids.tolist()], np.int64)
    vendors = lab_vendor[np.searchsorted(lab_ids, labs)] if len(labs) else np.zeros(0, np.int64)
    accuracy = {
        "overall": rate_row(project.id, project.name, int(right.sum()), len(right), method),
        "per_labeler": grouped_rates(labs, right, {i: v.name for i, v in info.items()}, method),
        "per_vendor": grouped_rates(vendors, right, {v.vendor_id: v.vendor for v in info.values()}, method),
        "n_gold_items": len(gold),
    }

    # agreement over non-gold items
    agreement = agreement_stats(frame.without(gold_rows), bootstrap=bootstrap, with_pairwise=False)

    qa = score_verdicts(session, verdict_rows(session, project, scope, start, end), method, project.id, project.name)

    run = latest_run(session, project.id, q.key)
    aggregation: dict[str, Any] | None = None
    if run is not None:
        decided = select(ExpertDecision.review_id)
        open_reviews = session.scalar(
            select(func.count()).where(ExpertReview.run_id == run.id, ExpertReview.id.not_in(decided))
        )
        aggregation = {**run_summary(run), "open_reviews": int(open_reviews or 0)}
    report: dict[str, Any] = {
        "project": {"id": project.id, "name": project.name},
        "period": {"from": date_from, "to": date_to, "tz": project.reporting_tz},
        "question": q.key,
        "scope": scope.as_dict(),
        "n_labels": len(frame),
        "n_items": len(frame.item_codes()[0]),
        "n_labelers": len(info),
        "unanswered": frame.unanswered,
        "accuracy": accuracy,
        "agreement": {k: agreement[k] for k in ("level", "n_items", "percent", "fleiss", "alpha", "ac1")},
        "qa": qa,
        "aggregation": aggregation,
    }
    if project.data_credit is not None:
        report["data_credit"] = DataCredit.model_validate(project.data_credit).text()
    return report
