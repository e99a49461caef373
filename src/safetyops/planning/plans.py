"""Manpower plans: the pure, vectorised core (plain arrays and dataclasses; no database, web or CLI).

Per period and per cell (vendor, site, market, language):

- deferred work: workload hours = volume × overlap × (1 + gold rate) × handling time + QA rate × volume × review
  time (`workload.workload_hours`); the volume worked in each period comes from the backlog capacity rule
  (`backlog.plan_backlog`: the least constant capacity that finishes every item by its deadline, run first-in
  first-out), so FTE = workload hours / productive hours per FTE, where productive hours = working days × hours per
  day × (1 − shrinkage) × occupancy;
- live queues: agents on the queue from Erlang C (M/M/N), or Erlang A (M/M/N+M) when items abandon, for a service
  level SL = share of arriving items whose labeling starts within `within_s` seconds (with Erlang A, abandoned
  items count as missed); FTE = agents × open hours / (working days × hours per day × (1 − shrinkage)) — occupancy is
  already inside the queueing result, so it is not applied again;
- roster: production headcount at the plan start, shrinking by monthly attrition to each period's middle;
- gap = required − roster; hires fill the shortfall not covered by earlier hires, counting ramp-up by week of
  tenure and attrition; "start hiring by" = period start − (hiring lead + training lead).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt

from safetyops.planning import backlog, erlang
from safetyops.planning import workload as wl
from safetyops.planning.erlang import invalid

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

SERVICE_LEVEL_DEFINITION = (
    "Live queues: service level = share of arriving items whose labeling starts within the target time "
    "(Erlang C, M/M/N, items wait forever; with a patience time, Erlang A, M/M/N+M, where abandoned items count "
    "as missed). Deferred work: every item is labeled by its deadline (backlog capacity rule, first in first out)."
)
_EPS = 1e-9


# ---------------------------------------------------------------- periods


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    @property
    def working_days(self) -> int:
        return int(np.busday_count(self.start, self.end + timedelta(days=1)))

    @property
    def calendar_days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def weeks(self) -> int:
        return max(1, round(self.calendar_days / 7))


def _add_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    last = (date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)).day
    return date(year, month, min(d.day, last))


def split_periods(start: date, end: date, months: int = 2) -> list[Period]:
    """Consecutive periods of `months` months from `start`; the last one is cut at `end` (inclusive)."""
    if end < start:
        raise invalid("to", f"must not be before the start {start}")
    if months < 1:
        raise invalid("period_months", "must be >= 1")
    periods: list[Period] = []
    cursor = start
    while cursor <= end:
        nxt = _add_months(start, months * (len(periods) + 1))
        periods.append(Period(cursor, min(nxt - timedelta(days=1), end)))
        cursor = nxt
    if any(p.working_days == 0 for p in periods):
        raise invalid("to", "every period needs at least one working day")
    return periods


def working_dates(start: date, end: date) -> npt.NDArray[np.datetime64]:
    days = np.arange(np.datetime64(start), np.datetime64(end + timedelta(days=1)))
    return days[np.is_busday(days)]


def period_index(days: npt.NDArray[np.datetime64], periods: Sequence[Period]) -> IntArray:
    """Which period each day falls in (days must lie inside the periods)."""
    starts = np.array([np.datetime64(p.start) for p in periods])
    return np.searchsorted(starts, days, side="right").astype(np.int64) - 1


# ---------------------------------------------------------------- parameters and scenarios


@dataclass(frozen=True)
class PlanParams:
    hours_per_day: float = 8.0
    shrinkage: float = 0.30
    occupancy: float = 0.85
    review_time_s: float = 60.0
    monthly_attrition: float = 0.03
    hiring_lead_days: int = 21
    training_lead_days: int = 10
    ramp: tuple[float, ...] = (0.5, 0.7, 0.85, 0.95)
    volume_factor: float = 1.0
    handling_factor: float = 1.0

    def check(self) -> None:
        wl.productive_hours_per_fte(1, self.hours_per_day, self.shrinkage, self.occupancy)
        if not 0 <= self.monthly_attrition < 1:
            raise invalid("monthly_attrition", "must be in [0, 1)")
        if self.hiring_lead_days < 0 or self.training_lead_days < 0:
            raise invalid("hiring_lead_days", "lead times must be >= 0 days")
        if self.volume_factor < 0 or self.handling_factor <= 0:
            raise invalid("volume_factor", "volume factor must be >= 0 and handling factor > 0")
        if self.review_time_s < 0:
            raise invalid("review_time_s", "must be >= 0")
        if any(not 0 <= r <= 1 for r in self.ramp):
            raise invalid("ramp", "each week's productivity must be in [0, 1]")


@dataclass(frozen=True)
class Scenario:
    """A named set of parameter overrides, e.g. 'volume+20%' or 'shrinkage=0.35'."""

    name: str
    overrides: dict[str, float] = field(default_factory=dict)

    def apply(self, params: PlanParams) -> PlanParams:
        values: dict[str, Any] = {}
        for key, value in self.overrides.items():
            if key in ("hiring_lead_days", "training_lead_days"):
                values[key] = round(value)
            else:
                values[key] = value
        return replace(params, **values)


_SCENARIO_NAMES = {
    "volume": "volume_factor",
    "handling": "handling_factor",
    "aht": "handling_factor",
    "shrinkage": "shrinkage",
    "occupancy": "occupancy",
    "attrition": "monthly_attrition",
    "hours": "hours_per_day",
    "hours_per_day": "hours_per_day",
    "review": "review_time_s",
    "hiring_lead": "hiring_lead_days",
    "training_lead": "training_lead_days",
}
_FACTORS = {"volume_factor", "handling_factor"}
_SCENARIO = re.compile(r"^\s*([a-z_]+)\s*(\+|-|=)?\s*(\d+(?:\.\d*)?|\.\d+)\s*(%?)\s*$", re.IGNORECASE)


def parse_scenario(text: str, base: PlanParams | None = None) -> Scenario:
    """'volume+20%' (relative), 'shrinkage=0.35' or 'shrinkage35%' (absolute), 'handling-10%'."""
    match = _SCENARIO.match(text)
    known = ", ".join(sorted(_SCENARIO_NAMES))
    if not match:
        raise invalid("scenario", f"cannot read {text!r}; write e.g. volume+20% or shrinkage=0.35 ({known})")
    name, sign, number, pct = match.groups()
    key = _SCENARIO_NAMES.get(name.lower())
    if key is None:
        raise invalid("scenario", f"unknown parameter {name!r} in {text!r}; known: {known}")
    value = float(number) / (100 if pct else 1)
    base = base or PlanParams()
    current = float(getattr(base, key))
    if key in _FACTORS:
        new = 1 + value if sign == "+" else 1 - value if sign == "-" else value
        return Scenario(text.strip(), {key: new})
    if sign == "+":
        new = current * (1 + value) if pct else current + value
    elif sign == "-":
        new = current * (1 - value) if pct else current - value
    else:
        new = value
    return Scenario(text.strip(), {key: new})


# ---------------------------------------------------------------- inputs


@dataclass(frozen=True)
class Cell:
    vendor: str
    site: str
    market: str
    language: str


@dataclass(frozen=True)
class LiveLine:
    """A live queue's share in one cell: arrivals per open hour, active share of each period's calendar days."""

    cell: int
    arrivals_per_hour: float
    handling_s: float
    target_sl: float
    within_s: float
    open_hours_per_day: float
    active: FloatArray  # (T,) in [0, 1]
    patience_s: float | None = None


@dataclass(frozen=True)
class PlanInputs:
    """Deferred lines (L of them, each in one cell) and live lines over T periods and C cells."""

    periods: Sequence[Period]
    cells: Sequence[Cell]
    roster: FloatArray  # (C,) production headcount (FTE) at the plan start
    line_cell: IntArray  # (L,)
    line_volume: FloatArray  # (L, T) items worked in each period
    line_handling_s: FloatArray  # (L,)
    line_overlap: FloatArray  # (L,)
    line_gold: FloatArray  # (L,)
    line_qa: FloatArray  # (L,)
    line_backlog: npt.NDArray[np.bool_] | None = None  # (L,) volume came from the backlog rule
    live: Sequence[LiveLine] = ()


def backlog_volume(
    arrivals: npt.ArrayLike, deadline_days: int, day_period: IntArray, periods: int, *, repeating: bool = False
) -> FloatArray:
    """Items worked per period when arrivals (per working day) must each be done within `deadline_days`.

    Uses the backlog capacity rule (least constant capacity, FIFO schedule) over the plan's working days; work still
    open at the end of the plan is left out (it belongs to later periods). A one-off workload (`repeating=False`) is
    padded with D − 1 empty days so that the rule's mean term, which assumes the pattern repeats, cannot force it to
    finish before its deadline; a steady flow that goes on after the plan keeps the mean term (`repeating=True`).
    """
    work = np.asarray(arrivals, dtype=float)
    if work.sum() == 0:
        return np.zeros(periods, dtype=float)
    padded = work if repeating else np.concatenate((work, np.zeros(deadline_days - 1)))
    plan = backlog.plan_backlog(padded, deadline_days)
    done = plan.processed[: work.size]
    return np.asarray(np.bincount(day_period, weights=done, minlength=periods)[:periods], dtype=float)


def backlog_volume_many(
    arrivals: npt.ArrayLike,
    deadline_days: npt.ArrayLike,
    day_period: IntArray,
    periods: int,
    repeating: npt.ArrayLike | bool = False,
) -> FloatArray:
    """`backlog_volume` for many workloads at once (rows of `arrivals`): (rows, periods) items worked.

    The same rule as `backlog.least_capacity` and `backlog.schedule`, vectorised over rows: one pass over window
    lengths for every row together, then one FIFO pass over the days. Tests check it against `backlog.plan_backlog`.
    """
    work = np.atleast_2d(np.asarray(arrivals, dtype=float))
    rows, n = work.shape
    d = np.broadcast_to(np.asarray(deadline_days), (rows,)).astype(np.int64)
    rep = np.broadcast_to(np.asarray(repeating, dtype=bool), (rows,))
    if rows == 0:
        return np.zeros((0, periods), dtype=float)
    if not np.all(np.isfinite(work)) or np.any(work < 0):
        raise invalid("work", "must be finite numbers >= 0")
    if np.any(d < 1):
        raise invalid("deadline", "must be a whole number of slots >= 1")
    cum = np.concatenate((np.zeros((rows, 1)), np.cumsum(work, axis=1)), axis=1)
    total = cum[:, -1]
    capacity = total / np.where(rep, n, n + d - 1)  # mean term; a one-off is padded with D − 1 empty days
    for lag in range(n):  # windows u..s with s − u = lag, all rows at once
        sums = cum[:, lag + 1 :] - cum[:, : n - lag]
        capacity = np.maximum(capacity, sums.max(axis=1) / (lag + d))
    done = np.zeros((rows, n))
    open_work = np.zeros(rows)
    for t in range(n):  # FIFO at constant capacity; work left after the plan's last day is not in the plan
        open_work += work[:, t]
        step = np.minimum(capacity, open_work)
        done[:, t] = step
        open_work -= step
    out = np.zeros((rows, periods))
    for t in range(periods):
        out[:, t] = done[:, day_period == t].sum(axis=1)
    return out


# ---------------------------------------------------------------- result


@dataclass(frozen=True)
class PlanResult:
    """Arrays of shape (C, T), one scenario."""

    scenario: str
    params: PlanParams
    periods: Sequence[Period]
    cells: Sequence[Cell]
    workload_hours: FloatArray
    productive_hours_per_fte: FloatArray  # (T,)
    deferred_fte: FloatArray
    live_agents: FloatArray
    live_fte: FloatArray
    required_fte: FloatArray
    roster_fte: FloatArray
    gap_fte: FloatArray
    hires: FloatArray
    start_hiring_by: list[date]  # (T,)
    methods: list[list[str]]  # per cell: the methods that contributed

    def rows(self) -> list[dict[str, Any]]:
        """One plain dict per cell and period."""
        out = []
        for t, p in enumerate(self.periods):
            for c, cell in enumerate(self.cells):
                out.append(
                    {
                        "scenario": self.scenario,
                        "period_start": p.start,
                        "period_end": p.end,
                        "vendor": cell.vendor,
                        "site": cell.site,
                        "market": cell.market,
                        "language": cell.language,
                        "working_days": p.working_days,
                        "workload_hours": float(self.workload_hours[c, t]),
                        "productive_hours_per_fte": float(self.productive_hours_per_fte[t]),
                        "deferred_fte": float(self.deferred_fte[c, t]),
                        "live_agents": float(self.live_agents[c, t]),
                        "live_fte": float(self.live_fte[c, t]),
                        "required_fte": float(self.required_fte[c, t]),
                        "roster_fte": float(self.roster_fte[c, t]),
                        "gap_fte": float(self.gap_fte[c, t]),
                        "hires": int(self.hires[c, t]),
                        "start_hiring_by": self.start_hiring_by[t] if self.hires[c, t] > 0 else None,
                        "method": "+".join(self.methods[c]) or "none",
                    }
                )
        return out


def _months_between(a: date, b: date) -> float:
    return (b - a).days / (365.25 / 12)


def _hire_factors(periods: Sequence[Period], params: PlanParams) -> FloatArray:
    """F[s, t]: mean effective FTE in period t of one person hired to start at period s's start (0 for t < s)."""
    n = len(periods)
    f = np.zeros((n, n))
    for s in range(n):
        for t in range(s, n):
            tenure = (periods[t].start - periods[s].start).days // 7
            alive = float(
                wl.retained(1.0, params.monthly_attrition, _months_between(periods[s].start, periods[t].start))
            )
            f[s, t] = alive * wl.cohort_effective_fte(
                1.0, params.ramp, periods[t].weeks, tenure, params.monthly_attrition
            )
    return f


