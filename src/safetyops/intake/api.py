"""HTTP routes of the intake area: file requests, read them (requesters their own), evaluate and decide (ops).
Thin: the services check access (auth.policies); a route passes the caller and shapes the answer."""

from __future__ import annotations

from fastapi import APIRouter, status
from sqlalchemy.orm import Session

from safetyops.auth.deps import PrincipalDep, SessionDep
from safetyops.intake import rules, service
from safetyops.intake.models import LabelingRequest
from safetyops.intake.schemas import DecisionIn, DecisionOut, RequestOut, RequestSpec

router = APIRouter(tags=["intake"])


def _out(session: Session, request: LabelingRequest) -> RequestOut:
    out = RequestOut.model_validate(request)
    out.decisions = [DecisionOut.model_validate(d) for d in service.decisions_of(session, request.id)]
    return out


@router.post("/requests", response_model=RequestOut, status_code=status.HTTP_201_CREATED)
def file_request(body: RequestSpec, session: SessionDep, principal: PrincipalDep) -> RequestOut:
    """File a labeling request; the answer carries the evaluation (each rule's verdict and reason)."""
    request = service.file_request(session, principal, body, service.load_rules())
    out = _out(session, request)
    out.notes = body.code_notes
    return out


@router.get("/requests", response_model=list[RequestOut])
def list_requests(session: SessionDep, principal: PrincipalDep) -> list[RequestOut]:
    """Ops managers and admins see every request; anyone else only the requests they filed."""
    return [_out(session, r) for r in service.list_requests(session, principal)]


@router.get("/requests/rules", response_model=rules.RulesConfig)
def show_rules(principal: PrincipalDep) -> rules.RulesConfig:
    """The evaluation rules and thresholds in force."""
    return service.read_rules(principal)


@router.get("/requests/{request_id}", response_model=RequestOut)
def get_request(request_id: int, session: SessionDep, principal: PrincipalDep) -> RequestOut:
    return _out(session, service.read_request(session, principal, request_id))


@router.post("/requests/{request_id}/evaluate", response_model=RequestOut)
def evaluate(request_id: int, session: SessionDep, principal: PrincipalDep) -> RequestOut:
    """Run the rules again against today's roster and commitments (ops managers)."""
    return _out(session, service.reevaluate(session, principal, request_id, service.load_rules()))


@router.post("/requests/{request_id}/decisions", response_model=DecisionOut, status_code=status.HTTP_201_CREATED)
def decide(request_id: int, body: DecisionIn, session: SessionDep, principal: PrincipalDep) -> DecisionOut:
    """Accept, accept with conditions, reject or ask for information, with a note (ops managers)."""
    row = service.decide(session, principal, request_id, body, service.load_rules())
    return DecisionOut.model_validate(row)
