"""Medians of repeated `bench/queue_load.py` runs as a Markdown table.

python bench/summarize.py bench/out/queue.jsonl
"""

from __future__ import annotations

import json
import statistics
import sys
from collections import defaultdict

KEYS = ("db", "labelers", "overlap", "items", "workers", "rate")
SHOWN = (
    "labels_per_s",
    "next_p50_ms",
    "next_p99_ms",
    "submit_p50_ms",
    "submit_p99_ms",
    "next_p99_ms_with_warmup",
    "next_p99_ms_worst_second",
    "server_cpu_ms_per_request",
    "client_cpu_ms_per_request",
    "db_cpu_ms_per_request",
    "server_peak_rss_mb",
    "host_steal_ms_per_s",
)
SUMMED = ("over_assigned", "double_labeled", "slot_drift", "orphaned", "lost_acknowledged", "errors")


def main(path: str) -> None:
    runs: dict[tuple[object, ...], list[dict[str, object]]] = defaultdict(list)
    with open(path) as fh:
        for line in fh:
            if line.strip():
                run = json.loads(line)
                runs[tuple(run.get(k) for k in KEYS)].append(run)
    print("| " + " | ".join((*KEYS, "runs", *SHOWN, *SUMMED)) + " |")
    print("|" + "---|" * (len(KEYS) + 1 + len(SHOWN) + len(SUMMED)))
    for key, group in runs.items():
        medians = [statistics.median(float(r.get(k) or 0) for r in group) for k in SHOWN]  # type: ignore[arg-type]
        sums = [sum(int(r.get(k, 0)) for r in group) for k in SUMMED]  # type: ignore[call-overload]
        cells = [*map(str, key), str(len(group)), *(f"{m:g}" for m in medians), *map(str, sums)]
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main(sys.argv[1])
