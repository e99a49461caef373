"""Evaluation rules of a labeling request: pure functions over plain dataclasses (no database, web or CLI).

Each rule returns a `RuleResult` with a verdict (pass / warn / fail) and a reason a person can act on.
Thresholds come from a `RulesConfig`, read from YAML (`default_rules.yaml` ships the documented defaults).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from importlib import resources
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

from safetyops.intake.enums import Sensitivity, Term, Verdict
from safetyops.planning import workload as wl

SENSITIVITY_FLAGS = tuple(s.value for s in Sensitivity)
DAYS_PER_MONTH_WORKING = 52 * 5 / 12  # weekdays in an average month
HORIZON_DAYS = 3 * 366  # the deadline rule looks this far for an earliest feasible date


# ---------------------------------------------------------------- configuration (the rules YAML)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SensitivityConfig(_Strict):
    certifications: dict[str, str] = Field(
        default_factory=lambda: {
            "minors": "child_safety",
            "sexual_content": "adult_content",
            "graphic_violence": "graphic_violence",
        }
    )
    min_eligible_labelers: int = Field(default=5, ge=1)

    @field_validator("certifications")
    @classmethod
    def _known_flags(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - set(SENSITIVITY_FLAGS))
        if unknown:
            raise ValueError(f"unknown sensitivity flag(s) {unknown}; known: {list(SENSITIVITY_FLAGS)}")
        return value


class PersonalDataConfig(_Strict):
    approved_vendors: list[str] = Field(default_factory=list)


class ScopeConfig(_Strict):
    known_policies: list[str] = Field(min_length=1)
    min_labelers_per_language: int = Field(default=3, ge=1)
    min_labelers_per_market: int = Field(default=3, ge=1)


class CapacityConfig(_Strict):
    hours_per_day: float = Field(default=8.0, gt=0, le=24)
    shrinkage: float = Field(default=0.30, ge=0, lt=1)
    occupancy: float = Field(default=0.85, gt=0, le=1)
    review_time_s: float = Field(default=60.0, ge=0)
    default_gold_rate: float = Field(default=0.05, ge=0, lt=1)
    default_qa_rate: float = Field(default=0.05, ge=0, le=1)
    warn_utilisation: float = Field(default=0.8, gt=0, le=1)
    fte_per_labeler: float = Field(default=1.0, gt=0, le=1)


class DeadlineConfig(_Strict):
    hiring_lead_days: int = Field(default=21, ge=0)
    training_lead_days: int = Field(default=10, ge=0)
    max_hires: int = Field(default=20, ge=0)
    ramp: list[float] = Field(default_factory=lambda: [0.5, 0.7, 0.85, 0.95])

    @field_validator("ramp")
    @classmethod
    def _fractions(cls, value: list[float]) -> list[float]:
        if any(not 0 <= r <= 1 for r in value):
            raise ValueError("each week's productivity must be in [0, 1]")
        return value


class RulesConfig(_Strict):
    """Every threshold of the evaluation rules; see default_rules.yaml for what each one means."""

    sensitivity: SensitivityConfig = Field(default_factory=SensitivityConfig)
    personal_data: PersonalDataConfig = Field(default_factory=PersonalDataConfig)
    scope: ScopeConfig
    capacity: CapacityConfig = Field(default_factory=CapacityConfig)
    deadline: DeadlineConfig = Field(default_factory=DeadlineConfig)


def default_rules_text() -> str:
    return resources.files("safetyops.intake").joinpath("default_rules.yaml").read_text(encoding="utf-8")


# ---------------------------------------------------------------- facts


@dataclass(frozen=True)
class RequestFacts:
    """The parameters of a request the rules look at."""

    policies: tuple[str, ...]
    markets: tuple[str, ...]
    languages: tuple[str, ...]
    volume: int
    start: date
    deadline: date
    handling_time_s: float
    overlap: int = 1
    gold_rate: float | None = None
    qa_rate: float | None = None
    term: Term = Term.SHORT
    monthly_volume: int | None = None
    sensitivity: frozenset[str] = frozenset()
    data_region: str | None = None
    redaction: bool = False


@dataclass(frozen=True)
class VendorFacts:
    name: str
    data_regions: frozenset[str] = frozenset()


@dataclass(frozen=True)
class LabelerFacts:
    """A production labeler (other statuses are not given to the rules)."""

    vendor: str
    languages: frozenset[str]
    markets: frozenset[str]
    certifications: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Commitment:
    """FTE an accepted request holds from start to end (inclusive), in the languages it uses."""

    start: date
    end: date
    fte: float
    languages: frozenset[str] = frozenset()


@dataclass(frozen=True)
class World:
    vendors: tuple[VendorFacts, ...] = ()
    labelers: tuple[LabelerFacts, ...] = ()
    commitments: tuple[Commitment, ...] = ()


@dataclass(frozen=True)
class RuleResult:
    rule: str
    category: str
    verdict: Verdict
    reason: str
    detail: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "category": self.category,
            "verdict": self.verdict.value,
            "reason": self.reason,
            "detail": self.detail,
        }


# ---------------------------------------------------------------- shared computations


def working_days(start: date, end: date) -> int:
    """Weekdays from start to end, both included (0 when end < start)."""
    if end < start:
        return 0
    return int(np.busday_count(start, end + timedelta(days=1)))


def allowed_vendors(req: RequestFacts, world: World, cfg: RulesConfig) -> list[str]:
    """Vendors the content may go to: allowed for the data region, and approved when personal data is unredacted."""
    names = [v.name for v in world.vendors if req.data_region is None or req.data_region in v.data_regions]
    if Sensitivity.PERSONAL_DATA in req.sensitivity and not req.redaction:
        approved = set(cfg.personal_data.approved_vendors)
        names = [n for n in names if n in approved]
    return names


def required_certifications(req: RequestFacts, cfg: RulesConfig) -> list[str]:
    certs = cfg.sensitivity.certifications
    return sorted({certs[f] for f in req.sensitivity if f in certs})


def _serves(lab: LabelerFacts, req: RequestFacts) -> bool:
    lang_ok = not req.languages or bool(lab.languages & set(req.languages))
    market_ok = not req.markets or bool(lab.markets & set(req.markets))
    return lang_ok and market_ok


def eligible_labelers(req: RequestFacts, world: World, cfg: RulesConfig) -> list[LabelerFacts]:
    """Production labelers of allowed vendors who hold every required certification and serve a language and market."""
    vendors = set(allowed_vendors(req, world, cfg))
    certs = set(required_certifications(req, cfg))
    return [
        lab for lab in world.labelers if lab.vendor in vendors and certs <= lab.certifications and _serves(lab, req)
    ]


def _rates(req: RequestFacts, cfg: RulesConfig) -> tuple[float, float]:
    gold = cfg.capacity.default_gold_rate if req.gold_rate is None else req.gold_rate
    qa = cfg.capacity.default_qa_rate if req.qa_rate is None else req.qa_rate
    return gold, qa


def workload_of(req: RequestFacts, cfg: RulesConfig, volume: float | None = None) -> float:
    """Labeling + QA review hours of `volume` items (default: the request's volume)."""
    gold, qa = _rates(req, cfg)
    items = req.volume if volume is None else volume
    return float(wl.workload_hours(items, req.handling_time_s, req.overlap, gold, qa, cfg.capacity.review_time_s))


def productive_hours_per_day(cfg: RulesConfig) -> float:
    c = cfg.capacity
    return c.hours_per_day * (1 - c.shrinkage) * c.occupancy


def fte_needed(req: RequestFacts, cfg: RulesConfig) -> float:
    """FTE over the window (start..deadline); for long-term requests at least the FTE of the monthly volume."""
    c = cfg.capacity
    days = working_days(req.start, req.deadline)
    need = 0.0
    if req.volume > 0:
        if days == 0:
            return math.inf
        productive = float(wl.productive_hours_per_fte(days, c.hours_per_day, c.shrinkage, c.occupancy))
        need = float(wl.fte_required(workload_of(req, cfg), productive))
    if req.term == Term.LONG and req.monthly_volume:
        monthly = float(wl.productive_hours_per_fte(DAYS_PER_MONTH_WORKING, c.hours_per_day, c.shrinkage, c.occupancy))
        need = max(need, float(wl.fte_required(workload_of(req, cfg, req.monthly_volume), monthly)))
    return need


@dataclass(frozen=True)
class FreeCapacity:
    roster_fte: float
    committed_fte: float

    @property
    def free_fte(self) -> float:
        return max(self.roster_fte - self.committed_fte, 0.0)


def free_capacity(req: RequestFacts, world: World, cfg: RulesConfig) -> FreeCapacity:
    """Eligible roster FTE minus FTE of accepted requests whose window overlaps and that share a language."""
    roster = len(eligible_labelers(req, world, cfg)) * cfg.capacity.fte_per_labeler
    langs = set(req.languages)
    committed = sum(
        c.fte
        for c in world.commitments
        if c.start <= req.deadline and c.end >= req.start and (not langs or not c.languages or c.languages & langs)
    )
    return FreeCapacity(roster, committed)


# ---------------------------------------------------------------- the rules


def _r(rule: str, category: str, verdict: Verdict, reason: str, **detail: Any) -> RuleResult:
    return RuleResult(rule, category, verdict, reason, detail)


def rule_sensitive_content(req: RequestFacts, world: World, cfg: RulesConfig) -> RuleResult:
    name = "compliance.sensitive_content"
    certs = required_certifications(req, cfg)
    if not certs:
        return _r(name, "compliance", Verdict.PASS, "no sensitive content needing a certification is flagged")
    n = len(eligible_labelers(req, world, cfg))
    least = cfg.sensitivity.min_eligible_labelers
    detail = {"certifications": certs, "eligible_labelers": n, "minimum": least}
    if n == 0:
        reason = (
            f"no production labeler holds {', '.join(certs)} for these languages/markets at an allowed vendor; "
            "certify labelers first or drop the sensitive content"
        )
        return _r(name, "compliance", Verdict.FAIL, reason, **detail)
    if n < least:
        reason = f"only {n} labeler(s) hold {', '.join(certs)} (fewer than {least}); certify more before starting"
        return _r(name, "compliance", Verdict.WARN, reason, **detail)
    return _r(name, "compliance", Verdict.PASS, f"{n} labelers hold {', '.join(certs)}", **detail)


def rule_data_region(req: RequestFacts, world: World, cfg: RulesConfig) -> RuleResult:
    name = "compliance.data_region"
    if req.data_region is None:
        return _r(name, "compliance", Verdict.PASS, "no data region given: any vendor may receive the content")
    vendors = sorted(v.name for v in world.vendors if req.data_region in v.data_regions)
    if not vendors:
        reason = (
            f"no vendor is allowed to receive data of region '{req.data_region}'; "
            "add the region to a vendor's data_regions or choose another region"
        )
        return _r(name, "compliance", Verdict.FAIL, reason, region=req.data_region, vendors=[])
    reason = f"content of region '{req.data_region}' goes only to {', '.join(vendors)}"
    return _r(name, "compliance", Verdict.PASS, reason, region=req.data_region, vendors=vendors)


def rule_personal_data(req: RequestFacts, world: World, cfg: RulesConfig) -> RuleResult:
    name = "compliance.personal_data"
    if Sensitivity.PERSONAL_DATA not in req.sensitivity:
        return _r(name, "compliance", Verdict.PASS, "no personal data flagged")
    if req.redaction:
        return _r(name, "compliance", Verdict.PASS, "personal data is redacted before labeling")
    vendors = allowed_vendors(req, world, cfg)
    if not vendors:
        approved = cfg.personal_data.approved_vendors
        reason = (
            "personal data without redaction needs a vendor approved for it"
            + (f" and allowed for region '{req.data_region}'" if req.data_region else "")
            + f" (approved: {', '.join(approved) or 'none'}); redact the data or get a vendor approved"
        )
        return _r(name, "compliance", Verdict.FAIL, reason, approved_vendors=approved)
    reason = f"unredacted personal data goes only to approved vendor(s) {', '.join(sorted(vendors))}"
    return _r(name, "compliance", Verdict.PASS, reason, vendors=sorted(vendors))


def rule_policies(req: RequestFacts, world: World, cfg: RulesConfig) -> RuleResult:
    name = "scope.policies"
    known = set(cfg.scope.known_policies)
    unknown = [p for p in req.policies if p not in known]
    if unknown:
        reason = (
            f"polic{'y' if len(unknown) == 1 else 'ies'} {', '.join(unknown)} outside the team's taxonomy; "
            f"use one of: {', '.join(cfg.scope.known_policies)}"
        )
        return _r(name, "scope", Verdict.FAIL, reason, unknown=unknown)
    return _r(name, "scope", Verdict.PASS, f"all {len(req.policies)} policies are in the taxonomy")


def _served(req: RequestFacts, world: World, cfg: RulesConfig, what: str) -> RuleResult:
    name = f"scope.{what}"
    wanted: tuple[str, ...] = req.languages if what == "languages" else req.markets
    least = cfg.scope.min_labelers_per_language if what == "languages" else cfg.scope.min_labelers_per_market
    vendors = set(allowed_vendors(req, world, cfg))
    pool = [lab for lab in world.labelers if lab.vendor in vendors]
    counts = {w: sum(1 for lab in pool if w in (lab.languages if what == "languages" else lab.markets)) for w in wanted}
    missing = [w for w, n in counts.items() if n == 0]
    thin = [w for w, n in counts.items() if 0 < n < least]
    if missing:
        reason = f"no production labeler at an allowed vendor serves {what} {', '.join(missing)}; recruit or drop them"
        return _r(name, "scope", Verdict.FAIL, reason, labelers=counts)
    if thin:
        reason = f"{what} {', '.join(thin)} served by fewer than {least} labelers; plan recruiting or backup"
        return _r(name, "scope", Verdict.WARN, reason, labelers=counts)
    return _r(
        name, "scope", Verdict.PASS, f"every requested {what[:-1]} is served by ≥ {least} labelers", labelers=counts
    )


def rule_languages(req: RequestFacts, world: World, cfg: RulesConfig) -> RuleResult:
    return _served(req, world, cfg, "languages")


def rule_markets(req: RequestFacts, world: World, cfg: RulesConfig) -> RuleResult:
    return _served(req, world, cfg, "markets")


def rule_capacity(req: RequestFacts, world: World, cfg: RulesConfig) -> RuleResult:
    name = "capacity.fte"
    need = fte_needed(req, cfg)
    cap = free_capacity(req, world, cfg)
    free = cap.free_fte
    detail = {
        "fte_needed": round(need, 3),
        "roster_fte": round(cap.roster_fte, 3),
        "committed_fte": round(cap.committed_fte, 3),
        "free_fte": round(free, 3),
        "workload_hours": round(workload_of(req, cfg), 2),
        "working_days": working_days(req.start, req.deadline),
    }
    window = f"from {req.start} to {req.deadline}"
    if need > free:
        reason = (
            f"needs {need:.1f} FTE {window} but only {free:.1f} FTE are free "
            f"({cap.roster_fte:.1f} eligible on the roster − {cap.committed_fte:.1f} committed); "
            "move the deadline, lower volume or overlap, or hire"
        )
        return _r(name, "capacity", Verdict.FAIL, reason, **detail)
    if need > cfg.capacity.warn_utilisation * free:
        reason = (
            f"needs {need:.1f} of {free:.1f} free FTE {window} "
            f"(over {cfg.capacity.warn_utilisation:.0%}); little slack for absence or rework"
        )
        return _r(name, "capacity", Verdict.WARN, reason, **detail)
    return _r(name, "capacity", Verdict.PASS, f"needs {need:.1f} of {free:.1f} free FTE {window}", **detail)


def _cumulative_output(
    req: RequestFacts, cfg: RulesConfig, free: float, hires: float
) -> tuple[np.ndarray, np.ndarray, date]:
    """Working dates from start and cumulative productive hours with `free` FTE, plus `hires` from the arrival date."""
    d = cfg.deadline
    arrive = req.start + timedelta(days=d.hiring_lead_days + d.training_lead_days)
    days = np.arange(np.datetime64(req.start), np.datetime64(req.start + timedelta(days=HORIZON_DAYS)))
    days = days[np.is_busday(days)]
    per_day = productive_hours_per_day(cfg)
    tenure_weeks = np.maximum((days - np.datetime64(arrive)).astype(int), 0) // 7
    ramp = np.append(np.asarray(d.ramp, dtype=float), 1.0)
    productivity = np.where(days >= np.datetime64(arrive), ramp[np.minimum(tenure_weeks, len(d.ramp))], 0.0)
    output = per_day * (free + hires * productivity)
    return days, np.cumsum(output), arrive


def rule_deadline(req: RequestFacts, world: World, cfg: RulesConfig) -> RuleResult:
    name = "deadline.feasible"
    hours = workload_of(req, cfg)
    free = free_capacity(req, world, cfg).free_fte
    window_days = working_days(req.start, req.deadline)
    per_day = productive_hours_per_day(cfg)
    detail: dict[str, Any] = {"workload_hours": round(hours, 2), "free_fte": round(free, 3)}
    if hours == 0:
        return _r(name, "deadline", Verdict.PASS, "no volume to label by the deadline", **detail)
    if free > 0 and hours <= free * per_day * window_days + 1e-9:
        finish_days = math.ceil(hours / (free * per_day) - 1e-9)
        dates, _, _ = _cumulative_output(req, cfg, free, 0)
        finish = dates[finish_days - 1].item()
        reason = f"feasible with current free staff ({free:.1f} FTE): done in {finish_days} working days, by {finish}"
        return _r(name, "deadline", Verdict.PASS, reason, finish=finish.isoformat(), **detail)
    d = cfg.deadline
    dates, cum_one, arrive = _cumulative_output(req, cfg, 0.0, 1.0)  # output of one hire alone
    in_window = dates <= np.datetime64(req.deadline)
    per_hire = float(cum_one[in_window][-1]) if in_window.any() else 0.0
    short = hours - free * per_day * window_days
    hires = math.ceil(short / per_hire - 1e-9) if per_hire > 0 else math.inf
    start_by = req.start.isoformat()
    detail |= {"hires_needed": None if math.isinf(hires) else hires, "hires_productive_from": arrive.isoformat()}
    if hires <= d.max_hires:
        reason = (
            f"current free staff ({free:.1f} FTE) cannot finish by {req.deadline}; feasible with {hires} new hire(s): "
            f"start hiring by {start_by} ({d.hiring_lead_days} days hiring + {d.training_lead_days} days training, "
            f"productive from {arrive})"
        )
        return _r(name, "deadline", Verdict.WARN, reason, start_hiring_by=start_by, **detail)
    _, cum, _ = _cumulative_output(req, cfg, free, float(d.max_hires))
    reached = np.flatnonzero(cum >= hours - 1e-9)
    if reached.size == 0:
        reason = (
            f"not feasible within {HORIZON_DAYS // 366} years even hiring {d.max_hires}; split or shrink the request"
        )
        return _r(name, "deadline", Verdict.FAIL, reason, earliest=None, **detail)
    earliest = dates[reached[0]].item()
    reason = (
        f"cannot finish by {req.deadline} even hiring the maximum of {d.max_hires}; "
        f"earliest feasible date is {earliest} — ask for that deadline or less volume/overlap"
    )
    return _r(name, "deadline", Verdict.FAIL, reason, earliest=earliest.isoformat(), **detail)


RULES: tuple[Callable[[RequestFacts, World, RulesConfig], RuleResult], ...] = (
    rule_sensitive_content,
    rule_data_region,
    rule_personal_data,
    rule_policies,
    rule_languages,
    rule_markets,
    rule_capacity,
    rule_deadline,
)


def evaluate(req: RequestFacts, world: World, cfg: RulesConfig) -> list[RuleResult]:
    """Every rule's result, in order: compliance, scope, capacity, deadline."""
    return [rule(req, world, cfg) for rule in RULES]


def overall(results: Iterable[RuleResult]) -> Verdict:
    """The worst verdict."""
    verdicts = {r.verdict for r in results}
    if Verdict.FAIL in verdicts:
        return Verdict.FAIL
    return Verdict.WARN if Verdict.WARN in verdicts else Verdict.PASS