def _live(inputs: PlanInputs, params: PlanParams, productive_days_hours: FloatArray) -> tuple[FloatArray, FloatArray]:
    c, t = len(inputs.cells), len(inputs.periods)
    agents, fte = np.zeros((c, t)), np.zeros((c, t))
    if not inputs.live:
        return agents, fte
    open_days = np.array([p.calendar_days for p in inputs.periods], dtype=float)
    plain = [ln for ln in inputs.live if ln.patience_s is None]
    n_of: dict[int, float] = {}
    if plain:
        traffic = np.array(
            [
                ln.arrivals_per_hour * params.volume_factor * ln.handling_s * params.handling_factor / 3600
                for ln in plain
            ]
        )
        aht = np.array([ln.handling_s * params.handling_factor for ln in plain])
        # lines share one solver call only when their targets match; group by (target, within)
        for key in {(ln.target_sl, ln.within_s) for ln in plain}:
            idx = [i for i, ln in enumerate(plain) if (ln.target_sl, ln.within_s) == key]
            res = erlang.staff_erlang_c_many(traffic[idx], aht[idx], key[0], key[1])
            for j, i in enumerate(idx):
                n_of[id(plain[i])] = float(res.agents[j])
    for ln in inputs.live:
        if ln.patience_s is not None:
            a = ln.arrivals_per_hour * params.volume_factor * ln.handling_s * params.handling_factor / 3600
            res_a = erlang.staff_erlang_a(
                a, ln.handling_s * params.handling_factor, ln.patience_s, ln.target_sl, ln.within_s
            )
            n = float(res_a.agents)
        else:
            n = n_of[id(ln)]
        hours = n * ln.open_hours_per_day * open_days * ln.active
        agents[ln.cell] += n * (ln.active > 0)
        fte[ln.cell] += hours / productive_days_hours
    return agents, fte


