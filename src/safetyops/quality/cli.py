"""`safetyops quality …`: a project's quality from the database — gold accuracy, agreement, aggregation, QA review,
expert review and calibration. (`safetyops stats …`, the same statistics on files, is in `stats_cli.py`.)

The commands run as the operator (full access, like an admin); actions are audited with no actor. Database and
statistics code is imported inside each command, so `--help` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from safetyops.auth.principal import SYSTEM
from safetyops.clikit import JSON, PROJECT, parse_day, print_json, project_id, read_file, say, show, typer_app
from safetyops.errors import InvalidInput
from safetyops.quality.enums import AggregationMethod, IntervalMethod, TiePolicy
from safetyops.quality.stats_cli import SMOOTHING

quality_app = typer_app()

FROM = typer.Option(None, "--from", help="first day, YYYY-MM-DD (project's reporting time zone)")
TO = typer.Option(None, "--to", help="last day (included), YYYY-MM-DD")
QUESTION = typer.Option(None, "--question", "-q", help="question key (default: the first categorical one)")


def _period(date_from: str | None, date_to: str | None) -> dict[str, Any]:
    return {
        "date_from": None if date_from is None else parse_day(date_from, "--from"),
        "date_to": None if date_to is None else parse_day(date_to, "--to"),
    }


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _ci_pct(row: dict[str, Any]) -> str:
    """A rate's confidence interval in percent ('—' when there is none)."""
    return "—" if row["ci_low"] is None else f"{row['ci_low']:.1%} – {row['ci_high']:.1%}"


def _rate(row: dict[str, Any]) -> str:
    if row.get("accuracy") is None:
        return f"— (n={row['n']})"
    return f"{row['accuracy']:.1%} [{row['ci_low']:.1%}, {row['ci_high']:.1%}] n={row['n']}"


def _show_rates(title: str, rows: list[dict[str, Any]]) -> None:
    records = [
        {
            "id": r["key"],
            "name": r["name"],
            "n": r["n"],
            "correct": r["correct"],
            "rate": _pct(r["accuracy"]),
            "95% CI": _ci_pct(r),
        }
        for r in rows
    ]
    show(records, False, columns=["id", "name", "n", "correct", "rate", "95% CI"], title=title)


def _stat(name: str, res: dict[str, Any]) -> dict[str, Any]:
    return {
        "statistic": name,
        "value": res.get("value"),
        "95% CI": None if res.get("ci_low") is None else f"{res['ci_low']:.3f} – {res['ci_high']:.3f}",
        "% agreement": res.get("percent_agreement"),
        "items": res.get("n_items"),
        "note": res.get("reason") or "",
    }


def _show_agreement(title: str, data: dict[str, Any], *, ac1: bool = True) -> None:
    rows = [
        _stat("percent agreement", data["percent"]),
        _stat("Fleiss κ", data["fleiss"]),
        _stat(f"Krippendorff α ({data['level']})", data["alpha"]),
    ]
    if ac1:
        rows.append(_stat("Gwet AC1", data["ac1"]))
    show(rows, False, title=title)


