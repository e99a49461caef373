"""Rates the quality services report, as JSON-ready rows: a rate with its n and interval, one per group,
per-class precision/recall/F1 with the confusion matrix, and the agreement block of a LabelFrame.
Pure: plain arrays and dataclasses in, dicts out; no database."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from safetyops.quality import agreement as ag
from safetyops.quality.cohen import pairwise_agreement
from safetyops.quality.frame import IntArray, LabelFrame
from safetyops.quality.intervals import proportion_ci


def rate_row(key: Any, name: str, correct: int, n: int, method: str, **extra: Any) -> dict[str, Any]:
    """One rate: n, correct, accuracy and its interval (with the reason when the interval is undefined)."""
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
        pw = pairwise_agreement(item_codes, rater_codes, frame.codes, len(item_ids), n_r, k, labels)
        rows = pw.rows()
        for row, (a, b) in zip(rows, zip(*np.triu_indices(n_r, k=1), strict=True), strict=True):
            row["labeler_a"], row["labeler_b"] = int(rater_ids[a]), int(rater_ids[b])
        out["pairwise"] = [r for r in rows if r["n"] > 0]
    return out
