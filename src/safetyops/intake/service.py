"""Request use cases: file, evaluate, decide (accepting creates the project), read; every step audited."""

from __future__ import annotations

import os
import re
from datetime import UTC, date, datetime, time
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from safetyops.auth.audit import record
from safetyops.auth.policies import RequestPolicy, hidden
from safetyops.auth.principal import Principal
from safetyops.errors import Conflict, InvalidInput, Problem
from safetyops.guidelines.enums import QuestionType
from safetyops.guidelines.taxonomy import Choice, Question, Taxonomy
from safetyops.intake import rules
from safetyops.intake.enums import Outcome, RequestStatus
from safetyops.intake.models import LabelingRequest, RequestDecision
from safetyops.intake.schemas import ACCEPTED, STATUS_OF_OUTCOME, Conditions, DecisionIn, RequestSpec
from safetyops.intake.yamlfile import validate_yaml_file, validate_yaml_text
from safetyops.projects import service as projects
from safetyops.projects.schemas import ProjectSpec
from safetyops.workforce.enums import LabelerStatus
from safetyops.workforce.models import Labeler, Vendor

RULES_ENV = "SAFETYOPS_INTAKE_RULES"
OPEN_STATUSES = (RequestStatus.SUBMITTED.value, RequestStatus.NEED_INFO.value)


# ---------------------------------------------------------------- rules and request files


def load_rules(path: Path | str | None = None) -> rules.RulesConfig:
    """The rules from `path`, else from $SAFETYOPS_INTAKE_RULES, else the shipped defaults."""
    chosen = path or os.environ.get(RULES_ENV) or None
    if chosen is None:
        return validate_yaml_text(rules.default_rules_text(), "default_rules.yaml", rules.RulesConfig, "rules file")
    return validate_yaml_file(Path(chosen), rules.RulesConfig, "rules file")


def load_request_file(path: Path) -> RequestSpec:
    """A request from YAML; every problem names the file, the line and the field."""
    return validate_yaml_file(path, RequestSpec, "request file")


def stored_spec(request: LabelingRequest) -> RequestSpec:
    return RequestSpec.model_validate(request.spec, context={"stored": True})


def effective_spec(session: Session, request: LabelingRequest) -> RequestSpec:
    """The request as accepted: its spec with the conditions of the latest accepting decision applied."""
    spec = stored_spec(request)
    decision = session.scalar(
        select(RequestDecision)
        .where(RequestDecision.request_id == request.id)
        .order_by(RequestDecision.id.desc())
        .limit(1)
    )
    if decision is None or not decision.conditions:
        return spec
    cond = Conditions.model_validate(decision.conditions)
    return spec.model_copy(update={k: v for k, v in cond.model_dump().items() if v is not None})


# ---------------------------------------------------------------- evaluation


def facts_of(spec: RequestSpec, today: date) -> rules.RequestFacts:
    return rules.RequestFacts(
        policies=tuple(spec.policies),
        markets=tuple(spec.markets),
        languages=tuple(spec.languages),
        volume=spec.volume,
        start=spec.window_start(today),
        deadline=spec.deadline,
        handling_time_s=spec.handling_time_s,
        overlap=spec.overlap,
        gold_rate=spec.gold_rate,
        qa_rate=spec.qa_rate,
        term=spec.term,
        monthly_volume=spec.monthly_volume,
        sensitivity=frozenset(spec.sensitivity),
        data_region=spec.data_region,
        redaction=spec.redaction,
    )


def world_of(session: Session, exclude_request: int | None = None) -> rules.World:
    """Vendors, production labelers and the FTE committed to accepted requests, as plain facts."""
    vendors = {v.id: v for v in session.scalars(select(Vendor))}
    labelers = tuple(
        rules.LabelerFacts(
            vendor=vendors[lab.vendor_id].name,
            languages=frozenset(lab.languages or []),
            markets=frozenset(lab.markets or []),
            certifications=frozenset(lab.certifications or []),
        )
        for lab in session.scalars(select(Labeler).where(Labeler.status == LabelerStatus.PRODUCTION.value))
    )
    commitments = tuple(
        rules.Commitment(r.window_start, r.window_end, r.fte_needed or 0.0, frozenset(r.spec.get("languages", [])))
        for r in session.scalars(select(LabelingRequest).where(LabelingRequest.status.in_(ACCEPTED)))
        if r.id != exclude_request
    )
    return rules.World(
        tuple(rules.VendorFacts(v.name, frozenset(v.data_regions or [])) for v in vendors.values()),
        labelers,
        commitments,
    )