@quality_app.command("report")
def report_command(
    project: str = PROJECT,
    date_from: str = FROM,
    date_to: str = TO,
    question: str = QUESTION,
    as_json: bool = JSON,
) -> None:
    """Project quality report for a period: gold accuracy, agreement, QA scores, aggregation.

    Example: safetyops quality report --project 1 --from 2026-11-01 --to 2026-11-07 --json
    """
    from safetyops.db.engine import session_scope
    from safetyops.quality.report import project_report

    pid = project_id(project)
    with session_scope() as session:
        rep = project_report(session, SYSTEM, pid, question=question, **_period(date_from, date_to))
    if as_json:
        print_json(rep)
        return
    period = rep["period"]
    say(
        f"{rep['project']['name']} · question {rep['question']} · "
        f"{period['from'] or 'start'} → {period['to'] or 'now'} ({period['tz']})"
    )
    say(f"{rep['n_labels']} labels on {rep['n_items']} items by {rep['n_labelers']} labelers")
    acc = rep["accuracy"]
    say(f"accuracy vs gold ({acc['n_gold_items']} gold items): {_rate(acc['overall'])}")
    if acc["per_labeler"]:
        _show_rates("accuracy vs gold per labeler", acc["per_labeler"])
        _show_rates("accuracy vs gold per vendor", acc["per_vendor"])
    _show_agreement("agreement (non-gold items)", rep["agreement"])
    qa = rep["qa"]
    say(f"QA score: {_rate(qa['overall'])} · technical errors excluded: {qa['technical_excluded']}")
    if qa["per_labeler"]:
        _show_rates("QA score per labeler", qa["per_labeler"])
        _show_rates("QA score per vendor", qa["per_vendor"])
    run = rep["aggregation"]
    if run is None:
        say("aggregation: none yet (safetyops quality aggregate --project …)")
    else:
        say(
            f"aggregation run {run['run_id']}: {run['method']}, {run['n_items']} items, "
            f"{run['n_review']} sent to review ({run['open_reviews']} open), iterations {run['iterations']}"
        )
    if rep.get("data_credit"):
        say(f"data: {rep['data_credit']}")


@quality_app.command("accuracy")
def accuracy_command(
    project: str = PROJECT,
    date_from: str = FROM,
    date_to: str = TO,
    question: str = QUESTION,
    group_by: str = typer.Option("labeler", "--by", help="labeler | vendor | site | project | policy | day"),
    method: IntervalMethod = typer.Option(IntervalMethod.WILSON, "--method"),
    against: str = typer.Option("gold", "--against", help="gold | final (the newest aggregation's labels)"),
    as_json: bool = JSON,
) -> None:
    """Accuracy against gold (or final labels) per group, and per-class precision/recall/F1.

    Example: safetyops quality accuracy --project 1 --by vendor
    """
    from safetyops.db.engine import session_scope
    from safetyops.quality import service

    pid = project_id(project)
    with session_scope() as session:
        res = service.accuracy(
            session,
            SYSTEM,
            pid,
            question=question,
            group_by=group_by,
            method=method.value,
            against=against,
            **_period(date_from, date_to),
        )
    if as_json:
        print_json(res)
        return
    say(f"overall: {_rate(res['overall'])}")
    _show_rates(f"accuracy vs gold per {group_by}", res["groups"])
    columns = ["class", "support", "precision", "recall", "f1"]
    show(res["per_class"], False, columns=columns, headers={"f1": "F1"}, title="per class")


@quality_app.command("agreement")
def agreement_command(
    project: str = PROJECT,
    date_from: str = FROM,
    date_to: str = TO,
    question: str = QUESTION,
    as_json: bool = JSON,
) -> None:
    """Percent agreement, Fleiss κ, Krippendorff α, Gwet AC1 and the pairwise labeler matrix.

    Example: safetyops quality agreement --project "ConvAbuse demo"
    """
    from safetyops.db.engine import session_scope
    from safetyops.quality import service

    pid = project_id(project)
    with session_scope() as session:
        res = service.agreement(session, SYSTEM, pid, question=question, **_period(date_from, date_to))
    if as_json:
        print_json(res)
        return
    _show_agreement(f"agreement on '{res['question']}'", res)
    show(
        res["pairwise"],
        False,
        columns=["rater_a", "rater_b", "n", "percent_agreement", "kappa"],
        headers={"rater_a": "labeler A", "rater_b": "labeler B", "n": "items", "percent_agreement": "% agreement"},
        title="pairwise",
    )


