"""`safetyops stats …`: agreement, aggregation, accuracy and sample-size statistics on any file (no database).

The commands import NumPy and the statistics modules when they run, so `--help` stays fast.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer

from safetyops.clikit import JSON, note, show, typer_app
from safetyops.errors import InvalidInput, Problem
from safetyops.quality.enums import AggregationMethod, IntervalMethod, KappaWeights, Level, Metric, TiePolicy

stats_app = typer_app()

# Dawid–Skene's smoothing option, shared with `quality aggregate`. Its default is aggregation.DS_SMOOTHING, written
# here because importing aggregation (NumPy) would slow --help; tests/quality/test_cli.py checks the two agree.
SMOOTHING = typer.Option(
    0.01,
    "--smoothing",
    help="Dawid–Skene (ds): added to every count (a Dirichlet prior); 0 = the plain maximum-likelihood fit.",
)


@contextmanager
def _bad_input() -> Iterator[None]:
    """A problem in the file or in the numbers (the pure modules raise ValueError) is bad input: exit code 2."""
    from safetyops.quality.tabular import LabelFileError

    try:
        yield
    except LabelFileError as exc:
        where = Problem(exc.message, field=exc.field, line=exc.line, file=exc.path)
        raise InvalidInput(f"cannot use {Path(exc.path).name}", [where]) from None
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None


def _split(text: str | None) -> list[str] | None:
    return [p.strip() for p in text.split(",") if p.strip()] if text else None


@stats_app.command(
    epilog="Example: safetyops stats agreement labels.csv --metric alpha --level ordinal --json",
)
def agreement(
    file: Path = typer.Argument(..., help="CSV of item,rater,label rows (or a count table with --table)."),
    metric: Metric = typer.Option(Metric.ALPHA, "--metric", help="Statistic to compute."),
    level: Level = typer.Option(Level.NOMINAL, "--level", help="Measurement level for α."),
    weights: KappaWeights | None = typer.Option(None, "--weights", help="Weighted Cohen's κ."),
    categories: str | None = typer.Option(None, "--categories", help="Full category list, e.g. A,B,C."),
    as_json: bool = JSON,
    bootstrap: int = typer.Option(1000, "--bootstrap", min=0, help="Resamples for bootstrap CIs (0: none)."),
    table: bool = typer.Option(
        False,
        "--table",
        help="FILE is a count table (Fleiss: items × categories; Cohen: square rater-1 × rater-2).",
    ),
    confidence: float = typer.Option(0.95, "--confidence", help="Confidence level of the interval."),
) -> None:
    """Agreement between raters: percent, Cohen's κ, Fleiss' κ, Krippendorff's α or Gwet's AC1."""
    from safetyops.quality.filestats import agreement_of_file

    with _bad_input():
        result, dropped = agreement_of_file(
            file, metric, level, weights, _split(categories), bootstrap, confidence, table=table
        )
    if dropped:
        note(f"{dropped} repeated (item, rater) rows ignored; the first was kept")
    data = {"file": str(file), **result.as_dict()}
    if not table:
        data["dropped_repeats"] = dropped
    show(data, as_json, title=f"{metric.value} agreement", digits=6)


@stats_app.command(
    epilog="Example: safetyops stats aggregate labels.csv --method ds --threshold 0.7 --out final.csv",
)
def aggregate(
    file: Path = typer.Argument(..., help="CSV of item,rater,label rows."),
    method: AggregationMethod = typer.Option(
        AggregationMethod.MAJORITY_VOTE, "--method", help="mv: majority; weighted: by rater accuracy; ds: Dawid–Skene."
    ),
    out: Path | None = typer.Option(None, "--out", help="Write item,label,confidence,needs_review,tied CSV."),
    tie: TiePolicy = typer.Option(TiePolicy.EXPERT_REVIEW, "--tie", help="What a tied vote gets."),
    severity_order: str | None = typer.Option(
        None, "--severity-order", help="Labels, most severe first, e.g. severe,mild,none."
    ),
    threshold: float = typer.Option(0.7, "--threshold", help="Below this confidence an item needs review."),
    gold: Path | None = typer.Option(None, "--gold", help="CSV of item,label gold answers (weighted, ds)."),
    smoothing: float = SMOOTHING,
    as_json: bool = JSON,
) -> None:
    """Final label per item with its confidence; low-confidence or tied items are listed for expert review.

    JSON: one object with the summary, `needs_review` (item ids) and `items` (every item).
    """
    from safetyops.quality.filestats import aggregate_file

    with _bad_input():
        res = aggregate_file(file, method, tie, _split(severity_order), threshold, gold, out, smoothing)
    if as_json:
        show({**res.summary, "needs_review": res.needs_review, "items": res.items}, True)
        return
    show(res.summary, False, title=f"{res.summary['method']} aggregation", digits=6)
    show(res.items[:50], False, title="items (first 50)", headers={"needs_review": "needs review"}, digits=3)


@stats_app.command(epilog="Example: safetyops stats accuracy --correct 182 --total 200 --method wilson")
def accuracy(
    correct: int = typer.Option(..., "--correct", min=0, help="Labels judged correct."),
    total: int = typer.Option(..., "--total", min=0, help="Labels audited."),
    method: IntervalMethod = typer.Option(IntervalMethod.WILSON, "--method", help="Interval method."),
    confidence: float = typer.Option(0.95, "--confidence", help="Confidence level."),
    as_json: bool = JSON,
) -> None:
    """Accuracy with its confidence interval (Wilson or exact Clopper–Pearson)."""
    from safetyops.quality import intervals

    if correct > total:
        raise InvalidInput(f"--correct ({correct}) cannot exceed --total ({total})")
    with _bad_input():
        result = intervals.proportion_ci(correct, total, method.value, confidence)
    show(result.as_dict(), as_json, title="accuracy", digits=6)


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
    as_json: bool = JSON,
) -> None:
    """Items to audit to know accuracy to ±margin (normal approximation with finite-population correction)."""
    from safetyops.quality import intervals

    with _bad_input():
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
    show(data, as_json, title="audit sample size", digits=6)