def run_rules(
    session: Session, spec: RequestSpec, cfg: rules.RulesConfig, today: date, exclude_request: int | None = None
) -> tuple[list[rules.RuleResult], float]:
    facts = facts_of(spec, today)
    results = rules.evaluate(facts, world_of(session, exclude_request), cfg)
    return results, rules.fte_needed(facts, cfg)


def _finite(x: float) -> float | None:
    return x if x == x and abs(x) != float("inf") else None


# ---------------------------------------------------------------- use cases


def file_request(
    session: Session, principal: Principal, spec: RequestSpec, cfg: rules.RulesConfig, today: date | None = None
) -> LabelingRequest:
    """Store a new request, filed by the caller, with its evaluation (status submitted)."""
    RequestPolicy.can_file.require(principal)
    requester_id = principal.user_id
    today = today or date.today()
    results, need = run_rules(session, spec, cfg, today)
    request = LabelingRequest(
        title=spec.title,
        purpose=spec.purpose,
        requester_id=requester_id,
        status=RequestStatus.SUBMITTED.value,
        spec=spec.model_dump(mode="json"),
        evaluation=[r.as_dict() for r in results],
        verdict=rules.overall(results).value,
        fte_needed=_finite(need),
        window_start=spec.window_start(today),
        window_end=spec.deadline,
    )
    session.add(request)
    session.flush()
    record(session, principal, "request.file", "request", request.id, {"title": spec.title})
    record(session, principal, "request.evaluate", "request", request.id, {"verdict": request.verdict})
    return request


def reevaluate(
    session: Session, principal: Principal, request_id: int, cfg: rules.RulesConfig, today: date | None = None
) -> LabelingRequest:
    """Run the rules again against today's roster and commitments (ops managers)."""
    RequestPolicy.can_evaluate.require(principal)
    request = get_request(session, request_id)
    today = today or date.today()
    spec = effective_spec(session, request)
    results, need = run_rules(session, spec, cfg, today, exclude_request=request.id)
    request.evaluation = [r.as_dict() for r in results]
    request.verdict = rules.overall(results).value
    if request.status not in ACCEPTED:
        request.fte_needed = _finite(need)
    request.updated_at = datetime.now(UTC)
    record(session, principal, "request.evaluate", "request", request.id, {"verdict": request.verdict})
    return request


def get_request(session: Session, request_id: int) -> LabelingRequest:
    """Building block: a request by id."""
    request = session.get(LabelingRequest, request_id)
    if request is None:
        raise hidden("request", request_id)
    return request


def read_request(session: Session, principal: Principal, request_id: int) -> LabelingRequest:
    """A request, for staff or the person who filed it (anyone else: the hidden-resource 404)."""
    request = session.get(LabelingRequest, request_id)
    if request is None or not RequestPolicy.can_read(principal, request.requester_id):
        raise hidden("request", request_id)
    return request


def list_requests(session: Session, principal: Principal) -> list[LabelingRequest]:
    """Every request for staff; anyone else only the requests they filed."""
    RequestPolicy.can_list.require(principal)
    query = select(LabelingRequest).order_by(LabelingRequest.id)
    if not RequestPolicy.sees_all(principal):
        query = query.where(LabelingRequest.requester_id == principal.user_id)
    return list(session.scalars(query))


def read_rules(principal: Principal, path: Path | str | None = None) -> rules.RulesConfig:
    """The evaluation rules in force, for those who file or decide requests."""
    RequestPolicy.can_read_rules.require(principal)
    return load_rules(path)


def decisions_of(session: Session, request_id: int) -> list[RequestDecision]:
    return list(
        session.scalars(
            select(RequestDecision).where(RequestDecision.request_id == request_id).order_by(RequestDecision.id)
        )
    )


def _check_conditions(spec: RequestSpec, cond: Conditions) -> list[Problem]:
    problems = []
    if cond.deadline is not None and cond.deadline <= spec.deadline:
        problems.append(Problem(f"must be later than the requested {spec.deadline}", field="conditions.deadline"))
    if cond.overlap is not None and cond.overlap >= spec.overlap:
        problems.append(Problem(f"must be lower than the requested {spec.overlap}", field="conditions.overlap"))
    if cond.volume is not None and cond.volume >= spec.volume:
        problems.append(Problem(f"must be lower than the requested {spec.volume}", field="conditions.volume"))
    return problems


