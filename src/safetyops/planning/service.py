"""Manpower plan use cases: gather demand (accepted requests) and the roster, compute scenarios, save, read.

Demand comes from accepted requests that have a project (their effective parameters, conditions applied):
- the request's volume is split evenly over its market × language pairs, and inside a pair over the project's
  vendors' sites in proportion to their production headcount there (an "(unassigned)" cell when nobody serves it);
- a request whose window began before the plan start is assumed to have progressed evenly: the volume left is
  volume × working days left / working days of the window;
- long-term requests: `volume` is due by the deadline, then `monthly_volume` arrives every working day after it,
  each item due within `turnaround_days` working days (default 5);
- a live queue (`live_queue` on the request) is planned with Erlang C, or Erlang A when it has a patience time.
Handling time: the median `time_spent_ms` of the project's labels of the last `measured_days` days when at least
`min_measured_labels` exist, else the request's estimate.
Roster: production labelers; one with several markets or languages counts 1 / (markets × languages) in each.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from safetyops.auth.audit import record
from safetyops.auth.policies import PlanPolicy, hidden
from safetyops.auth.principal import Principal
from safetyops.intake import service as intake
from safetyops.intake.enums import Term
from safetyops.intake.models import LabelingRequest
from safetyops.intake.schemas import ACCEPTED, RequestSpec
from safetyops.planning import plans
from safetyops.planning.models import ManpowerPlan, ManpowerPlanRow
from safetyops.planning.plan_xlsx import plan_workbook
from safetyops.planning.schemas import PlanIn
from safetyops.projects.models import ProjectVendor
from safetyops.work.models import Label
from safetyops.workforce.enums import LabelerStatus
from safetyops.workforce.models import Labeler, Site, Vendor

DEFAULT_TURNAROUND_DAYS = 5
UNASSIGNED = "(unassigned)"
DAYS_PER_MONTH_WORKING = 52 * 5 / 12


@dataclass
class PlanSetup:
    inputs: plans.PlanInputs
    notes: list[str] = field(default_factory=list)


def measured_handling_s(session: Session, project_id: int, since: datetime, min_labels: int) -> tuple[float, int]:
    """Median seconds per label of the project's labels since `since` (nan when fewer than `min_labels`)."""
    times = list(
        session.scalars(
            select(Label.time_spent_ms).where(
                Label.project_id == project_id, Label.created_at >= since, Label.time_spent_ms > 0
            )
        )
    )
    if len(times) < max(min_labels, 1):
        return float("nan"), len(times)
    return float(np.median(np.asarray(times, dtype=float))) / 1000, len(times)


def _roster(session: Session) -> dict[plans.Cell, float]:
    vendors = dict(session.execute(select(Vendor.id, Vendor.name)).all())
    sites = dict(session.execute(select(Site.id, Site.name)).all())
    cells: dict[plans.Cell, float] = defaultdict(float)
    for lab in session.scalars(select(Labeler).where(Labeler.status == LabelerStatus.PRODUCTION.value)):
        markets, languages = lab.markets or ["-"], lab.languages or ["-"]
        share = 1.0 / (len(markets) * len(languages))
        site = sites.get(lab.site_id, "-") if lab.site_id is not None else "-"
        for m in markets:
            for g in languages:
                cells[plans.Cell(vendors[lab.vendor_id], site, m, g)] += share
    return dict(cells)


def _day_index(days: np.ndarray, when: date) -> int:
    return int(np.searchsorted(days, np.datetime64(when)))


@dataclass(frozen=True)
class _Workload:
    """One deferred workload of a request: arrivals per plan working day, each due within `deadline` days."""

    request: int
    arrivals: np.ndarray
    deadline: int
    repeating: bool


