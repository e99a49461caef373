"""Queue load benchmark: a real server, C simulated labelers over HTTP, invariants counted from the database.

python bench/queue_load.py --db sqlite|postgresql --labelers 32 --overlap 3 --items 10000 --seconds 20 [--workers 2]
    [--rate 500]   (paced: 500 labels/s in all, latency from each label's scheduled start)
Prints one JSON object.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script: the repository root goes on the import path, for the load generator in tests/support.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import argparse
import json
import os
import resource
import time

from tests.support.databases import fresh_database
from tests.support.loadtest import (
    lost_receipts,
    percentile,
    queue_invariants,
    run_labelers,
    settle,
    setup_world,
    start_server,
    worst_second,
)

from safetyops.db.engine import make_engine
from safetyops.db.migrate import upgrade


def postgres_cpu_seconds() -> float:
    """CPU time used so far by the local PostgreSQL server's processes (still running ones)."""
    import psutil

    total = 0.0
    for proc in psutil.process_iter(["name", "cpu_times"]):
        if proc.info["name"] == "postgres" and proc.info["cpu_times"] is not None:
            total += proc.info["cpu_times"].user + proc.info["cpu_times"].system
    return total


def host_steal_seconds() -> float:
    """CPU time the hypervisor has taken from this virtual machine so far (all CPUs; 0 where unknown)."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()
        return int(fields[8]) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    ap.add_argument("--labelers", type=int, default=32)
    ap.add_argument("--overlap", type=int, default=1)
    ap.add_argument("--items", type=int, default=10_000)
    ap.add_argument("--seconds", type=float, default=20, help="measured seconds, after the warm-up")
    ap.add_argument(
        "--warmup",
        type=float,
        default=2,
        help="seconds of load before measuring: their latencies are reported apart (*_with_warmup)",
    )
    ap.add_argument(
        "--rate",
        type=float,
        default=None,
        help="labels/s the labelers start together, on a schedule (latency counts from the scheduled start); "
        "default: as fast as the server answers",
    )
    ap.add_argument("--workers", type=int, default=2, help="server processes")
    ap.add_argument("--log", default="/dev/null", help="server log file")
    args = ap.parse_args()

    with fresh_database(args.db) as url:
        engine = make_engine(url, pool_size=2)
        upgrade(engine)
        world = setup_world(engine, labelers=args.labelers, overlap=args.overlap, items=args.items)
        settle(engine)
        server = start_server(url, workers=args.workers, log_path=args.log)
        try:
            cpu_before = server.cpu_seconds()
            db_before = postgres_cpu_seconds()
            steal_before = host_steal_seconds()
            client_before = time.process_time()
            started = time.monotonic()
            stats = run_labelers(
                server.base_url, world.tokens, world.project_id, args.seconds, warmup=args.warmup, rate=args.rate
            )
            elapsed = time.monotonic() - started
            client_cpu = time.process_time() - client_before
            server_cpu = server.cpu_seconds() - cpu_before
            db_cpu = postgres_cpu_seconds() - db_before
            steal = host_steal_seconds() - steal_before
            server_rss = server.peak_rss_mb()
        finally:
            server.kill()
        checks = queue_invariants(engine, world.project_id)
        lost = lost_receipts(engine, stats.receipts)
        engine.dispose()
    requests = max(1, stats.calls)
    result = {
        "db": args.db,
        "labelers": args.labelers,
        "overlap": args.overlap,
        "items": args.items,
        "workers": args.workers,
        "rate": args.rate,
        "seconds": round(elapsed, 2),
        "labels": checks["labels"],
        "labels_per_s": round(checks["labels"] / elapsed, 1),
        "next_p50_ms": percentile(stats.next_ms, 50),
        "next_p99_ms": percentile(stats.next_ms, 99),
        "submit_p50_ms": percentile(stats.submit_ms, 50),
        "submit_p99_ms": percentile(stats.submit_ms, 99),
        "next_p99_ms_with_warmup": percentile(stats.next_ms + stats.warmup_next_ms, 99),
        "next_p99_ms_worst_second": worst_second(stats.next_started, stats.next_ms),
        "submit_p99_ms_with_warmup": percentile(stats.submit_ms + stats.warmup_submit_ms, 99),
        "over_assigned": checks["over_assigned"],
        "double_labeled": checks["double_labeled"],
        "slot_drift": checks["slot_drift"],
        "orphaned": checks["orphaned"],
        "lost_acknowledged": lost,
        "errors": sum(stats.errors.values()),
        "error_kinds": stats.errors,
        "empty_polls": stats.empty,
        # CPU time the server processes spent per HTTP request: robust to a noisy, shared machine.
        "server_cpu_ms_per_request": round(server_cpu * 1000 / requests, 3),
        "client_cpu_ms_per_request": round(client_cpu * 1000 / requests, 3),
        # CPU of the PostgreSQL server's processes (0 on SQLite, which runs inside the server process).
        "db_cpu_ms_per_request": round(db_cpu * 1000 / requests, 3),
        "host_steal_ms_per_s": round(steal * 1000 / elapsed, 1),
        "server_peak_rss_mb": server_rss,
        "client_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
