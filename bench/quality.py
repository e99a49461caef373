"""Benchmark the quality engine: Dawid–Skene on synthetic labels, Krippendorff's α and its bootstrap."""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--labels", type=int, default=1_000_000)
    parser.add_argument("--items", type=int, default=None, help="default: labels / 5")
    parser.add_argument("--raters", type=int, default=500)
    parser.add_argument("--classes", type=int, default=5)
    parser.add_argument("--units", type=int, default=200_000, help="units of the 5-coder α matrix")
    parser.add_argument("--bootstrap", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
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
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main()
