"""Model evaluation, pure: read prediction files (CSV / JSONL) and compare a model's decisions on one policy
with the final human labels (confusion, precision/recall/F1 with intervals, PR curve, worst disagreements).

A prediction names an item (`external_id`), a `policy`, and a `score` in [0, 1] or a `label`. Every problem is
reported with file, line and field; the importing service stores nothing when there is any.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from safetyops.errors import Problem, ProblemList
from safetyops.quality.frame import QuestionInfo
from safetyops.quality.intervals import proportion_ci

TRUE_LABELS = frozenset({"1", "true", "yes", "positive", "violating", "y"})
FALSE_LABELS = frozenset({"0", "false", "no", "negative", "ok", "n", "non_violating"})


@dataclass(frozen=True)
class PredictionRow:
    line: int
    external_id: str
    policy: str
    score: float | None
    label: str | None


def _row(file: str, line: int, raw: dict[str, Any], problems: ProblemList) -> PredictionRow | None:
    bad = False
    ext = raw.get("external_id")
    policy = raw.get("policy")
    for name, value in (("external_id", ext), ("policy", policy)):
        if value is None or (isinstance(value, str) and not value.strip()):
            problems.add(Problem("required value is missing", name, line, file))
            bad = True
    score_raw, label_raw = raw.get("score"), raw.get("label")
    score: float | None = None
    if score_raw not in (None, ""):
        try:
            score = float(score_raw)
        except (TypeError, ValueError):
            problems.add(Problem(f"{score_raw!r} is not a number", "score", line, file))
            bad = True
        else:
            if isinstance(score_raw, bool) or not math.isfinite(score) or not 0.0 <= score <= 1.0:
                problems.add(Problem(f"score {score_raw!r} must be a number within [0, 1]", "score", line, file))
                bad = True
    label = None if label_raw in (None, "") else str(label_raw).strip()
    if score is None and label is None and not bad:
        problems.add(Problem("give a score (0–1) or a label", "score", line, file))
        bad = True
    if bad:
        return None
    return PredictionRow(line, str(ext).strip(), str(policy).strip(), score, label)


def parse_predictions(data: bytes, filename: str) -> tuple[list[PredictionRow], ProblemList]:
    """Rows of a CSV (header: external_id, policy, score and/or label) or JSONL file, and every problem.

    The rows that did parse are returned too, so the caller can add its own checks; store nothing if any problem.
    """
    problems = ProblemList()
    rows: list[PredictionRow] = []
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        problems.add(Problem(f"not UTF-8 text ({exc.reason})", file=filename))
        return [], problems
    lower = filename.lower()
    if lower.endswith((".jsonl", ".ndjson", ".json")):
        for n, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                problems.add(Problem(f"not valid JSON ({exc.msg})", None, n, filename))
                continue
            if not isinstance(obj, dict):
                problems.add(Problem("each line must be a JSON object", None, n, filename))
                continue
            row = _row(filename, n, obj, problems)
            if row:
                rows.append(row)
    elif lower.endswith((".csv", ".tsv")):
        reader = csv.DictReader(io.StringIO(text), delimiter="\t" if lower.endswith(".tsv") else ",")
        header = [h.strip() for h in reader.fieldnames or []]
        reader.fieldnames = header
        missing = [c for c in ("external_id", "policy") if c not in header]
        if not ({"score", "label"} & set(header)):
            missing.append("score or label")
        if missing:
            problems.add(
                Problem(f"missing column(s): {', '.join(missing)} (header: {','.join(header)})", None, 1, filename)
            )
            return [], problems
        for raw in reader:
            row = _row(filename, reader.line_num, {k: (v or "").strip() for k, v in raw.items() if k}, problems)
            if row:
                rows.append(row)
    else:
        problems.add(Problem("unknown file type; use .csv or .jsonl", file=filename))
        return [], problems
    seen: dict[tuple[str, str], int] = {}
    for r in rows:
        first = seen.setdefault((r.external_id, r.policy), r.line)
        if first != r.line:
            problems.add(
                Problem(f"repeats item {r.external_id} / {r.policy} of line {first}", "external_id", r.line, filename)
            )
    if not rows and not problems:
        problems.add(Problem("the file has no predictions", file=filename))
    return rows, problems


def label_is_positive(label: str, positive_choices: set[str], choices: set[str]) -> bool | None:
    """A model label as a decision: a choice value of the question (positive if that choice violates the
    policy), else a yes/no word; None if it is neither."""
    if label in choices:
        return label in positive_choices
    low = label.strip().lower()
    if low in TRUE_LABELS:
        return True
    if low in FALSE_LABELS:
        return False
    return None


def binary_metrics(truth: NDArray[np.bool_], pred: NDArray[np.bool_]) -> dict[str, Any]:
    """Confusion matrix, precision, recall and F1 (with n and Wilson intervals) of binary decisions."""
    tp = int((truth & pred).sum())
    fp = int((~truth & pred).sum())
    fn = int((truth & ~pred).sum())
    tn = int((~truth & ~pred).sum())
    prec, rec = proportion_ci(tp, tp + fp), proportion_ci(tp, tp + fn)
    f1 = (
        2 * prec.value * rec.value / (prec.value + rec.value)
        if prec.value is not None and rec.value is not None and prec.value + rec.value > 0
        else None
    )
    return {
        "n": len(truth),
        "confusion": {"tp": tp, "fp": fp, "fn": fn, "tn": tn},
        "precision": prec.value,
        "precision_ci": [prec.ci_low, prec.ci_high],
        "recall": rec.value,
        "recall_ci": [rec.ci_low, rec.ci_high],
        "f1": f1,
    }


def pr_curve(truth: NDArray[np.bool_], scores: NDArray[np.float64]) -> dict[str, list[float]]:
    """Precision and recall at each distinct score used as threshold (predict positive when score ≥ t)."""
    if len(scores) == 0 or not truth.any():
        return {"thresholds": [], "precision": [], "recall": []}
    order = np.argsort(-scores, kind="stable")
    s, t = scores[order], truth[order].astype(np.int64)
    tps, fps = np.cumsum(t), np.cumsum(1 - t)
    last = np.r_[np.flatnonzero(np.diff(s)), len(s) - 1]  # last index of each distinct score
    tp, fp = tps[last], fps[last]
    return {
        "thresholds": s[last].tolist(),
        "precision": (tp / (tp + fp)).tolist(),
        "recall": (tp / t.sum()).tolist(),
    }


def threshold_for_precision(curve: dict[str, list[float]], target: float) -> dict[str, Any] | None:
    """The threshold with the highest recall whose precision reaches `target` (None if none does)."""
    best = None
    for thr, p, r in zip(curve["thresholds"], curve["precision"], curve["recall"], strict=True):
        if p >= target and (best is None or r > best["recall"]):
            best = {"threshold": thr, "precision": p, "recall": r}
    return best


def evaluate_policy(
    q: QuestionInfo,
    policy: str,
    predictions: Sequence[tuple[int, float | None, str | None]],
    human: Mapping[int, tuple[str | None, float]],
    *,
    threshold: float,
    target_precision: float,
    top: int,
    external_ids: Mapping[int, str],
) -> dict[str, Any]:
    """A model's predictions (item id, score, label) on `policy` against the human final labels (item id →
    label, confidence) of question `q`: a human label is positive when its choice violates the policy.

    A score decides at `threshold`; a label decides as `label_is_positive` says. The PR curve uses scored
    items only. Disagreements are ranked by |model probability − human truth| × human confidence, then item id.
    """
    code = {v: i for i, v in enumerate(q.classes)}
    positive = q.positive(policy)
    pos_choices = {c for c, p in zip(q.classes, positive.tolist(), strict=True) if p}
    choices = set(q.classes)
    rows = [
        (i, s, lb, human[i])
        for i, s, lb in predictions
        if i in human and human[i][0] is not None and human[i][0] in code
    ]
    truth = np.array([bool(positive[code[h[0] or ""]]) for *_, h in rows], np.bool_)
    conf = np.array([h[1] for *_, h in rows], np.float64)
    scores = np.array([s if s is not None else np.nan for _, s, _, _ in rows], np.float64)
    decided = np.array(
        [
            (s >= threshold) if s is not None else bool(label_is_positive(lb or "", pos_choices, choices))
            for _, s, lb, _ in rows
        ],
        np.bool_,
    )
    has_score = ~np.isnan(scores)
    curve = pr_curve(truth[has_score], scores[has_score])
    model_p = np.where(has_score, scores, decided.astype(np.float64))
    gap = np.abs(model_p - truth.astype(np.float64)) * conf
    worst: list[int] = np.lexsort((np.array([r[0] for r in rows], np.int64), -gap))[:top].tolist() if rows else []
    return {
        "policy": policy,
        "positive_choices": sorted(pos_choices),
        "n_predictions": len(predictions),
        "n_compared": len(rows),
        "threshold": threshold,
        **binary_metrics(truth, decided),
        "pr_curve": curve,
        "target_precision": target_precision,
        "threshold_for_target": threshold_for_precision(curve, target_precision),
        "disagreements": [
            {
                "item_id": rows[j][0],
                "external_id": external_ids.get(rows[j][0]),
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