def default_taxonomy(policies: list[str]) -> Taxonomy:
    """One single-choice question per policy (violating / not violating), used when a request carries none."""
    questions = []
    for policy in policies:
        key = re.sub(r"[^A-Za-z0-9_]", "_", policy)
        key = key if re.match(r"^[A-Za-z_]", key) else f"p_{key}"
        questions.append(
            Question(
                key=key[:64],
                type=QuestionType.SINGLE_CHOICE,
                prompt=f"Does this content violate the {policy} policy?",
                choices=[
                    Choice(value="violating", label="Violating", policy=policy),
                    Choice(value="not_violating", label="Not violating"),
                ],
            )
        )
    return Taxonomy(questions=questions)


def _project_spec(session: Session, request: LabelingRequest, spec: RequestSpec, cfg: rules.RulesConfig) -> ProjectSpec:
    facts = facts_of(spec, request.window_start)
    world = world_of(session, exclude_request=request.id)
    return ProjectSpec(
        name=f"{spec.title[:170]} (request {request.id})",
        description=spec.description or f"Created from labeling request {request.id} ({spec.purpose}).",
        taxonomy=spec.taxonomy or default_taxonomy(spec.policies),
        overlap=spec.overlap,
        gold_rate=spec.gold_rate if spec.gold_rate is not None else cfg.capacity.default_gold_rate,
        qa_rate=spec.qa_rate if spec.qa_rate is not None else cfg.capacity.default_qa_rate,
        deadline=datetime.combine(spec.deadline, time(23, 59, 59), tzinfo=UTC),
        markets=spec.markets,
        languages=spec.languages,
        required_certifications=rules.required_certifications(facts, cfg),
        vendors=sorted(rules.allowed_vendors(facts, world, cfg)),
    )


def decide(
    session: Session,
    principal: Principal,
    request_id: int,
    decision: DecisionIn,
    cfg: rules.RulesConfig,
) -> RequestDecision:
    """Record a decision (ops managers); accepting (with or without conditions) creates the project with the
    request's parameters, and makes the requester a member of it."""
    RequestPolicy.can_decide.require(principal)
    request = get_request(session, request_id)
    if request.status not in OPEN_STATUSES:
        raise Conflict(f"request {request.id} is already {request.status}; file a new request to change it")
    spec = stored_spec(request)
    cond = decision.conditions or Conditions()
    if decision.outcome is Outcome.ACCEPT_WITH_CONDITIONS:
        if cond.is_empty():
            raise InvalidInput(
                "accept_with_conditions needs conditions", [Problem("give at least one", field="conditions")]
            )
        problems = _check_conditions(spec, cond)
        if problems:
            raise InvalidInput("the conditions do not narrow the request", problems)
    elif not cond.is_empty():
        raise InvalidInput(
            "only accept_with_conditions takes conditions",
            [Problem("remove them or change the outcome", field="conditions")],
        )
    effective = spec.model_copy(update={k: v for k, v in cond.model_dump().items() if v is not None})
    project_id = None
    if decision.outcome in (Outcome.ACCEPT, Outcome.ACCEPT_WITH_CONDITIONS):
        project = projects.create_project(session, principal, _project_spec(session, request, effective, cfg))
        if request.requester_id is not None:
            projects.add_member(session, principal, project.id, request.requester_id)
        project_id = project.id
        request.project_id = project.id
        facts = facts_of(effective, request.window_start)
        request.fte_needed = _finite(rules.fte_needed(facts, cfg))
        request.window_end = effective.deadline
    row = RequestDecision(
        request_id=request.id,
        outcome=decision.outcome.value,
        note=decision.note,
        conditions=cond.model_dump(mode="json", exclude_none=True),
        project_id=project_id,
        decided_by=principal.user_id,
    )
    session.add(row)
    request.status = STATUS_OF_OUTCOME[decision.outcome].value
    request.updated_at = datetime.now(UTC)
    session.flush()
    record(
        session,
        principal,
        "request.decide",
        "request",
        request.id,
        {"outcome": row.outcome, "note": row.note, "conditions": row.conditions, "project_id": project_id},
    )
    return row
