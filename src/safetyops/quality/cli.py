"""`safetyops stats …`: agreement, aggregation, accuracy and sample-size statistics on any file."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from safetyops.auth.principal import SYSTEM
from safetyops.cli_support import friendly_errors
from safetyops.quality import aggregation as agg
from safetyops.quality import agreement as ag
from safetyops.quality import cohen, intervals
from safetyops.quality.tabular import LabelFileError, LabelRows, read_count_table, read_gold, read_label_rows

stats_app = typer.Typer(help="Statistics on any CSV of item,rater,label rows.", no_args_is_help=True)

_out = Console(soft_wrap=True)
_err = Console(stderr=True, soft_wrap=True)
SMOOTHING_HELP = "Dawid–Skene (ds): added to every count (a Dirichlet prior); 0 = the plain maximum-likelihood fit."


class Metric(StrEnum):
    percent = "percent"
    cohen = "cohen"
    fleiss = "fleiss"
    alpha = "alpha"
    ac1 = "ac1"


class LevelOpt(StrEnum):
    nominal = "nominal"
    ordinal = "ordinal"
    interval = "interval"
    ratio = "ratio"


class WeightsOpt(StrEnum):
    linear = "linear"
    quadratic = "quadratic"


class Method(StrEnum):
    mv = "mv"
    weighted = "weighted"
    ds = "ds"


class TieOpt(StrEnum):
    expert_review = "expert_review"
    severity = "severity"


class IntervalOpt(StrEnum):
    wilson = "wilson"
    clopper_pearson = "clopper-pearson"


@contextmanager
def _clean_errors() -> Iterator[None]:
    """Bad input → one line on stderr and exit code 2, never a traceback."""
    try:
        yield
    except (LabelFileError, ValueError) as exc:
        _err.print(f"error: {exc}", markup=False, highlight=False)
        raise typer.Exit(2) from None


def _split(text: str | None) -> list[str] | None:
    return [p.strip() for p in text.split(",") if p.strip()] if text else None


def _show(title: str, data: dict[str, Any], as_json: bool) -> None:
    """Print a result as JSON, or as a two-column Rich table."""
    if as_json:
        sys.stdout.write(json.dumps(data, default=_jsonable) + "\n")
        return
    table = Table(title=title, show_header=False)
    for key, value in data.items():
        if value is not None and not isinstance(value, list | dict):
            table.add_row(key, f"{value:.6g}" if isinstance(value, float) else str(value))
    _out.print(table)


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value)}")


# ------------------------------------------------------------------------------------------ agreement


def _is_numeric(rows: LabelRows) -> bool:
    try:
        rows.numeric_labels()
    except LabelFileError:
        return False
    return True


def _from_table(
    path: Path, metric: Metric, level: LevelOpt, weights: WeightsOpt | None, bootstrap: int, confidence: float
) -> tuple[ag.AgreementResult, dict[str, Any]]:
    table = read_count_table(path)
    counts = table.counts
    if metric is Metric.cohen:
        if counts.shape[0] != counts.shape[1]:
            raise LabelFileError(
                path,
                f"Cohen's κ needs a square table, got {counts.shape[0]} rows × {counts.shape[1]} columns",
            )
        return cohen.cohen_kappa_table(counts, weights.value if weights else None, confidence), {}
    if metric is Metric.alpha and level is not LevelOpt.nominal:
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
        ), {}
    return _from_counts(metric, level, counts, None, bootstrap, confidence), {}


def _float_ok(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _from_counts(
    metric: Metric, level: LevelOpt, counts: Any, n_raters: int | None, bootstrap: int, confidence: float
) -> ag.AgreementResult:
    if metric is Metric.fleiss:
        return ag.fleiss_kappa(counts, confidence, bootstrap, n_raters=n_raters)
    if metric is Metric.ac1:
        return ag.gwet_ac1(counts, confidence, n_raters=n_raters)
    if metric is Metric.alpha:
        return ag.krippendorff_alpha_counts(
            counts, None, level.value, n_raters=n_raters or 0, bootstrap=bootstrap, confidence=confidence
        )
    return ag.percent_agreement_result(counts, confidence, bootstrap, n_raters=n_raters)


def _from_rows(
    path: Path,
    metric: Metric,
    level: LevelOpt,
    weights: WeightsOpt | None,
    categories: list[str] | None,
    bootstrap: int,
    confidence: float,
) -> tuple[ag.AgreementResult, dict[str, Any]]:
    rows = read_label_rows(path)
    numeric = (metric is Metric.alpha and level is not LevelOpt.nominal) or (categories is None and _is_numeric(rows))
    enc = rows.encode(categories, numeric=numeric)
    keep = cohen.unique_pairs(enc.items, enc.raters, enc.n_raters)
    extra: dict[str, Any] = {"dropped_repeats": len(enc.items) - len(keep)}
    items, raters, labels = enc.items[keep], enc.raters[keep], enc.labels[keep]
    if metric is Metric.cohen:
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
        ), extra
    counts = ag.count_matrix(items, labels, enc.n_items, enc.n_classes)
    if metric is Metric.alpha:
        values = enc.classes.astype(np.float64) if numeric else None
        return ag.krippendorff_alpha_counts(
            counts, values, level.value, n_raters=enc.n_raters, bootstrap=bootstrap, confidence=confidence
        ), extra
    return _from_counts(metric, level, counts, enc.n_raters, bootstrap, confidence), extra


@stats_app.command(
    epilog="Example: safetyops stats agreement labels.csv --metric alpha --level ordinal --json",
)
def agreement(
    file: Path = typer.Argument(..., help="CSV of item,rater,label rows (or a count table with --table)."),
    metric: Metric = typer.Option(Metric.alpha, "--metric", help="Statistic to compute."),
    level: LevelOpt = typer.Option(LevelOpt.nominal, "--level", help="Measurement level for α."),
    weights: WeightsOpt | None = typer.Option(None, "--weights", help="Weighted Cohen's κ."),
    categories: str | None = typer.Option(None, "--categories", help="Full category list, e.g. A,B,C."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    bootstrap: int = typer.Option(1000, "--bootstrap", min=0, help="Resamples for bootstrap CIs (0: none)."),
    table: bool = typer.Option(
        False,
        "--table",
        help="FILE is a count table (Fleiss: items × categories; Cohen: square rater-1 × rater-2).",
    ),
    confidence: float = typer.Option(0.95, "--confidence", help="Confidence level of the interval."),
) -> None:
    """Agreement between raters: percent, Cohen's κ, Fleiss' κ, Krippendorff's α or Gwet's AC1."""
    with _clean_errors():
        if table:
            result, extra = _from_table(file, metric, level, weights, bootstrap, confidence)
        else:
            result, extra = _from_rows(file, metric, level, weights, _split(categories), bootstrap, confidence)
    if extra.get("dropped_repeats"):
        _err.print(f"note: {extra['dropped_repeats']} repeated (item, rater) rows ignored; the first was kept")
    data = {"file": str(file), **result.as_dict(), **extra}
    _show(f"{metric.value} agreement", data, as_json)


# ----------------------------------------------------------------------------------------- aggregate


def _gold_codes(path: Path, enc: agg.EncodedLabels) -> tuple[np.ndarray, np.ndarray]:
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
    method: Method,
    tie: TieOpt,
    severity: list[int] | None,
    threshold: float,
    gold: tuple[np.ndarray, np.ndarray] | None,
    smoothing: float = agg.DS_SMOOTHING,
) -> agg.AggregationResult:
    kw: dict[str, Any] = {"tie": tie.value, "severity_order": severity, "threshold": threshold}
    if method is Method.mv:
        return agg.majority_vote(enc.items, enc.labels, enc.n_items, enc.n_classes, **kw)
    if method is Method.ds:
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


@stats_app.command(
    epilog="Example: safetyops stats aggregate labels.csv --method ds --threshold 0.7 --out final.csv",
)
def aggregate(
    file: Path = typer.Argument(..., help="CSV of item,rater,label rows."),
    method: Method = typer.Option(
        Method.mv, "--method", help="mv: majority; weighted: by rater accuracy; ds: Dawid–Skene."
    ),
    out: Path | None = typer.Option(None, "--out", help="Write item,label,confidence,needs_review,tied CSV."),
    tie: TieOpt = typer.Option(TieOpt.expert_review, "--tie", help="What a tied vote gets."),
    severity_order: str | None = typer.Option(
        None, "--severity-order", help="Labels, most severe first, e.g. severe,mild,none."
    ),
    threshold: float = typer.Option(0.7, "--threshold", help="Below this confidence an item needs review."),
    gold: Path | None = typer.Option(None, "--gold", help="CSV of item,label gold answers (weighted, ds)."),
    smoothing: float = typer.Option(agg.DS_SMOOTHING, "--smoothing", help=SMOOTHING_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object with every item."),
) -> None:
    """Final label per item with its confidence; low-confidence or tied items are listed for expert review."""
    with _clean_errors():
        enc = read_label_rows(file).encode()
        order = _split(severity_order)
        severity = None
        if order is not None:
            known = {str(c): i for i, c in enumerate(enc.classes.tolist())}
            missing = [o for o in order if o not in known]
            if missing:
                raise ValueError(f"--severity-order: {missing[0]!r} is not a label in {file}")
            severity = [known[o] for o in order]
        gold_codes = _gold_codes(gold, enc) if gold is not None else None
        res = _aggregate(enc, method, tie, severity, threshold, gold_codes, smoothing)
        if out is not None:
            _write_labels(out, enc, res)
    _show_aggregate(file, enc, res, as_json)


def _show_aggregate(file: Path, enc: agg.EncodedLabels, res: agg.AggregationResult, as_json: bool) -> None:
    names = np.append(enc.classes.astype(str), "")[res.labels]
    review = enc.item_ids[res.review_items].astype(str).tolist()
    summary: dict[str, Any] = {
        "file": str(file),
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
    if as_json:
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
        sys.stdout.write(json.dumps({**summary, "needs_review": review, "items": items}) + "\n")
        return
    _show(f"{res.method} aggregation", summary, False)
    table = Table("item", "label", "confidence", "needs review", title="items (first 50)")
    for i in range(min(enc.n_items, 50)):
        table.add_row(
            str(enc.item_ids[i]),
            names[i] or "—",
            f"{res.confidence[i]:.3f}",
            "yes" if res.needs_review[i] else "",
        )
    _out.print(table)


# -------------------------------------------------------------------------------- accuracy, sizes


@stats_app.command(epilog="Example: safetyops stats accuracy --correct 182 --total 200 --method wilson")
def accuracy(
    correct: int = typer.Option(..., "--correct", min=0, help="Labels judged correct."),
    total: int = typer.Option(..., "--total", min=0, help="Labels audited."),
    method: IntervalOpt = typer.Option(IntervalOpt.wilson, "--method", help="Interval method."),
    confidence: float = typer.Option(0.95, "--confidence", help="Confidence level."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Accuracy with its confidence interval (Wilson or exact Clopper–Pearson)."""
    with _clean_errors():
        if correct > total:
            raise typer.BadParameter(f"--correct ({correct}) cannot exceed --total ({total})")
        result = intervals.proportion_ci(correct, total, method.value, confidence)
    _show("accuracy", result.as_dict(), as_json)


