"""Times Erlang C staffing of a week of 15-minute intervals and the workload/FTE grid; prints one JSON."""

from __future__ import annotations

import json
import resource
import statistics
import sys
import time
from collections.abc import Callable

import numpy as np

from safetyops.planning import workload as wl
from safetyops.planning.erlang import staff_erlang_c_many

REPEATS = 7


def _median_ms(fn: Callable[[], object], repeats: int = REPEATS) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def week_of_intervals(seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """672 quarter-hours: a daily double hump, quieter weekends, noise; traffic in Erlangs and AHT in s."""
    rng = np.random.default_rng(seed)
    q = np.arange(672)
    hour = (q % 96) / 4
    day = q // 96
    shape = 0.15 + np.exp(-(((hour - 11) / 3) ** 2)) + 0.8 * np.exp(-(((hour - 20) / 2.5) ** 2))
    weekday = np.where(day < 5, 1.0, 0.7)
    contacts = rng.poisson(600 * shape * weekday)  # contacts per 15 minutes, peak ≈ 600
    aht = rng.uniform(180, 300, size=672)
    return contacts * aht / 900, aht


def erlang_week(traffic: np.ndarray, aht: np.ndarray) -> None:
    staff_erlang_c_many(traffic, aht, target_sl=0.8, within=20.0, max_occupancy=0.85, shrinkage=0.3)


def manpower_grid(seed: int = 2) -> dict[str, np.ndarray]:
    """200 projects × 10 vendors × 8 markets × 6 two-month periods of inputs."""
    rng = np.random.default_rng(seed)
    p, v, m, t = 200, 10, 8, 6
    return {
        "volume": rng.gamma(2, 20_000, size=(p, v, m, t)),
        "handling": rng.uniform(10, 120, size=(p, 1, 1, 1)),
        "overlap": rng.integers(1, 4, size=(p, 1, 1, 1)).astype(float),
        "gold": rng.uniform(0, 0.1, size=(p, 1, 1, 1)),
        "qa": rng.uniform(0, 0.2, size=(p, 1, 1, 1)),
        "review": rng.uniform(30, 90, size=(p, 1, 1, 1)),
        "days": rng.integers(38, 44, size=(1, 1, 1, t)).astype(float),
        "shrinkage": rng.uniform(0.15, 0.35, size=(1, v, 1, 1)),
        "occupancy": rng.uniform(0.75, 0.9, size=(1, v, 1, 1)),
        "roster": rng.uniform(0, 40, size=(v, m, t)),
    }


def manpower(g: dict[str, np.ndarray]) -> None:
    hours = wl.workload_hours(g["volume"], g["handling"], g["overlap"], g["gold"], g["qa"], g["review"])
    productive = wl.productive_hours_per_fte(g["days"], 8.0, g["shrinkage"], g["occupancy"])
    fte = np.asarray(wl.fte_required(hours, productive))
    wl.staffing_gap(fte.sum(axis=0), g["roster"])  # per vendor × market × period against the roster


def main() -> None:
    traffic, aht = week_of_intervals()
    grid = manpower_grid()
    erlang_ms = _median_ms(lambda: erlang_week(traffic, aht))
    manpower_ms = _median_ms(lambda: manpower(grid))
    plan = staff_erlang_c_many(traffic, aht, 0.8, 20.0, 0.85, 0.3)
    result = {
        "erlang_c_672_intervals_ms": round(erlang_ms, 2),
        "erlang_c_target_ms": 50,
        "erlang_c_max_traffic": round(float(traffic.max()), 1),
        "erlang_c_max_agents": int(plan.agents.max()),
        "manpower_96000_cells_ms": round(manpower_ms, 2),
        "manpower_target_ms": 1000,
        "repeats": REPEATS,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "python": sys.version.split()[0],
        "numpy": np.__version__,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