@quality_app.command("aggregate")
def aggregate_command(
    project: str = PROJECT,
    method: AggregationMethod = typer.Option(AggregationMethod.DAWID_SKENE, "--method"),
    tie: TiePolicy = typer.Option(TiePolicy.EXPERT_REVIEW, "--tie"),
    threshold: float = typer.Option(0.0, "--threshold", help="items under this confidence go to expert review"),
    question: str = QUESTION,
    date_from: str = FROM,
    date_to: str = TO,
    smoothing: float = SMOOTHING,
    as_json: bool = JSON,
) -> None:
    """Aggregate labels into stored final labels; low-confidence items enter the expert review queue.

    Example: safetyops quality aggregate --project 1 --method ds --threshold 0.7
    """
    from safetyops.db.engine import session_scope
    from safetyops.quality import service

    pid = project_id(project)
    with session_scope() as session:
        res = service.run_aggregation(
            session,
            SYSTEM,
            pid,
            question=question,
            method=method.value,
            tie=tie.value,
            threshold=threshold,
            smoothing=smoothing,
            **_period(date_from, date_to),
        )
    show(res, as_json, title="aggregation run")


@quality_app.command("qa-plan")
def qa_plan_command(
    project: str = PROJECT,
    day: str = typer.Option(..., "--day", help="reporting day, YYYY-MM-DD"),
    mode: str = typer.Option("rate", "--mode", help="rate (project qa_rate or --rate) | margin"),
    rate: float = typer.Option(None, "--rate"),
    expected_accuracy: float = typer.Option(0.9, "--accuracy"),
    margin: float = typer.Option(0.05, "--margin"),
    seed: int = typer.Option(None, "--seed"),
    as_json: bool = JSON,
) -> None:
    """Sample each labeler's labels of one day for blind QA re-review.

    Example: safetyops quality qa-plan --project 1 --day 2026-11-20 --mode margin --accuracy 0.9 --margin 0.05
    """
    from safetyops.db.engine import session_scope
    from safetyops.quality import review

    pid = project_id(project)
    day_value = parse_day(day, "--day")
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
        print_json(res)
        return
    show(
        res["labelers"],
        False,
        columns=["labeler_id", "population", "sample"],
        headers={"labeler_id": "labeler", "population": "labels that day", "sample": "to review"},
        title=f"QA plan {res['plan_id']} ({mode})",
    )


@quality_app.command("model-import")
def model_import_command(
    project: str = PROJECT,
    file: Path = typer.Option(..., "--file", "-f", help="CSV or JSONL: external_id, policy, score or label"),
    name: str = typer.Option("", "--name"),
    as_json: bool = JSON,
) -> None:
    """Import a model's predictions (all or nothing; problems name file, line and field).

    Example: safetyops quality model-import --project 1 --file preds.csv --name classifier-v3
    """
    from safetyops.db.engine import session_scope
    from safetyops.delivery import service as delivery

    pid = project_id(project)
    data = read_file(file)
    with session_scope() as session:
        res = delivery.import_predictions(session, SYSTEM, pid, data, file.name, name)
    if as_json:
        print_json(res)
        return
    say(f"imported {res['rows']} predictions as model run {res['model_run_id']}")


