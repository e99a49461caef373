"""Benchmark the quality engine: Dawid–Skene on synthetic labels, Krippendorff's α and its bootstrap, and
(with --report-labels N) the project quality report over N labels stored in a fresh SQLite database."""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from safetyops.auth.principal import SYSTEM
from safetyops.quality.aggregation import dawid_skene
from safetyops.quality.agreement import krippendorff_alpha


def _confusions(rng: np.random.Generator, raters: int, classes: int) -> np.ndarray:
    """Random per-rater confusion matrices: accuracy 0.55–0.95 on the diagonal, the rest spread at random."""
    acc = rng.uniform(0.55, 0.95, size=(raters, classes))
    off = rng.dirichlet(np.ones(classes - 1), size=(raters, classes))
    conf = np.empty((raters, classes, classes))
    for k in range(classes):
        others = [j for j in range(classes) if j != k]
        conf[:, k, k] = acc[:, k]
        conf[:, k, others] = (1 - acc[:, k])[:, None] * off[:, k, :]
    return conf


def _draw(rng: np.random.Generator, cdf: np.ndarray, raters: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """Observed labels for (rater, true class) rows, in chunks to bound memory."""
    out = np.empty(len(raters), dtype=np.int64)
    step = 1_000_000
    for s in range(0, len(raters), step):
        rows = cdf[raters[s : s + step], truth[s : s + step]]
        out[s : s + step] = (rng.random(len(rows))[:, None] > rows).sum(axis=1)
    return out


def synthetic_labels(n_labels: int, items: int, raters: int, classes: int, seed: int = 0) -> dict[str, Any]:
    """Labels spread evenly over items (remainder at random), raters drawn at random."""
    rng = np.random.default_rng(seed)
    truth = rng.choice(classes, size=items, p=rng.dirichlet(np.full(classes, 5.0)))
    item = np.concatenate([np.tile(np.arange(items), n_labels // items), rng.integers(0, items, n_labels % items)])
    rater = rng.integers(0, raters, size=n_labels)
    cdf = np.cumsum(_confusions(rng, raters, classes), axis=2)
    cdf[:, :, -1] = 1.0
    return {"items": item, "raters": rater, "labels": _draw(rng, cdf, rater, truth[item]), "truth": truth}


def reliability_matrix(coders: int, units: int, classes: int, seed: int = 1) -> np.ndarray:
    """A coders × units nominal matrix: each coder right 75 % of the time."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, classes, size=units)
    noise = rng.integers(0, classes, size=(coders, units))
    return np.where(rng.random((coders, units)) < 0.75, truth, noise).astype(np.float64)


def _timed(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


LEVELS = ["1", "0", "-1", "-2", "-3"]


def build_report_project(
    path: str, n_labels: int, raters: int = 500, per_item: int = 5, gold_share: float = 0.05
) -> int:
    """A fresh SQLite database with one demo-taxonomy project: N labels, `per_item` distinct raters per item,
    `gold_share` of the items gold. Rows go in with plain executemany (setup, not timed)."""
    import os
    from datetime import UTC, datetime, timedelta

    from sqlalchemy.orm import Session

    from safetyops.db.engine import make_engine
    from safetyops.db.models import metadata
    from safetyops.demo import DEMO_TAXONOMY
    from safetyops.projects.schemas import ProjectSpec
    from safetyops.projects.service import create_project
    from safetyops.workforce.service import create_vendor

    if os.path.exists(path):
        os.remove(path)
    engine = make_engine(f"sqlite:///{path}", pool_size=1)
    metadata.create_all(engine)
    items = max(1, n_labels // per_item)
    rng = np.random.default_rng(7)
    classes = len(LEVELS)
    truth = rng.choice(classes, size=items, p=[0.6, 0.1, 0.15, 0.1, 0.05])
    item = np.repeat(np.arange(items), per_item)[:n_labels]
    base = rng.integers(0, raters, size=items)
    rater = (base[item] + np.tile(np.arange(per_item), items)[:n_labels]) % raters  # distinct raters per item
    cdf = np.cumsum(_confusions(rng, raters, classes), axis=2)
    cdf[:, :, -1] = 1.0
    label = _draw(rng, cdf, rater, truth[item])
    start = datetime(2026, 11, 1, tzinfo=UTC)
    stamp = [(start + timedelta(days=d)).strftime("%Y-%m-%d %H:%M:%S.%f") for d in range(28)]
    with Session(engine, expire_on_commit=False) as session, session.begin():
        vendors = [create_vendor(session, SYSTEM, f"Bench BPO {v}") for v in range(5)]
        spec = ProjectSpec(name="bench-report", taxonomy=DEMO_TAXONOMY, overlap=per_item, gold_rate=gold_share)
        project = create_project(session, SYSTEM, spec)
        pid = project.id
    now = stamp[0]
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO labelers (id, vendor_id, external_id, name, languages, markets, skills, certifications, "
            "status, extra) VALUES (?, ?, ?, ?, '[]', '[]', '[]', '[]', 'production', '{}')",
            [(r + 1, vendors[r % 5].id, f"lab-{r}", f"lab-{r}") for r in range(raters)],
        )
        n_gold = int(items * gold_share)
        conn.exec_driver_sql(
            "INSERT INTO items (id, project_id, external_id, content_text, priority, is_gold, open_slots, "
            "label_count, created_at) VALUES (?, ?, ?, 'synthetic', 0, ?, 0, ?, ?)",
            [(i + 1, pid, f"item-{i}", i < n_gold, per_item, now) for i in range(items)],
        )
        conn.exec_driver_sql(
            "INSERT INTO gold_answers (project_id, item_id, answer, rationale, created_at) VALUES (?, ?, ?, '', ?)",
            [(pid, i + 1, f'{{"abuse":"{LEVELS[truth[i]]}"}}', now) for i in range(n_gold)],
        )
        days = rng.integers(0, 28, size=n_labels)
        sql = (
            "INSERT INTO labels (project_id, item_id, labeler_id, answer, guideline_version, idempotency_key, "
            "is_gold, time_spent_ms, created_at) VALUES (?, ?, ?, ?, '1.0', ?, ?, 1000, ?)"
        )
        answers = [f'{{"abuse":"{v}"}}' for v in LEVELS]
        step = 200_000
        for s in range(0, n_labels, step):
            chunk = zip(
                item[s : s + step].tolist(),
                rater[s : s + step].tolist(),
                label[s : s + step].tolist(),
                days[s : s + step].tolist(),
                strict=True,
            )
            rows = [
                (pid, it + 1, rt + 1, answers[lb], f"k{s + n}", it < n_gold, stamp[d])
                for n, (it, rt, lb, d) in enumerate(chunk)
            ]
            conn.exec_driver_sql(sql, rows)
    engine.dispose()
    return pid


def time_report(path: str, project_id: int, repeat: int) -> dict[str, Any]:
    """Median time of the whole report (load, accuracy, agreement with 1,000-resample CIs, QA, aggregation)."""
    from datetime import date

    from sqlalchemy.orm import Session

    from safetyops.db.engine import make_engine
    from safetyops.projects.models import Project
    from safetyops.quality.frame import question_info
    from safetyops.quality.loading import load_labels
    from safetyops.quality.report import project_report

    engine = make_engine(f"sqlite:///{path}", pool_size=1)
    with Session(engine) as session:
        project = session.get_one(Project, project_id)
        q = question_info(project.taxonomy, "abuse")
        load_seconds, frame = _timed(lambda: load_labels(session, project, q), repeat)
        report_seconds, rep = _timed(lambda: project_report(session, SYSTEM, project_id), repeat)
        period_seconds, period = _timed(
            lambda: project_report(
                session, SYSTEM, project_id, date_from=date(2026, 11, 1), date_to=date(2026, 11, 14)
            ),
            repeat,
        )
    engine.dispose()
    return {
        "report_labels": len(frame),
        "report_seconds": round(report_seconds, 4),
        "report_load_seconds": round(load_seconds, 4),
        "report_period_labels": period["n_labels"],
        "report_period_seconds": round(period_seconds, 4),
        "report_alpha": rep["agreement"]["alpha"]["value"],
        "report_gold_accuracy": rep["accuracy"]["overall"]["accuracy"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--labels", type=int, default=1_000_000)
    parser.add_argument("--items", type=int, default=None, help="default: labels / 5")
    parser.add_argument("--raters", type=int, default=500)
    parser.add_argument("--classes", type=int, default=5)
    parser.add_argument("--units", type=int, default=200_000, help="units of the 5-coder α matrix")
    parser.add_argument("--bootstrap", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--report-labels", type=int, default=0, help="also time the project report on N labels")
    parser.add_argument("--report-db", default="/tmp/safetyops-bench-report.db")
    parser.add_argument("--report-only", action="store_true", help="skip the DS and α timings")
    args = parser.parse_args()
    if args.report_labels:
        setup = time.perf_counter()
        pid = build_report_project(args.report_db, args.report_labels)
        built = time.perf_counter() - setup
        result = {"report_setup_seconds": round(built, 1), **time_report(args.report_db, pid, args.repeat)}
        result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        if args.report_only:
            print(json.dumps(result))
            return
    else:
        result = {}
    items = args.items or max(1, args.labels // 5)
    data = synthetic_labels(args.labels, items, args.raters, args.classes)
    ds_seconds, ds = _timed(
        lambda: dawid_skene(data["items"], data["raters"], data["labels"], items, args.raters, args.classes, tol=1e-7),
        args.repeat,
    )
    matrix = reliability_matrix(5, args.units, args.classes)
    alpha_seconds, alpha = _timed(lambda: krippendorff_alpha(matrix, bootstrap=0), args.repeat)
    boot_seconds, boot = _timed(lambda: krippendorff_alpha(matrix, bootstrap=args.bootstrap), args.repeat)
    report = {
        "labels": args.labels,
        "items": items,
        "raters": args.raters,
        "classes": args.classes,
        "repeat": args.repeat,
        "ds_seconds": round(ds_seconds, 4),
        "ds_iterations": ds.iterations,
        "ds_log_likelihood": ds.log_likelihood,
        "ds_accuracy_vs_truth": float((ds.labels == data["truth"]).mean()),
        "alpha_units": args.units,
        "alpha_seconds": round(alpha_seconds, 4),
        "alpha": alpha.value,
        "alpha_bootstrap_resamples": args.bootstrap,
        "alpha_bootstrap_seconds": round(boot_seconds, 4),
        "alpha_ci": [boot.ci_low, boot.ci_high],
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        **{k: v for k, v in result.items() if k != "peak_rss_mb"},
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main()
