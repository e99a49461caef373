"""Anomaly detection on simulated daily series: false alarms per project-week with no incident, injected incidents
found within 2 days, and the time to score a project-day. Prints one JSON document.

Series: tests/support/daily_series.py (34 slices × 3 metrics per project: the project, 3 vendors, 30 labelers;
8 weeks of history, then 4 weeks scored). Incidents, 10 per project on random slices and days: a vendor's or the
project's gold error rate ×2.5, a labeler's handling time ×0.5 or ×1.8, a slice's throughput ×0.2–0.3.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository root, for tests.support

from tests.support import daily_series as sim

from safetyops.monitoring import anomaly

MONDAY = date(2026, 1, 5)
KINDS = [
    ("gold_accuracy", 2.5, "aggregate"),
    ("handling_time", 0.5, "labeler"),
    ("handling_time", 1.8, "labeler"),
    ("labels_done", 0.2, "any"),
    ("labels_done", 0.3, "any"),
]


def _incidents(rng: np.random.Generator, slices: list[anomaly.Slice], count: int) -> tuple[sim.Incident, ...]:
    out = []
    used: set[tuple[str, anomaly.Slice]] = set()
    while len(out) < count:
        metric, factor, where = KINDS[int(rng.integers(len(KINDS)))]
        pool = slices[:4] if where == "aggregate" else slices[4:] if where == "labeler" else slices
        sl = pool[int(rng.integers(len(pool)))]
        if (metric, sl) in used:
            continue
        used.add((metric, sl))
        out.append(sim.Incident(metric, sl, MONDAY + timedelta(days=int(rng.integers(57, 80))), factor))
    return tuple(out)


def run(projects: int, seed: int) -> dict[str, Any]:
    days = [MONDAY + timedelta(days=d) for d in range(56, 84)]
    slices = sim.project_slices()
    quiet = Counter[str]()
    found = lags = 0
    total = 0
    per_day, rules = [], Counter[str]()
    for p in range(projects):
        rng = np.random.default_rng(seed + p)
        series = sim.simulate(rng, slices, MONDAY, 84)
        start = time.perf_counter()
        dets = anomaly.detect_days(series, days)
        per_day.append((time.perf_counter() - start) / len(days))
        quiet["alarms"] += sum(len(d.anomalies) for d in dets)
        quiet.update(r for d in dets for a in d.anomalies for r in a.rules if r in ("point", "cusum", "ewma"))
        incidents = _incidents(rng, slices, 10)
        series = sim.simulate(np.random.default_rng(seed + 1000 + p), slices, MONDAY, 84, incidents)
        dets = anomaly.detect_days(series, days)
        for inc in incidents:
            total += 1
            hits = [
                a
                for d in dets
                for a in d.anomalies
                if (a.metric, a.slice) == (inc.metric, inc.slice) and inc.start <= a.day <= inc.start + timedelta(1)
            ]
            if hits:
                found += 1
                lags += (hits[0].day - inc.start).days
                rules.update(r for r in hits[0].rules if r in ("point", "cusum", "ewma"))
    weeks = 4 * projects
    return {
        "projects": projects,
        "series_per_project": len(slices) * 3,
        "false_alarms_per_project_week": round(quiet["alarms"] / weeks, 3),
        "false_alarms_by_rule": {k: v for k, v in quiet.items() if k != "alarms"},
        "incidents": total,
        "found_within_2_days": round(found / total, 3),
        "mean_lag_days_when_found": round(lags / max(found, 1), 2),
        "first_rule_when_found": dict(rules),
        "seconds_per_project_day_median": round(statistics.median(per_day), 3),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--projects", type=int, default=10)
    ap.add_argument("--seed", type=int, default=500)
    args = ap.parse_args()
    print(json.dumps(run(args.projects, args.seed), indent=1))


if __name__ == "__main__":
    main()