def compute_plan(
    inputs: PlanInputs, params: PlanParams, scenario: str = "base", plan_start: date | None = None
) -> PlanResult:
    """The plan of one scenario: workload, FTE, roster after attrition, gap and hires per cell and period."""
    params.check()
    periods = list(inputs.periods)
    n_cells, n_periods = len(inputs.cells), len(periods)
    start = plan_start or periods[0].start
    days = np.array([p.working_days for p in periods], dtype=float)
    hours = np.asarray(
        wl.workload_hours(
            inputs.line_volume * params.volume_factor,
            (inputs.line_handling_s * params.handling_factor)[:, None],
            inputs.line_overlap[:, None],
            inputs.line_gold[:, None],
            inputs.line_qa[:, None],
            params.review_time_s,
        ),
        dtype=float,
    ).reshape(inputs.line_volume.shape)
    cell_hours = np.zeros((n_cells, n_periods))
    if hours.size:
        np.add.at(cell_hours, inputs.line_cell, hours)
    productive = np.asarray(
        wl.productive_hours_per_fte(days, params.hours_per_day, params.shrinkage, params.occupancy), dtype=float
    )
    deferred = np.asarray(wl.fte_required(cell_hours, productive[None, :]), dtype=float)
    paid_on_queue = days * params.hours_per_day * (1 - params.shrinkage)
    live_agents, live_fte = _live(inputs, params, paid_on_queue)
    required = deferred + live_fte
    mid_months = np.array([_months_between(start, p.start + (p.end - p.start) / 2) for p in periods])
    survival = (1 - params.monthly_attrition) ** np.maximum(mid_months, 0)
    roster = np.asarray(inputs.roster, dtype=float)[:, None] * survival[None, :]
    gap = wl.staffing_gap(required, roster)
    shortfall = np.asarray(gap.shortfall, dtype=float).reshape(n_cells, n_periods)
    factors = _hire_factors(periods, params)
    hires = np.zeros((n_cells, n_periods))
    for t in range(n_periods):
        covered = hires[:, :t] @ factors[:t, t] if t else 0.0
        need = np.maximum(shortfall[:, t] - covered, 0.0)
        hires[:, t] = np.ceil(need / factors[t, t] - _EPS) if factors[t, t] > 0 else 0.0
    lead = timedelta(days=params.hiring_lead_days + params.training_lead_days)
    methods: list[list[str]] = [[] for _ in range(n_cells)]
    if inputs.line_cell.size:
        has_volume = inputs.line_volume.sum(axis=1) > 0
        from_backlog = inputs.line_backlog if inputs.line_backlog is not None else np.zeros(inputs.line_cell.size, bool)
        for name, mask in (("backlog", has_volume & from_backlog), ("workload", has_volume & ~from_backlog)):
            for c in np.unique(inputs.line_cell[mask]):
                methods[int(c)].append(name)
    for ln in inputs.live:
        name = "erlang_a" if ln.patience_s is not None else "erlang_c"
        if name not in methods[ln.cell]:
            methods[ln.cell].append(name)
    return PlanResult(
        scenario=scenario,
        params=params,
        periods=periods,
        cells=list(inputs.cells),
        workload_hours=cell_hours,
        productive_hours_per_fte=productive,
        deferred_fte=deferred,
        live_agents=live_agents,
        live_fte=live_fte,
        required_fte=required,
        roster_fte=roster,
        gap_fte=np.asarray(gap.gap, dtype=float).reshape(n_cells, n_periods),
        hires=hires,
        start_hiring_by=[p.start - lead for p in periods],
        methods=methods,
    )