def _deferred_workloads(index: int, spec: RequestSpec, window_start: date, days: np.ndarray) -> list[_Workload]:
    """The request's batch (volume by the deadline) and, for long-term requests, the monthly flow after it."""
    out = []
    plan_start, plan_end = days[0].item(), days[-1].item()
    if spec.volume > 0 and spec.deadline >= plan_start and window_start <= plan_end:
        arrive = max(window_start, plan_start)
        window_days = max(plans.Period(window_start, spec.deadline).working_days, 1)
        left_days = max(plans.Period(arrive, spec.deadline).working_days, 1)
        i = _day_index(days, arrive)
        if i < days.size:
            arrivals = np.zeros(days.size)
            arrivals[i] = spec.volume * min(left_days / window_days, 1.0)
            out.append(_Workload(index, arrivals, left_days, False))
    if spec.term == Term.LONG and spec.monthly_volume:
        i = _day_index(days, max(spec.deadline + timedelta(days=1), plan_start))
        if i < days.size:
            arrivals = np.zeros(days.size)
            arrivals[i:] = spec.monthly_volume / DAYS_PER_MONTH_WORKING
            out.append(_Workload(index, arrivals, spec.turnaround_days or DEFAULT_TURNAROUND_DAYS, True))
    return out


def _active_share(start: date, end: date, periods: list[plans.Period]) -> np.ndarray:
    share = []
    for p in periods:
        lo, hi = max(start, p.start), min(end, p.end)
        share.append(max((hi - lo).days + 1, 0) / p.calendar_days)
    return np.asarray(share, dtype=float)


