"""HTTP routes of the intake area: file requests, read them (requesters their own), evaluate and decide (ops)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, status
from sqlalchemy.orm import Session

from safetyops.auth import policies
from safetyops.auth.deps import PrincipalDep, SessionDep
from safetyops.auth.enums import Role
from safetyops.auth.principal import Principal
from safetyops.errors import NotFound
from safetyops.intake import service
from safetyops.intake.models import LabelingRequest
from safetyops.intake.schemas import DecisionIn, DecisionOut, RequestOut, RequestSpec

router = APIRouter(tags=["intake"])

FILERS = (Role.REQUESTER, *policies.PROJECT_MANAGERS)


def _out(session: Session, request: LabelingRequest) -> RequestOut:
    out = RequestOut.model_validate(request)
    out.decisions = [DecisionOut.model_validate(d) for d in service.decisions_of(session, request.id)]
    return out


def _readable(session: Session, principal: Principal, request_id: int) -> LabelingRequest:
    """The request, or NotFound when it does not exist or is someone else's (for non-staff)."""
    request = session.get(LabelingRequest, request_id)
    if request is None or not (principal.is_staff or request.requester_id == principal.user_id):
        raise NotFound(f"no request {request_id} for you")
    return request


@router.post("/requests", response_model=RequestOut, status_code=status.HTTP_201_CREATED)
def file_request(body: RequestSpec, session: SessionDep, principal: PrincipalDep) -> RequestOut:
    """File a labeling request; the answer carries the evaluation (each rule's verdict and reason)."""
    policies.require_role(principal, *FILERS)
    request = service.file_request(session, body, principal.user_id, service.load_rules())
    return _out(session, request)


@router.get("/requests", response_model=list[RequestOut])
def list_requests(session: SessionDep, principal: PrincipalDep) -> list[RequestOut]:
    """Ops managers and admins see every request; anyone else only the requests they filed."""
    policies.require_role(principal, *FILERS)
    mine = None if principal.is_staff else principal.user_id
    return [_out(session, r) for r in service.list_requests(session, mine)]


@router.get("/requests/rules")
def show_rules(principal: PrincipalDep) -> dict[str, Any]:
    """The evaluation rules and thresholds in force."""
    policies.require_role(principal, *FILERS)
    return service.load_rules().model_dump(mode="json")


@router.get("/requests/{request_id}", response_model=RequestOut)
def get_request(request_id: int, session: SessionDep, principal: PrincipalDep) -> RequestOut:
    return _out(session, _readable(session, principal, request_id))


@router.post("/requests/{request_id}/evaluate", response_model=RequestOut)
def evaluate(request_id: int, session: SessionDep, principal: PrincipalDep) -> RequestOut:
    """Run the rules again against today's roster and commitments (ops managers)."""
    policies.require_role(principal, *policies.PROJECT_MANAGERS)
    request = service.reevaluate(
        session, service.get_request(session, request_id), service.load_rules(), principal.user_id
    )
    return _out(session, request)


@router.post("/requests/{request_id}/decisions", response_model=DecisionOut, status_code=status.HTTP_201_CREATED)
def decide(request_id: int, body: DecisionIn, session: SessionDep, principal: PrincipalDep) -> DecisionOut:
    """Accept, accept with conditions, reject or ask for information, with a note (ops managers)."""
    policies.require_role(principal, *policies.PROJECT_MANAGERS)
    request = service.get_request(session, request_id)
    row = service.decide(session, request, body, principal.user_id, service.load_rules())
    return DecisionOut.model_validate(row)