def compute_scenarios(
    inputs: PlanInputs, params: PlanParams, scenarios: Iterable[Scenario] = (), plan_start: date | None = None
) -> list[PlanResult]:
    """The base plan and one plan per scenario, side by side."""
    out = [compute_plan(inputs, params, "base", plan_start)]
    for sc in scenarios:
        out.append(compute_plan(inputs, sc.apply(params), sc.name, plan_start))
    return out


def summary_of_rows(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per scenario and period: totals over cells (rows as made by `PlanResult.rows`)."""
    totals: dict[tuple[Any, Any, Any], dict[str, Any]] = {}
    for r in rows:
        key = (r["scenario"], r["period_start"], r["period_end"])
        t = totals.setdefault(
            key,
            {
                "scenario": key[0],
                "period_start": key[1],
                "period_end": key[2],
                "workload_hours": 0.0,
                "required_fte": 0.0,
                "roster_fte": 0.0,
                "shortfall_fte": 0.0,
                "surplus_fte": 0.0,
                "hires": 0,
            },
        )
        t["workload_hours"] += r["workload_hours"]
        t["required_fte"] += r["required_fte"]
        t["roster_fte"] += r["roster_fte"]
        t["shortfall_fte"] += max(r["gap_fte"], 0.0)
        t["surplus_fte"] += max(-r["gap_fte"], 0.0)
        t["hires"] += r["hires"]
    return list(totals.values())


def summary(results: Sequence[PlanResult]) -> list[dict[str, Any]]:
    """Per scenario and period: totals over cells."""
    return summary_of_rows(row for r in results for row in r.rows())
