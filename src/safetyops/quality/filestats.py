"""Agreement and aggregation of a label file: what `safetyops stats agreement|aggregate` compute (pure).

A file of item,rater,label rows (or a count table) goes in; the agreement or aggregation result comes out, with the
summary a person or a script reads. A problem in the file raises `LabelFileError` naming its file, line and field.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from safetyops.quality import aggregation as agg
from safetyops.quality import agreement as ag
from safetyops.quality import cohen
from safetyops.quality.enums import AggregationMethod, KappaWeights, Level, Metric, TiePolicy
from safetyops.quality.tabular import LabelFileError, LabelRows, read_count_table, read_gold, read_label_rows

# ------------------------------------------------------------------------------------------ agreement


def agreement_of_file(
    path: Path,
    metric: Metric,
    level: Level,
    weights: KappaWeights | None,
    categories: list[str] | None,
    bootstrap: int,
    confidence: float,
    *,
    table: bool,
) -> tuple[ag.AgreementResult, int]:
    """The agreement statistic of a label file (or of a count table), and how many repeated (item, rater) rows
    were dropped (the first of each is kept)."""
    if table:
        return _from_table(path, metric, level, weights, bootstrap, confidence), 0
    return _from_rows(path, metric, level, weights, categories, bootstrap, confidence)


def _is_numeric(rows: LabelRows) -> bool:
    try:
        rows.numeric_labels()
    except LabelFileError:
        return False
    return True


def _from_table(
    path: Path, metric: Metric, level: Level, weights: KappaWeights | None, bootstrap: int, confidence: float
) -> ag.AgreementResult:
    table = read_count_table(path)
    counts = table.counts
    if metric is Metric.COHEN:
        if counts.shape[0] != counts.shape[1]:
            raise LabelFileError(
                path,
                f"Cohen's κ needs a square table, got {counts.shape[0]} rows × {counts.shape[1]} columns",
            )
        return cohen.cohen_kappa_table(counts, weights.value if weights else None, confidence)
    if metric is Metric.ALPHA and level is not Level.NOMINAL:
        bad = [c for c in table.col_names if not _float_ok(c)]
        if bad:
            raise LabelFileError(
                path,
                f"category {bad[0]!r} is not a number ({level.value} α needs numeric categories)",
                1,
                bad[0],
            )
        values = np.asarray([float(c) for c in table.col_names])
        order = np.argsort(values)
        return ag.krippendorff_alpha_counts(
            counts[:, order], values[order], level.value, bootstrap=bootstrap, confidence=confidence
        )
    return _from_counts(metric, level, counts, None, bootstrap, confidence)


def _float_ok(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _from_counts(
    metric: Metric, level: Level, counts: Any, n_raters: int | None, bootstrap: int, confidence: float
) -> ag.AgreementResult:
    if metric is Metric.FLEISS:
        return ag.fleiss_kappa(counts, confidence, bootstrap, n_raters=n_raters)
    if metric is Metric.AC1:
        return ag.gwet_ac1(counts, confidence, n_raters=n_raters)
    if metric is Metric.ALPHA:
        return ag.krippendorff_alpha_counts(
            counts, None, level.value, n_raters=n_raters or 0, bootstrap=bootstrap, confidence=confidence
        )
    return ag.percent_agreement_result(counts, confidence, bootstrap, n_raters=n_raters)


def _from_rows(
    path: Path,
    metric: Metric,
    level: Level,
    weights: KappaWeights | None,
    categories: list[str] | None,
    bootstrap: int,
    confidence: float,
) -> tuple[ag.AgreementResult, int]:
    rows = read_label_rows(path)
    numeric = (metric is Metric.ALPHA and level is not Level.NOMINAL) or (categories is None and _is_numeric(rows))
    enc = rows.encode(categories, numeric=numeric)
    keep = cohen.unique_pairs(enc.items, enc.raters, enc.n_raters)
    dropped = len(enc.items) - len(keep)
    items, raters, labels = enc.items[keep], enc.raters[keep], enc.labels[keep]
    if metric is Metric.COHEN:
        if enc.n_raters != 2:
            names = ", ".join(map(str, enc.rater_ids[:5]))
            raise LabelFileError(
                path,
                f"Cohen's κ needs exactly two raters; found {enc.n_raters} ({names}). "
                "Use --metric fleiss, alpha or ac1 for more raters",
                None,
                "rater",
            )
        cols = cohen.rater_columns(items, raters, labels, enc.n_items, 2)
        return cohen.cohen_kappa(
            cols[:, 0], cols[:, 1], enc.n_classes, weights.value if weights else None, confidence
        ), dropped
    counts = ag.count_matrix(items, labels, enc.n_items, enc.n_classes)
    if metric is Metric.ALPHA:
        values = enc.classes.astype(np.float64) if numeric else None
        return ag.krippendorff_alpha_counts(
            counts, values, level.value, n_raters=enc.n_raters, bootstrap=bootstrap, confidence=confidence
        ), dropped
    return _from_counts(metric, level, counts, enc.n_raters, bootstrap, confidence), dropped


# ----------------------------------------------------------------------------------------- aggregate


@dataclass(frozen=True)
class FileAggregation:
    """Final labels of a label file: the summary, the items sent to review, and one row per item."""

    summary: dict[str, Any]
    needs_review: list[str]
    items: list[dict[str, Any]]


def aggregate_file(
    path: Path,
    method: AggregationMethod,
    tie: TiePolicy,
    severity_order: list[str] | None,
    threshold: float,
    gold: Path | None,
    out: Path | None,
    smoothing: float = agg.DS_SMOOTHING,
) -> FileAggregation:
    """Aggregate a label file into a final label per item (and write them as CSV to `out` when given).

    `smoothing` is Dawid–Skene's (method ds): added to every count; 0 is the plain maximum-likelihood fit.
    """
    enc = read_label_rows(path).encode()
    severity = None
    if severity_order is not None:
        known = {str(c): i for i, c in enumerate(enc.classes.tolist())}
        missing = [o for o in severity_order if o not in known]
        if missing:
            raise ValueError(f"--severity-order: {missing[0]!r} is not a label in {path}")
        severity = [known[o] for o in severity_order]
    gold_codes = _gold_codes(gold, enc) if gold is not None else None
    res = _aggregate(enc, method, tie, severity, threshold, gold_codes, smoothing)
    if out is not None:
        _write_labels(out, enc, res)
    return _result(path, enc, res)


def _gold_codes(path: Path, enc: agg.EncodedLabels) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    items, labels = read_gold(path)
    item_pos = {str(v): i for i, v in enumerate(enc.item_ids.tolist())}
    class_pos = {str(v): i for i, v in enumerate(enc.classes.tolist())}
    bad = [lab for lab in labels.tolist() if lab not in class_pos]
    if bad:
        raise LabelFileError(path, f"gold label {bad[0]!r} is not one of the labels in use", None, "label")
    pairs = [
        (item_pos[i], class_pos[lab]) for i, lab in zip(items.tolist(), labels.tolist(), strict=True) if i in item_pos
    ]
    arr = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    return arr[:, 0], arr[:, 1]


def _aggregate(
    enc: agg.EncodedLabels,
    method: AggregationMethod,
    tie: TiePolicy,
    severity: list[int] | None,
    threshold: float,
    gold: tuple[NDArray[np.int64], NDArray[np.int64]] | None,
    smoothing: float,
) -> agg.AggregationResult:
    kw: dict[str, Any] = {"tie": tie.value, "severity_order": severity, "threshold": threshold}
    if method is AggregationMethod.MAJORITY_VOTE:
        return agg.majority_vote(enc.items, enc.labels, enc.n_items, enc.n_classes, **kw)
    if method is AggregationMethod.DAWID_SKENE:
        return agg.dawid_skene(
            enc.items,
            enc.raters,
            enc.labels,
            enc.n_items,
            enc.n_raters,
            enc.n_classes,
            gold=gold,
            smoothing=smoothing,
            **kw,
        )
    reference = agg.majority_vote(enc.items, enc.labels, enc.n_items, enc.n_classes).labels
    if gold is not None:
        reference = np.full(enc.n_items, -1, np.int64)
        reference[gold[0]] = gold[1]
    acc = agg.rater_accuracy(enc.items, enc.raters, enc.labels, reference, enc.n_raters)
    return agg.weighted_vote(enc.items, enc.raters, enc.labels, enc.n_items, enc.n_classes, acc, **kw)


def _write_labels(path: Path, enc: agg.EncodedLabels, res: agg.AggregationResult) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["item", "label", "confidence", "needs_review", "tied"])
        names = np.append(enc.classes.astype(str), "")[res.labels]
        writer.writerows(
            zip(
                enc.item_ids.tolist(),
                names.tolist(),
                np.round(res.confidence, 6).tolist(),
                res.needs_review.tolist(),
                res.tied.tolist(),
                strict=True,
            )
        )


def _result(path: Path, enc: agg.EncodedLabels, res: agg.AggregationResult) -> FileAggregation:
    names = np.append(enc.classes.astype(str), "")[res.labels]
    review = enc.item_ids[res.review_items].astype(str).tolist()
    summary: dict[str, Any] = {
        "file": str(path),
        "method": res.method,
        "n_items": enc.n_items,
        "n_raters": enc.n_raters,
        "n_labels": len(enc.items),
        "n_tied": int(res.tied.sum()),
        "n_needs_review": len(review),
        "threshold": res.threshold,
    }
    if res.method == "ds":
        summary |= {
            "iterations": res.iterations,
            "converged": res.converged,
            "log_likelihood": res.log_likelihood,
        }
    items = [
        {"item": i, "label": lab or None, "confidence": c, "needs_review": r}
        for i, lab, c, r in zip(
            enc.item_ids.astype(str).tolist(),
            names.tolist(),
            res.confidence.tolist(),
            res.needs_review.tolist(),
            strict=True,
        )
    ]
    return FileAggregation(summary, review, items)