@stats_app.command(
    "sample-size",
    epilog="Example: safetyops stats sample-size --accuracy 0.9 --margin 0.03 --population 20000",
)
def sample_size(
    accuracy: float = typer.Option(..., "--accuracy", help="Expected accuracy (0.5 if unknown: the largest n)."),
    margin: float = typer.Option(..., "--margin", help="Half-width of the interval, e.g. 0.05 for ±5 points."),
    population: int | None = typer.Option(None, "--population", min=1, help="Items in the batch (FPC)."),
    confidence: float = typer.Option(0.95, "--confidence", help="Confidence level."),
    max_error_rate: float | None = typer.Option(
        None, "--max-error-rate", help="Also give the zero-defect plan for this error rate."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Items to audit to know accuracy to ±margin (normal approximation with finite-population correction)."""
    with _clean_errors():
        n = intervals.audit_sample_size(accuracy, margin, population, confidence)
        data: dict[str, Any] = {
            "accuracy": accuracy,
            "margin": margin,
            "population": population,
            "confidence": confidence,
            "n": n,
        }
        if max_error_rate is not None:
            data["zero_defect_n"] = intervals.zero_defect_sample_size(max_error_rate, confidence)
            data["max_error_rate"] = max_error_rate
    _show("audit sample size", data, as_json)


quality_app = typer.Typer(
    help="Quality of a project: gold accuracy, agreement, QA review, calibration.", no_args_is_help=True
)


# ------------------------------------------------------------------------------------------ `safetyops quality …`
# Commands over the database. They run as the operator (full access, like an admin); actions are audited
# with no actor.


def _dump(data: Any) -> None:
    sys.stdout.write(json.dumps(data, default=_db_jsonable) + "\n")


def _db_jsonable(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    return _jsonable(value)


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _rate(row: dict[str, Any]) -> str:
    if row.get("accuracy") is None:
        return f"— (n={row['n']})"
    return f"{row['accuracy']:.1%} [{row['ci_low']:.1%}, {row['ci_high']:.1%}] n={row['n']}"


def _rate_table(title: str, rows: list[dict[str, Any]]) -> Table:
    table = Table("id", "name", "n", "correct", "rate", "95% CI", title=title)
    for r in rows:
        ci = "—" if r["ci_low"] is None else f"{r['ci_low']:.1%} – {r['ci_high']:.1%}"
        rate = "—" if r["accuracy"] is None else f"{r['accuracy']:.1%}"
        table.add_row(str(r["key"]), str(r["name"]), str(r["n"]), str(r["correct"]), rate, ci)
    return table


def _project_id(ref: str) -> int:
    from safetyops.db.engine import session_scope
    from safetyops.projects.service import get_project

    with session_scope() as session:
        return get_project(session, ref).id


def _stat_line(name: str, res: dict[str, Any]) -> list[str]:
    ci = "—" if res.get("ci_low") is None else f"{res['ci_low']:.3f} – {res['ci_high']:.3f}"
    return [
        name,
        _fmt(res.get("value")),
        ci,
        _fmt(res.get("percent_agreement")),
        str(res.get("n_items")),
        res.get("reason") or "",
    ]


def _agreement_table(title: str, data: dict[str, Any]) -> Table:
    table = Table("statistic", "value", "95% CI", "% agreement", "items", "note", title=title)
    table.add_row(*_stat_line("percent agreement", data["percent"]))
    table.add_row(*_stat_line("Fleiss κ", data["fleiss"]))
    table.add_row(*_stat_line(f"Krippendorff α ({data['level']})", data["alpha"]))
    table.add_row(*_stat_line("Gwet AC1", data["ac1"]))
    return table


ProjectOpt = typer.Option(..., "--project", "-p", help="project id or name")
FromOpt = typer.Option(None, "--from", help="first day, YYYY-MM-DD (project's reporting time zone)")
ToOpt = typer.Option(None, "--to", help="last day (included), YYYY-MM-DD")
JsonOpt = typer.Option(False, "--json", help="print JSON instead of tables")
QuestionOpt = typer.Option(None, "--question", "-q", help="question key (default: the first categorical one)")


def _day(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        from safetyops.errors import InvalidInput

        raise InvalidInput(f"'{text}' is not a date (use YYYY-MM-DD)") from None


@quality_app.command("report")
@friendly_errors
def report_command(
    project: str = ProjectOpt,
    date_from: str = FromOpt,
    date_to: str = ToOpt,
    question: str = QuestionOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Project quality report for a period: gold accuracy, agreement, QA scores, aggregation.

    Example: safetyops quality report --project 1 --from 2026-11-01 --to 2026-11-07 --json
    """
    from safetyops.db.engine import session_scope
    from safetyops.quality.report import project_report

    pid = _project_id(project)
    with session_scope() as session:
        rep = project_report(session, SYSTEM, pid, date_from=_day(date_from), date_to=_day(date_to), question=question)
    if as_json:
        _dump(rep)
        return
    period = rep["period"]
    _out.print(
        f"[bold]{rep['project']['name']}[/] · question {rep['question']} · "
        f"{period['from'] or 'start'} → {period['to'] or 'now'} ({period['tz']})"
    )
    _out.print(f"{rep['n_labels']} labels on {rep['n_items']} items by {rep['n_labelers']} labelers")
    acc = rep["accuracy"]
    _out.print(f"accuracy vs gold ({acc['n_gold_items']} gold items): {_rate(acc['overall'])}")
    if acc["per_labeler"]:
        _out.print(_rate_table("accuracy vs gold per labeler", acc["per_labeler"]))
        _out.print(_rate_table("accuracy vs gold per vendor", acc["per_vendor"]))
    _out.print(_agreement_table("agreement (non-gold items)", rep["agreement"]))
    qa = rep["qa"]
    _out.print(f"QA score: {_rate(qa['overall'])} · technical errors excluded: {qa['technical_excluded']}")
    if qa["per_labeler"]:
        _out.print(_rate_table("QA score per labeler", qa["per_labeler"]))
        _out.print(_rate_table("QA score per vendor", qa["per_vendor"]))
    run = rep["aggregation"]
    if run is None:
        _out.print("aggregation: none yet (safetyops quality aggregate --project …)")
    else:
        _out.print(
            f"aggregation run {run['run_id']}: {run['method']}, {run['n_items']} items, "
            f"{run['n_review']} sent to review ({run['open_reviews']} open), iterations {run['iterations']}"
        )
    if rep.get("data_credit"):
        _out.print(f"data: {rep['data_credit']}")


@quality_app.command("accuracy")
@friendly_errors
def accuracy_command(
    project: str = ProjectOpt,
    date_from: str = FromOpt,
    date_to: str = ToOpt,
    question: str = QuestionOpt,
    group_by: str = typer.Option("labeler", "--by", help="labeler | vendor | site | project | policy | day"),
    method: IntervalOpt = typer.Option(IntervalOpt.wilson, "--method"),
    against: str = typer.Option("gold", "--against", help="gold | final (the newest aggregation's labels)"),
    as_json: bool = JsonOpt,
) -> None:
    """Accuracy against gold (or final labels) per group, and per-class precision/recall/F1.

    Example: safetyops quality accuracy --project 1 --by vendor
    """
    from safetyops.db.engine import session_scope
    from safetyops.quality import service

    pid = _project_id(project)
    with session_scope() as session:
        res = service.accuracy(
            session,
            SYSTEM,
            pid,
            question=question,
            date_from=_day(date_from),
            date_to=_day(date_to),
            group_by=group_by,
            method=method.value,
            against=against,
        )
    if as_json:
        _dump(res)
        return
    _out.print(f"overall: {_rate(res['overall'])}")
    _out.print(_rate_table(f"accuracy vs gold per {group_by}", res["groups"]))
    table = Table("class", "support", "precision", "recall", "F1", title="per class")
    for c in res["per_class"]:
        table.add_row(c["class"], str(c["support"]), _fmt(c["precision"]), _fmt(c["recall"]), _fmt(c["f1"]))
    _out.print(table)


@quality_app.command("agreement")
@friendly_errors
def agreement_command(
    project: str = ProjectOpt,
    date_from: str = FromOpt,
    date_to: str = ToOpt,
    question: str = QuestionOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Percent agreement, Fleiss κ, Krippendorff α, Gwet AC1 and the pairwise labeler matrix.

    Example: safetyops quality agreement --project "ConvAbuse demo"
    """
    from safetyops.db.engine import session_scope
    from safetyops.quality import service

    pid = _project_id(project)
    with session_scope() as session:
        res = service.agreement(
            session, SYSTEM, pid, question=question, date_from=_day(date_from), date_to=_day(date_to)
        )
    if as_json:
        _dump(res)
        return
    _out.print(_agreement_table(f"agreement on '{res['question']}'", res))
    table = Table("labeler A", "labeler B", "items", "% agreement", "Cohen κ", title="pairwise")
    for r in res["pairwise"]:
        table.add_row(r["rater_a"], r["rater_b"], str(r["n"]), _fmt(r["percent_agreement"]), _fmt(r["kappa"]))
    _out.print(table)


@quality_app.command("aggregate")
@friendly_errors
def aggregate_command(
    project: str = ProjectOpt,
    method: Method = typer.Option(Method.ds, "--method"),
    tie: TieOpt = typer.Option(TieOpt.expert_review, "--tie"),
    threshold: float = typer.Option(0.0, "--threshold", help="items under this confidence go to expert review"),
    question: str = QuestionOpt,
    date_from: str = FromOpt,
    date_to: str = ToOpt,
    smoothing: float = typer.Option(agg.DS_SMOOTHING, "--smoothing", help=SMOOTHING_HELP),
    as_json: bool = JsonOpt,
) -> None:
    """Aggregate labels into stored final labels; low-confidence items enter the expert review queue.

    Example: safetyops quality aggregate --project 1 --method ds --threshold 0.7
    """
    from safetyops.db.engine import session_scope
    from safetyops.quality import service

    pid = _project_id(project)
    with session_scope() as session:
        res = service.run_aggregation(
            session,
            SYSTEM,
            pid,
            question=question,
            method=method.value,
            tie=tie.value,
            threshold=threshold,
            date_from=_day(date_from),
            date_to=_day(date_to),
            smoothing=smoothing,
        )
    if as_json:
        _dump(res)
        return
    _show("aggregation run", _flat(res), False)


def _flat(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if not isinstance(v, dict | list)}


@quality_app.command("qa-plan")
@friendly_errors
def qa_plan_command(
    project: str = ProjectOpt,
    day: str = typer.Option(..., "--day", help="reporting day, YYYY-MM-DD"),
    mode: str = typer.Option("rate", "--mode", help="rate (project qa_rate or --rate) | margin"),
    rate: float = typer.Option(None, "--rate"),
    expected_accuracy: float = typer.Option(0.9, "--accuracy"),
    margin: float = typer.Option(0.05, "--margin"),
    seed: int = typer.Option(None, "--seed"),
    as_json: bool = JsonOpt,
) -> None:
    """Sample each labeler's labels of one day for blind QA re-review.

    Example: safetyops quality qa-plan --project 1 --day 2026-11-20 --mode margin --accuracy 0.9 --margin 0.05
    """
    from safetyops.db.engine import session_scope
    from safetyops.quality import review

    pid = _project_id(project)
    day_value = _day(day)
    assert day_value is not None
    with session_scope() as session:
        res = review.create_plan(
            session,
            SYSTEM,
            pid,
            day_value,
            mode=mode,
            rate=rate,
            expected_accuracy=expected_accuracy,
            margin=margin,
            seed=seed,
        )
    if as_json:
        _dump(res)
        return
    table = Table("labeler", "labels that day", "to review", title=f"QA plan {res['plan_id']} ({mode})")
    for r in res["labelers"]:
        table.add_row(str(r["labeler_id"]), str(r["population"]), str(r["sample"]))
    _out.print(table)


@quality_app.command("model-import")
@friendly_errors
def model_import_command(
    project: str = ProjectOpt,
    file: Path = typer.Option(..., "--file", "-f", help="CSV or JSONL: external_id, policy, score or label"),
    name: str = typer.Option("", "--name"),
) -> None:
    """Import a model's predictions (all or nothing; problems name file, line and field).

    Example: safetyops quality model-import --project 1 --file preds.csv --name classifier-v3
    """
    from safetyops.db.engine import session_scope
    from safetyops.delivery import service as delivery
    from safetyops.errors import InvalidInput

    pid = _project_id(project)
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read {file}: {exc.strerror or exc}") from None
    with session_scope() as session:
        res = delivery.import_predictions(session, SYSTEM, pid, data, file.name, name)
    _out.print(f"imported {res['rows']} predictions as model run {res['model_run_id']}")


@quality_app.command("model-eval")
@friendly_errors
def model_eval_command(
    run: int = typer.Option(..., "--run", help="model run id (from model-import)"),
    threshold: float = typer.Option(0.5, "--threshold"),
    target_precision: float = typer.Option(0.9, "--target-precision"),
    question: str = QuestionOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Compare a model with the final human labels: P/R/F1 per policy, PR curve, threshold for a precision.

    Example: safetyops quality model-eval --run 1 --target-precision 0.95
    """
    from safetyops.db.engine import session_scope
    from safetyops.delivery import service as delivery

    with session_scope() as session:
        res = delivery.evaluate_model(
            session,
            SYSTEM,
            run,
            question=question,
            threshold=threshold,
            target_precision=target_precision,
        )
    if as_json:
        _dump(res)
        return
    table = Table("policy", "n", "precision", "recall", "F1", f"threshold @ P≥{target_precision}", title=res["name"])
    for p in res["policies"]:
        t = p["threshold_for_target"]
        table.add_row(
            p["policy"],
            str(p["n_compared"]),
            _fmt(p["precision"]),
            _fmt(p["recall"]),
            _fmt(p["f1"]),
            "—" if t is None else f"{t['threshold']:.3g} (recall {t['recall']:.3g})",
        )
    _out.print(table)


# ------------------------------------------------------------------------------------------ expert review queue


def _ids(text: str, what: str) -> list[int]:
    from safetyops.errors import InvalidInput

    parts = [p.strip() for p in text.split(",") if p.strip()]
    bad = [p for p in parts if not p.isdigit()]
    if bad or not parts:
        raise InvalidInput(f"{what} must be a comma-separated list of ids, e.g. 1,2,3 (got '{text}')")
    return [int(p) for p in parts]


@quality_app.command("review-queue")
@friendly_errors
def review_queue_command(
    project: str = ProjectOpt,
    include_resolved: bool = typer.Option(False, "--all", help="also list items an expert already resolved"),
    limit: int = typer.Option(200, "--limit", min=1, help="at most this many items"),
    as_json: bool = JsonOpt,
) -> None:
    """Items waiting for an expert: ties and low-confidence aggregation results (newest run first).

    Example: safetyops quality review-queue --project 1 --json
    """
    from safetyops.db.engine import session_scope
    from safetyops.quality import service

    pid = _project_id(project)
    with session_scope() as session:
        rows = service.review_queue(session, SYSTEM, pid, include_resolved=include_resolved, limit=limit)
    if as_json:
        _dump(rows)
        return
    table = Table(
        "review", "run", "item", "external id", "reason", "proposed", "confidence", "resolved",
        title=f"expert review queue ({len(rows)} items)",
    )  # fmt: skip
    for r in rows:
        table.add_row(
            str(r["review_id"]),
            str(r["run_id"]),
            str(r["item_id"]),
            str(r["external_id"]),
            str(r["reason"]),
            _fmt(r["proposed_label"]),
            _fmt(r["confidence"]),
            _fmt(r["resolved_label"]),
        )
    _out.print(table)


@quality_app.command("review-decide")
@friendly_errors
def review_decide_command(
    review_id: int = typer.Argument(..., help="review item id (from review-queue)"),
    label: str = typer.Option(..., "--label", "-l", help="the final label (one of the question's choices)"),
    by: str = typer.Option(
        ..., "--by", help="user id or name of the expert deciding (recorded on the decision; must be staff)"
    ),
    note: str = typer.Option("", "--note", help="why"),
    as_json: bool = JsonOpt,
) -> None:
    """Decide a review item's final label (append-only: the newest decision counts).

    The decision is recorded under the expert named by --by (a decision row needs a real user), and that
    user's role is checked like in the API.

    Example: safetyops quality review-decide 12 --label -1 --by expert1 --note "insult in context"
    """
    from safetyops.auth.service import get_user, principal_for_user
    from safetyops.db.engine import session_scope
    from safetyops.quality import service

    with session_scope() as session:
        principal = principal_for_user(session, get_user(session, by))
        res = service.resolve_review(session, principal, review_id, label, note)
    if as_json:
        _dump(res)
        return
    _out.print(f"review {res['review_id']} (item {res['item_id']}): final label {res['label']} by {principal.username}")


# ------------------------------------------------------------------------------------------ QA scores and disputes


@quality_app.command("qa-scores")
@friendly_errors
def qa_scores_command(
    project: str = ProjectOpt,
    date_from: str = FromOpt,
    date_to: str = ToOpt,
    method: IntervalOpt = typer.Option(IntervalOpt.wilson, "--method"),
    as_json: bool = JsonOpt,
) -> None:
    """QA scores per labeler and vendor (technical errors excluded, overturned verdicts count as correct).

    Example: safetyops quality qa-scores --project 1 --from 2026-11-01 --to 2026-11-07
    """
    from safetyops.db.engine import session_scope
    from safetyops.quality import review

    pid = _project_id(project)
    with session_scope() as session:
        res = review.qa_scores(
            session,
            SYSTEM,
            pid,
            date_from=_day(date_from),
            date_to=_day(date_to),
            method=method.value,
        )
    if as_json:
        _dump(res)
        return
    _out.print(
        f"QA score: {_rate(res['overall'])} · technical errors excluded: {res['technical_excluded']}"
        f" · overturned on dispute: {res['overturned']}"
    )
    if res["errors"]:
        _out.print("errors: " + ", ".join(f"{k} {v}" for k, v in sorted(res["errors"].items())))
    _out.print(_rate_table("QA score per labeler", res["per_labeler"]))
    _out.print(_rate_table("QA score per vendor", res["per_vendor"]))


@quality_app.command("qa-disputes")
@friendly_errors
def qa_disputes_command(project: str = ProjectOpt, as_json: bool = JsonOpt) -> None:
    """Disputes of QA verdicts in a project, with the verdict and the outcome (open when not decided yet).

    Example: safetyops quality qa-disputes --project 1 --json
    """
    from safetyops.db.engine import session_scope
    from safetyops.quality import review

    pid = _project_id(project)
    with session_scope() as session:
        rows = review.list_disputes(session, SYSTEM, pid)
    if as_json:
        _dump(rows)
        return
    table = Table(
        "dispute", "verdict", "labeler", "reviewer", "error type", "reason", "outcome",
        title=f"QA disputes ({len(rows)})",
    )  # fmt: skip
    for d in rows:
        v = d["verdict"]
        table.add_row(
            str(d["dispute_id"]),
            str(v["verdict_id"]),
            str(v["labeler_id"]),
            str(v["reviewer_id"]),
            _fmt(v["error_type"]),
            d["reason"],
            d["outcome"] or "open",
        )
    _out.print(table)


# ------------------------------------------------------------------------------------------ calibration


@quality_app.command("calibration-create")
@friendly_errors
def calibration_create_command(
    project: str = ProjectOpt,
    name: str = typer.Option(..., "--name", help="session title"),
    items: str = typer.Option(None, "--items", help="item ids chosen by hand, e.g. 1,2,3"),
    most_disputed: int = typer.Option(None, "--most-disputed", help="take the N most disputed items of the period"),
    date_from: str = FromOpt,
    date_to: str = ToOpt,
    question: str = QuestionOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Create a calibration session over items chosen by hand, or the most disputed items of a period.

    Example: safetyops quality calibration-create -p 1 --most-disputed 20 --from 2026-11-01 --to 2026-11-07 --name wk45
    """
    from safetyops.db.engine import session_scope
    from safetyops.errors import InvalidInput
    from safetyops.quality import calibration

    if (items is None) == (most_disputed is None):
        raise InvalidInput("give exactly one of --items 1,2,3 or --most-disputed N")
    if items is not None and (date_from is not None or date_to is not None):
        raise InvalidInput("--from/--to choose the period for --most-disputed; they do not apply to --items")
    if most_disputed is not None and most_disputed < 1:
        raise InvalidInput("--most-disputed must be at least 1")
    item_ids = _ids(items, "--items") if items is not None else None
    pid = _project_id(project)
    with session_scope() as session:
        res = calibration.create_session(
            session,
            SYSTEM,
            pid,
            question=question,
            title=name,
            item_ids=item_ids,
            disputed_from=_day(date_from),
            disputed_to=_day(date_to),
            count=most_disputed or 0,
        )
    if as_json:
        _dump(res)
        return
    _out.print(
        f"calibration session {res['session_id']} ({res['source']}, question {res['question']}): "
        f"{len(res['item_ids'])} items {', '.join(map(str, res['item_ids']))}"
    )


@quality_app.command("calibration-results")
@friendly_errors
def calibration_results_command(
    session_id: int = typer.Argument(..., help="calibration session id"),
    top: int = typer.Option(10, "--top", min=1, help="show this many most-disagreed items"),
    as_json: bool = JsonOpt,
) -> None:
    """Calibration results: accuracy per person against the key, group agreement, the items that split the group.

    Example: safetyops quality calibration-results 3 --json
    """
    from safetyops.db.engine import session_scope
    from safetyops.quality import calibration

    with session_scope() as session:
        res = calibration.results(session, SYSTEM, session_id)
    if as_json:
        _dump(res)
        return
    _out.print(
        f"calibration session {res['session_id']} · question {res['question']} · "
        f"{res['n_items']} items, {res['n_keyed']} keyed"
    )
    people = Table("user", "name", "answered", "n keyed", "correct", "accuracy", "95% CI", title="accuracy vs key")
    for p in res["people"]:
        ci = "—" if p["ci_low"] is None else f"{p['ci_low']:.1%} – {p['ci_high']:.1%}"
        acc = "—" if p["accuracy"] is None else f"{p['accuracy']:.1%}"
        people.add_row(
            str(p["user_id"]), _fmt(p["username"]), str(p["answered"]), str(p["n"]), str(p["correct"]), acc, ci
        )
    _out.print(people)
    group = {"level": res["level"], **res["group"]}
    table = Table("statistic", "value", "95% CI", "% agreement", "items", "note", title="group agreement")
    table.add_row(*_stat_line("percent agreement", group["percent"]))
    table.add_row(*_stat_line("Fleiss κ", group["fleiss"]))
    table.add_row(*_stat_line(f"Krippendorff α ({group['level']})", group["alpha"]))
    _out.print(table)
    split = Table("item", "answers", "agreement", "split", "key", title="most disagreed items")
    for it in res["items"][:top]:
        answers = ", ".join(f"{k}: {v}" for k, v in it["split"].items())
        split.add_row(str(it["item_id"]), str(it["n"]), _fmt(it["agreement"]), answers or "—", _fmt(it["key"]))
    _out.print(split)