@quality_app.command("model-eval")
def model_eval_command(
    run: int = typer.Option(..., "--run", help="model run id (from model-import)"),
    threshold: float = typer.Option(0.5, "--threshold"),
    target_precision: float = typer.Option(0.9, "--target-precision"),
    question: str = QUESTION,
    as_json: bool = JSON,
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
        print_json(res)
        return
    at_target = f"threshold @ P≥{target_precision}"
    rows = [
        {
            "policy": p["policy"],
            "n": p["n_compared"],
            "precision": p["precision"],
            "recall": p["recall"],
            "F1": p["f1"],
            at_target: None
            if p["threshold_for_target"] is None
            else f"{p['threshold_for_target']['threshold']:.3g} (recall {p['threshold_for_target']['recall']:.3g})",
        }
        for p in res["policies"]
    ]
    show(rows, False, title=res["name"])


# ------------------------------------------------------------------------------------------ expert review queue


def _ids(text: str, option: str) -> list[int]:
    parts = [p.strip() for p in text.split(",") if p.strip()]
    bad = [p for p in parts if not p.isdigit()]
    if bad or not parts:
        raise InvalidInput(f"{option} must be a comma-separated list of ids, e.g. 1,2,3 (got '{text}')")
    return [int(p) for p in parts]


@quality_app.command("review-queue")
def review_queue_command(
    project: str = PROJECT,
    include_resolved: bool = typer.Option(False, "--all", help="also list items an expert already resolved"),
    limit: int = typer.Option(200, "--limit", min=1, help="at most this many items"),
    as_json: bool = JSON,
) -> None:
    """Items waiting for an expert: ties and low-confidence aggregation results (newest run first).

    Example: safetyops quality review-queue --project 1 --json
    """
    from safetyops.db.engine import session_scope
    from safetyops.quality import service

    pid = project_id(project)
    with session_scope() as session:
        rows = service.review_queue(session, SYSTEM, pid, include_resolved=include_resolved, limit=limit)
    show(
        rows,
        as_json,
        headers={
            "review_id": "review",
            "run_id": "run",
            "item_id": "item",
            "external_id": "external id",
            "content_text": "text",
            "proposed_label": "proposed",
            "resolved_label": "resolved",
        },
        clip=("content_text",),
        title=f"expert review queue ({len(rows)} items)",
    )


@quality_app.command("review-decide")
def review_decide_command(
    review_id: int = typer.Argument(..., help="review item id (from review-queue)"),
    label: str = typer.Option(..., "--label", "-l", help="the final label (one of the question's choices)"),
    by: str = typer.Option(
        ..., "--by", help="user id or name of the expert deciding (recorded on the decision; must be staff)"
    ),
    note: str = typer.Option("", "--note", help="why"),
    as_json: bool = JSON,
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
        print_json(res)
        return
    say(f"review {res['review_id']} (item {res['item_id']}): final label {res['label']} by {principal.username}")


# ------------------------------------------------------------------------------------------ QA scores and disputes


@quality_app.command("qa-scores")
def qa_scores_command(
    project: str = PROJECT,
    date_from: str = FROM,
    date_to: str = TO,
    method: IntervalMethod = typer.Option(IntervalMethod.WILSON, "--method"),
    as_json: bool = JSON,
) -> None:
    """QA scores per labeler and vendor (technical errors excluded, overturned verdicts count as correct).

    Example: safetyops quality qa-scores --project 1 --from 2026-11-01 --to 2026-11-07
    """
    from safetyops.db.engine import session_scope
    from safetyops.quality import review

    pid = project_id(project)
    with session_scope() as session:
        res = review.qa_scores(session, SYSTEM, pid, method=method.value, **_period(date_from, date_to))
    if as_json:
        print_json(res)
        return
    say(
        f"QA score: {_rate(res['overall'])} · technical errors excluded: {res['technical_excluded']}"
        f" · overturned on dispute: {res['overturned']}"
    )
    if res["errors"]:
        say("errors: " + ", ".join(f"{k} {v}" for k, v in sorted(res["errors"].items())))
    _show_rates("QA score per labeler", res["per_labeler"])
    _show_rates("QA score per vendor", res["per_vendor"])


@quality_app.command("qa-disputes")
def qa_disputes_command(project: str = PROJECT, as_json: bool = JSON) -> None:
    """Disputes of QA verdicts in a project, with the verdict and the outcome (open when not decided yet).

    JSON: one object per dispute with its whole verdict; the table shows the verdict's people and error type.

    Example: safetyops quality qa-disputes --project 1 --json
    """
    from safetyops.db.engine import session_scope
    from safetyops.quality import review

    pid = project_id(project)
    with session_scope() as session:
        rows = review.list_disputes(session, SYSTEM, pid)
    if as_json:
        print_json(rows)
        return
    table = [
        {
            "dispute": d["dispute_id"],
            "verdict": d["verdict"]["verdict_id"],
            "labeler": d["verdict"]["labeler_id"],
            "reviewer": d["verdict"]["reviewer_id"],
            "error type": d["verdict"]["error_type"],
            "reason": d["reason"],
            "outcome": d["outcome"] or "open",
        }
        for d in rows
    ]
    show(table, False, title=f"QA disputes ({len(rows)})")


# ------------------------------------------------------------------------------------------ calibration


@quality_app.command("calibration-create")
def calibration_create_command(
    project: str = PROJECT,
    name: str = typer.Option(..., "--name", help="session title"),
    items: str = typer.Option(None, "--items", help="item ids chosen by hand, e.g. 1,2,3"),
    most_disputed: int = typer.Option(None, "--most-disputed", help="take the N most disputed items of the period"),
    date_from: str = FROM,
    date_to: str = TO,
    question: str = QUESTION,
    as_json: bool = JSON,
) -> None:
    """Create a calibration session over items chosen by hand, or the most disputed items of a period.

    Example: safetyops quality calibration-create -p 1 --most-disputed 20 --from 2026-11-01 --to 2026-11-07 --name wk45
    """
    from safetyops.db.engine import session_scope
    from safetyops.quality import calibration

    if (items is None) == (most_disputed is None):
        raise InvalidInput("give exactly one of --items 1,2,3 or --most-disputed N")
    if items is not None and (date_from is not None or date_to is not None):
        raise InvalidInput("--from/--to choose the period for --most-disputed; they do not apply to --items")
    if most_disputed is not None and most_disputed < 1:
        raise InvalidInput("--most-disputed must be at least 1")
    item_ids = _ids(items, "--items") if items is not None else None
    period = _period(date_from, date_to)
    pid = project_id(project)
    with session_scope() as session:
        res = calibration.create_session(
            session,
            SYSTEM,
            pid,
            question=question,
            title=name,
            item_ids=item_ids,
            disputed_from=period["date_from"],
            disputed_to=period["date_to"],
            count=most_disputed or 0,
        )
    if as_json:
        print_json(res)
        return
    say(
        f"calibration session {res['session_id']} ({res['source']}, question {res['question']}): "
        f"{len(res['item_ids'])} items {', '.join(map(str, res['item_ids']))}"
    )


@quality_app.command("calibration-results")
def calibration_results_command(
    session_id: int = typer.Argument(..., help="calibration session id"),
    top: int = typer.Option(10, "--top", min=1, help="show this many most-disagreed items"),
    as_json: bool = JSON,
) -> None:
    """Calibration results: accuracy per person against the key, group agreement, the items that split the group.

    Example: safetyops quality calibration-results 3 --json
    """
    from safetyops.db.engine import session_scope
    from safetyops.quality import calibration

    with session_scope() as session:
        res = calibration.results(session, SYSTEM, session_id)
    if as_json:
        print_json(res)
        return
    say(
        f"calibration session {res['session_id']} · question {res['question']} · "
        f"{res['n_items']} items, {res['n_keyed']} keyed"
    )
    people = [
        {
            "user": p["user_id"],
            "name": p["username"],
            "answered": p["answered"],
            "n keyed": p["n"],
            "correct": p["correct"],
            "accuracy": _pct(p["accuracy"]),
            "95% CI": _ci_pct(p),
        }
        for p in res["people"]
    ]
    show(people, False, title="accuracy vs key")
    _show_agreement("group agreement", {"level": res["level"], **res["group"]}, ac1=False)
    split = [
        {
            "item": it["item_id"],
            "answers": it["n"],
            "agreement": it["agreement"],
            "split": ", ".join(f"{k}: {v}" for k, v in it["split"].items()) or "—",
            "key": it["key"],
        }
        for it in res["items"][:top]
    ]
    show(split, False, title="most disagreed items")