def build_inputs(
    session: Session,
    periods: list[plans.Period],
    *,
    measured_days: int = 28,
    min_measured_labels: int = 20,
    now: datetime | None = None,
) -> PlanSetup:
    """The pure core's inputs from accepted requests, their projects' labels and the production roster."""
    now = now or datetime.now(UTC)
    roster = _roster(session)
    cells: list[plans.Cell] = list(roster)
    index = {c: i for i, c in enumerate(cells)}
    days = plans.working_dates(periods[0].start, periods[-1].end)
    day_period = plans.period_index(days, periods)
    notes: list[str] = []
    line_cell: list[int] = []
    line_request: list[int] = []
    line_share: list[float] = []
    workloads: list[_Workload] = []
    handling: list[float] = []
    overlap: list[float] = []
    gold: list[float] = []
    qa: list[float] = []
    live: list[plans.LiveLine] = []
    cfg = intake.load_rules()
    accepted = session.scalars(
        select(LabelingRequest).where(LabelingRequest.status.in_(ACCEPTED)).order_by(LabelingRequest.id)
    )
    for request in accepted:
        if request.project_id is None:
            continue
        spec = intake.effective_spec(session, request)
        vendor_names = set(
            session.scalars(
                select(Vendor.name)
                .join(ProjectVendor, ProjectVendor.vendor_id == Vendor.id)
                .where(ProjectVendor.project_id == request.project_id)
            )
        )
        aht, n_labels = measured_handling_s(
            session, request.project_id, now - timedelta(days=measured_days), min_measured_labels
        )
        if aht == aht:
            notes.append(
                f"request {request.id}: handling time {aht:.1f} s measured (median of {n_labels} labels, "
                f"last {measured_days} days); the request estimated {spec.handling_time_s:g} s"
            )
        else:
            aht = spec.handling_time_s
            notes.append(
                f"request {request.id}: handling time {aht:g} s from the request ({n_labels} labels measured, "
                f"fewer than {min_measured_labels})"
            )
        workloads += _deferred_workloads(request.id, spec, request.window_start, days)
        pairs = [(m, g) for m in spec.markets for g in spec.languages]
        for m, g in pairs:
            candidates = [
                c for c in roster if c.vendor in vendor_names and c.market == m and c.language == g and roster[c] > 0
            ]
            if not candidates:
                unassigned = plans.Cell(UNASSIGNED, "-", m, g)
                if unassigned not in index:
                    index[unassigned] = len(cells)
                    cells.append(unassigned)
                candidates = [unassigned]
                notes.append(f"request {request.id}: nobody on the project's vendors serves {m}/{g}")
            weights = np.array([roster.get(c, 1.0) for c in candidates])
            shares = weights / weights.sum() / len(pairs)
            for c, share in zip(candidates, shares, strict=True):
                line_cell.append(index[c])
                line_request.append(request.id)
                line_share.append(float(share))
                handling.append(aht)
                overlap.append(spec.overlap)
                gold.append(spec.gold_rate if spec.gold_rate is not None else cfg.capacity.default_gold_rate)
                qa.append(spec.qa_rate if spec.qa_rate is not None else cfg.capacity.default_qa_rate)
                if spec.live_queue is not None:
                    q = spec.live_queue
                    end = spec.deadline if spec.term == Term.SHORT else periods[-1].end
                    live.append(
                        plans.LiveLine(
                            cell=index[c],
                            arrivals_per_hour=q.arrivals_per_hour * share,
                            handling_s=aht,
                            target_sl=q.target_sl,
                            within_s=q.within_s,
                            open_hours_per_day=q.open_hours_per_day,
                            active=_active_share(request.window_start, end, periods),
                            patience_s=q.patience_s,
                        )
                    )
    n_t = len(periods)
    by_request: dict[int, np.ndarray] = defaultdict(lambda: np.zeros(n_t))
    if workloads:
        worked = plans.backlog_volume_many(
            np.stack([w.arrivals for w in workloads]),
            np.array([w.deadline for w in workloads]),
            day_period,
            n_t,
            np.array([w.repeating for w in workloads]),
        )
        for w, row in zip(workloads, worked, strict=True):
            by_request[w.request] = by_request[w.request] + row
    line_volume = [by_request[r] * share for r, share in zip(line_request, line_share, strict=True)]
    inputs = plans.PlanInputs(
        periods=periods,
        cells=cells,
        roster=np.array([roster.get(c, 0.0) for c in cells], dtype=float),
        line_cell=np.array(line_cell, dtype=np.int64),
        line_volume=np.array(line_volume, dtype=float).reshape(len(line_cell), n_t),
        line_handling_s=np.array(handling, dtype=float),
        line_overlap=np.array(overlap, dtype=float),
        line_gold=np.array(gold, dtype=float),
        line_qa=np.array(qa, dtype=float),
        line_backlog=np.ones(len(line_cell), dtype=bool),
        live=live,
    )
    return PlanSetup(inputs, notes)


@dataclass
class ComputedPlan:
    results: list[plans.PlanResult]
    notes: list[str]
    params: plans.PlanParams
    scenarios: list[plans.Scenario]
    periods: list[plans.Period]
    plan_id: int | None = None

    def rows(self) -> list[dict[str, Any]]:
        return [row for r in self.results for row in r.rows()]

    def summary(self) -> list[dict[str, Any]]:
        return plans.summary(self.results)


def compute(
    session: Session,
    start: date,
    end: date,
    *,
    params: plans.PlanParams | None = None,
    scenarios: list[str] | None = None,
    period_months: int = 2,
    measured_days: int = 28,
    min_measured_labels: int = 20,
) -> ComputedPlan:
    params = params or plans.PlanParams()
    params.check()
    parsed = [plans.parse_scenario(s, params) for s in scenarios or []]
    periods = plans.split_periods(start, end, period_months)
    setup = build_inputs(session, periods, measured_days=measured_days, min_measured_labels=min_measured_labels)
    results = plans.compute_scenarios(setup.inputs, params, parsed, plan_start=start)
    today = date.today()
    for r in results:
        for t, by in enumerate(r.start_hiring_by):
            hires = int(r.hires[:, t].sum())
            if hires and by < today:
                setup.notes.append(
                    f"{r.scenario}: {hires} hire(s) for the period from {periods[t].start} should have been opened "
                    f"by {by} ({(today - by).days} days ago); they will ramp up late"
                )
    return ComputedPlan(results, setup.notes, params, parsed, periods)


