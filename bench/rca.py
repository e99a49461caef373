"""Root-cause localisation on generated cubes: precision, recall and F1 of ours, Adtributor and Squeeze on the same
cubes in the same run, per measure kind and noise level, and the time of `rca explain` (CSV read + explain + text)
on cubes of 21,600 and 1,000,000 leaves. Prints one JSON document.

Generator and baselines: tests/support/rca_cubes.py and tests/support/rca_baselines.py (their docstrings say which
paper each follows). Settings: 5 dimensions of 10 × 12 × 10 × 6 × 3 = 21,600 leaves, 1–3 root causes of 1–3
dimensions, relative forecast noise 0, 0.1, 0.2 and 0.3; kinds fundamental, derived (a ratio a/b) and derived_mix
(a ratio plus a slice whose volume, not rate, moved). `riskloc_S` is RiskLoc's own S recipe for reference
(10 × 12 × 10 × 8 × 5, causes of 1–5 dimensions, noise ~ U(0, 0.25)), where ours searches 1–3 dimensions only.
`ops_count` and `ops_ratio` are labeling-operations cubes of ours (vendor × site × policy × market × language,
3,840 leaves, Poisson volumes and binomial gold: see `generate_ops`).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository root, for tests.support

from tests.support import rca_baselines, rca_cubes

from safetyops.monitoring import cube as cubes
from safetyops.monitoring import rca

Method = Callable[[rca.Cube], list[rca.Element]]
METHODS: dict[str, Method] = {
    "ours": lambda c: [x.element for x in rca.explain(c).causes],
    "adtributor": rca_baselines.adtributor,
    "squeeze": rca_baselines.squeeze,
}
DIMS = (10, 12, 10, 6, 3)


def _run(gens: list[rca_cubes.Generated]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, method in METHODS.items():
        tp = fp = fn = 0
        times = []
        for g in gens:
            start = time.perf_counter()
            answer = method(g.cube)
            times.append(time.perf_counter() - start)
            a, b, c = rca_cubes.score(rca_cubes.as_sets(answer), g.truth)
            tp, fp, fn = tp + a, fp + b, fn + c
        out[name] = {
            **{k: round(v, 4) for k, v in rca_cubes.f1(tp, fp, fn).items()},
            "tp": tp,
            "fp": fp,
            "fn": fn,
            "median_s": round(statistics.median(times), 4),
            "max_s": round(max(times), 4),
        }
    return out


def accuracy(cases: int, seed: int, noises: list[float]) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    results: dict[str, Any] = {}
    for kind in ("fundamental", "derived", "derived_mix"):
        pooled: list[rca_cubes.Generated] = []
        per_noise = {}
        for noise in noises:
            gens = [rca_cubes.generate(rng, DIMS, kind, noise) for _ in range(cases)]
            pooled += gens
            per_noise[str(noise)] = _run(gens)
        results[kind] = {"by_noise": per_noise, "all": _run(pooled), "cases": len(pooled)}
    s_gens = [
        rca_cubes.generate(rng, (10, 12, 10, 8, 5), "fundamental", float(rng.uniform(0, 0.25)), max_layer=5)
        for _ in range(cases)
    ]
    results["riskloc_S"] = {"all": _run(s_gens), "cases": cases}
    for kind in ("ops_count", "ops_ratio"):
        results[kind] = {"all": _run([rca_cubes.generate_ops(rng, kind) for _ in range(cases)]), "cases": cases}
    return results


def _timed_explain(path: Path, repeats: int) -> dict[str, float]:
    times, read_times = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        cube = cubes.read_cube_csv(path)
        read = time.perf_counter()
        text = cubes.format_text(rca.explain(cube))
        times.append(time.perf_counter() - start)
        read_times.append(read - start)
        assert text
    return {"median_s": round(statistics.median(times), 3), "read_median_s": round(statistics.median(read_times), 3)}


def _write_csv(gen: rca_cubes.Generated, path: Path) -> None:
    c = gen.cube
    cols = [c.labels[d] for d in range(len(c.dimensions))]
    head = [*c.dimensions, *(cubes.RATIO if c.is_ratio else cubes.FUNDAMENTAL)]
    values = [c.real, c.predict] + ([c.real_b, c.predict_b] if c.is_ratio else [])
    label_cols = [np.asarray(cols[d], dtype=object)[c.codes[:, d]] for d in range(len(c.dimensions))]
    with path.open("w") as f:
        f.write(",".join(head) + "\n")
        rows = zip(*label_cols, *[np.char.mod("%.6f", v) for v in values if v is not None], strict=True)
        f.writelines(",".join(row) + "\n" for row in rows)


def timing(repeats: int, seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, dims in (("21600", DIMS), ("1000000", rca_cubes.big_dims(1_000_000))):
            for kind in ("fundamental", "derived"):
                gen = rca_cubes.generate(rng, dims, kind, 0.1)
                path = Path(tmp) / f"{label}-{kind}.csv"
                _write_csv(gen, path)
                got = [c.text for c in rca.explain(cubes.read_cube_csv(path)).causes]
                truth = sorted("&".join(f"{d}={v}" for d, v in sorted(e)) for e in gen.truth)
                out[f"{label}_{kind}"] = {
                    "leaves": len(gen.cube),
                    "csv_mb": round(path.stat().st_size / 1e6, 1),
                    "found_truth": sorted(got) == truth,
                    **_timed_explain(path, repeats if label == "21600" else max(1, repeats // 2)),
                }
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--cases", type=int, default=100, help="cubes per kind and noise level")
    ap.add_argument("--seed", type=int, default=14)
    ap.add_argument("--noise", type=float, nargs="+", default=[0.0, 0.1, 0.2, 0.3])
    ap.add_argument("--repeats", type=int, default=5, help="timing repeats (half as many for 1,000,000 leaves)")
    ap.add_argument("--skip-accuracy", action="store_true")
    args = ap.parse_args()
    report: dict[str, Any] = {
        "machine": {"python": platform.python_version(), "numpy": np.__version__, "cpus": os.cpu_count()},
        "settings": {"cases": args.cases, "seed": args.seed, "noise": args.noise, "dims": DIMS},
    }
    if not args.skip_accuracy:
        report["accuracy"] = accuracy(args.cases, args.seed, args.noise)
    report["timing"] = timing(args.repeats, args.seed)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
