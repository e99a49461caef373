"""Times Erlang C for a week of quarter-hours, the workload/FTE grid and a whole manpower plan; prints one JSON."""

from __future__ import annotations

import json
import resource
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date

import numpy as np

from safetyops.planning import plans
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


def plan_setup(seed: int = 3) -> dict[str, object]:
    """A year of two-month periods; 200 projects, each spread over 10 vendors × 8 markets (16,000 lines).

    Half the projects are one-off batches due 20–60 working days after a random start; half are steady daily flows
    with a 2–5 working-day turnaround. Each line gets a random share of its project's work.
    """
    rng = np.random.default_rng(seed)
    periods = plans.split_periods(date(2027, 1, 1), date(2027, 12, 31))
    days = plans.working_dates(periods[0].start, periods[-1].end)
    n_p, n_v, n_m = 200, 10, 8
    arrivals = np.zeros((n_p, days.size))
    deadlines = np.zeros(n_p, dtype=int)
    repeating = np.arange(n_p) % 2 == 1
    for p in range(n_p):
        if repeating[p]:
            arrivals[p] = rng.poisson(rng.uniform(200, 3_000), size=days.size)
            deadlines[p] = int(rng.integers(2, 6))
        else:
            arrivals[p, int(rng.integers(0, days.size - 60))] = rng.gamma(2, 50_000)
            deadlines[p] = int(rng.integers(20, 61))
    shares = rng.dirichlet(np.ones(n_v * n_m), size=n_p)  # (P, V·M)
    cells = [plans.Cell(f"vendor-{v}", "main", f"M{m}", "en") for v in range(n_v) for m in range(n_m)]
    return {
        "periods": periods,
        "day_period": plans.period_index(days, periods),
        "arrivals": arrivals,
        "deadlines": deadlines,
        "repeating": repeating,
        "shares": shares,
        "cells": cells,
        "roster": rng.uniform(0, 40, size=len(cells)),
        "handling": rng.uniform(10, 120, size=n_p),
        "overlap": rng.integers(1, 4, size=n_p).astype(float),
        "gold": rng.uniform(0, 0.1, size=n_p),
        "qa": rng.uniform(0, 0.2, size=n_p),
    }


def manpower_plan(s: dict[str, object], scenarios: list[plans.Scenario]) -> list[plans.PlanResult]:
    """Backlog rule per project → volume per period, split over 80 cells, then the plan core per scenario."""
    periods = s["periods"]
    arrivals, deadlines, repeating = s["arrivals"], s["deadlines"], s["repeating"]
    shares, day_period = s["shares"], s["day_period"]
    assert isinstance(periods, list) and isinstance(arrivals, np.ndarray) and isinstance(shares, np.ndarray)
    assert isinstance(deadlines, np.ndarray) and isinstance(repeating, np.ndarray)
    assert isinstance(day_period, np.ndarray)
    n_t, (n_p, n_c) = len(periods), shares.shape
    volume = plans.backlog_volume_many(arrivals, deadlines, day_period, n_t, repeating)
    per_line = lambda key: np.repeat(np.asarray(s[key], dtype=float), n_c)  # noqa: E731
    inputs = plans.PlanInputs(
        periods=periods,
        cells=s["cells"],  # type: ignore[arg-type]
        roster=np.asarray(s["roster"]),
        line_cell=np.tile(np.arange(n_c), n_p),
        line_volume=(volume[:, None, :] * shares[:, :, None]).reshape(n_p * n_c, n_t),
        line_handling_s=per_line("handling"),
        line_overlap=per_line("overlap"),
        line_gold=per_line("gold"),
        line_qa=per_line("qa"),
        line_backlog=np.ones(n_p * n_c, dtype=bool),
    )
    return plans.compute_scenarios(inputs, plans.PlanParams(), scenarios)


def main() -> None:
    traffic, aht = week_of_intervals()
    grid = manpower_grid()
    erlang_ms = _median_ms(lambda: erlang_week(traffic, aht))
    manpower_ms = _median_ms(lambda: manpower(grid))
    plan = staff_erlang_c_many(traffic, aht, 0.8, 20.0, 0.85, 0.3)
    setup = plan_setup()
    plan_ms = _median_ms(lambda: manpower_plan(setup, []))
    scenarios = [plans.parse_scenario("volume+20%"), plans.parse_scenario("shrinkage=0.35")]
    plan_3_ms = _median_ms(lambda: manpower_plan(setup, scenarios))
    base = manpower_plan(setup, [])[0]
    result = {
        "erlang_c_672_intervals_ms": round(erlang_ms, 2),
        "erlang_c_target_ms": 50,
        "erlang_c_max_traffic": round(float(traffic.max()), 1),
        "erlang_c_max_agents": int(plan.agents.max()),
        "manpower_96000_cells_ms": round(manpower_ms, 2),
        "manpower_target_ms": 1000,
        "plan_200x10x8_year_ms": round(plan_ms, 2),
        "plan_200x10x8_year_3_scenarios_ms": round(plan_3_ms, 2),
        "plan_target_ms": 1000,
        "plan_rows_per_scenario": int(base.required_fte.size),
        "plan_required_fte_max_period": round(float(base.required_fte.sum(axis=0).max()), 1),
        "repeats": REPEATS,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "python": sys.version.split()[0],
        "numpy": np.__version__,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