def save(session: Session, plan: ComputedPlan, actor: Principal | None, name: str = "", period_months: int = 2) -> int:
    """Building block: store a computed plan (actor None: the system)."""
    row = ManpowerPlan(
        name=name,
        period_from=plan.periods[0].start,
        period_to=plan.periods[-1].end,
        period_months=period_months,
        params={k: list(v) if isinstance(v, tuple) else v for k, v in asdict(plan.params).items()},
        scenarios=[{"name": s.name, "overrides": s.overrides} for s in plan.scenarios],
        notes=plan.notes,
        service_level=plans.SERVICE_LEVEL_DEFINITION,
        created_by=actor.user_id if actor is not None else None,
    )
    session.add(row)
    session.flush()
    session.add_all(ManpowerPlanRow(plan_id=row.id, **r) for r in plan.rows())
    record(
        session,
        actor,
        "plan.create",
        "manpower_plan",
        row.id,
        {"from": str(row.period_from), "to": str(row.period_to)},
    )
    plan.plan_id = row.id
    return row.id


ROW_FIELDS = (
    "scenario",
    "period_start",
    "period_end",
    "vendor",
    "site",
    "market",
    "language",
    "working_days",
    "workload_hours",
    "productive_hours_per_fte",
    "deferred_fte",
    "live_agents",
    "live_fte",
    "required_fte",
    "roster_fte",
    "gap_fte",
    "hires",
    "start_hiring_by",
    "method",
)


def get_plan(session: Session, plan_id: int) -> tuple[ManpowerPlan, list[dict[str, Any]]]:
    """Building block: a stored plan and its rows."""
    plan = session.get(ManpowerPlan, plan_id)
    if plan is None:
        raise hidden("manpower plan", plan_id)
    rows = session.scalars(
        select(ManpowerPlanRow).where(ManpowerPlanRow.plan_id == plan_id).order_by(ManpowerPlanRow.id)
    )
    return plan, [{f: getattr(r, f) for f in ROW_FIELDS} for r in rows]


def as_document(session: Session, plan_id: int) -> dict[str, Any]:
    """A stored plan as one JSON-ready document: range, parameters, scenarios, summary, rows."""
    plan, rows = get_plan(session, plan_id)
    return {
        "id": plan.id,
        "name": plan.name,
        "from": plan.period_from,
        "to": plan.period_to,
        "period_months": plan.period_months,
        "params": plan.params,
        "scenarios": plan.scenarios,
        "service_level": plan.service_level,
        "notes": plan.notes,
        "summary": plans.summary_of_rows(rows),
        "rows": rows,
    }


def create_plan(session: Session, principal: Principal, body: PlanIn) -> dict[str, Any]:
    """Compute a manpower plan (base + scenarios) from accepted requests and the roster, store it (ops managers)."""
    PlanPolicy.can_create.require(principal)
    plan = compute(
        session,
        body.from_,
        body.to,
        params=body.params(),
        scenarios=body.scenarios,
        period_months=body.period_months,
        measured_days=body.measured_days,
        min_measured_labels=body.min_measured_labels,
    )
    plan_id = save(session, plan, principal, body.name, body.period_months)
    return as_document(session, plan_id)


def read_plan(session: Session, principal: Principal, plan_id: int) -> dict[str, Any]:
    PlanPolicy.can_read.require(principal)
    return as_document(session, plan_id)


def read_plan_workbook(session: Session, principal: Principal, plan_id: int) -> bytes:
    """The stored plan as a workbook: a summary sheet and one sheet per scenario."""
    PlanPolicy.can_read.require(principal)
    plan, rows = get_plan(session, plan_id)
    return plan_workbook(rows, plans.summary_of_rows(rows), plan.service_level, plan.notes)
