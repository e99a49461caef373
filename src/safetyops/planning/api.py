"""HTTP routes of the planning area: compute and store manpower plans (ops managers), read them back.
Thin: the services check access (auth.policies); a route passes the caller and shapes the answer."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response, status

from safetyops.auth.deps import PrincipalDep, SessionDep, file_download
from safetyops.planning import service
from safetyops.planning.schemas import ManpowerPlanOut, PlanIn

router = APIRouter(tags=["planning"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.post("/plans", response_model=ManpowerPlanOut, status_code=status.HTTP_201_CREATED)
def create_plan(body: PlanIn, session: SessionDep, principal: PrincipalDep) -> dict[str, Any]:
    """Compute a manpower plan (base + scenarios) from accepted requests and the roster, store it, return its rows."""
    return service.create_plan(session, principal, body)


@router.get("/plans/{plan_id}", response_model=ManpowerPlanOut)
def get_plan(plan_id: int, session: SessionDep, principal: PrincipalDep) -> dict[str, Any]:
    return service.read_plan(session, principal, plan_id)


@router.get(
    "/plans/{plan_id}/xlsx",
    response_class=Response,
    responses=file_download("the plan as a workbook", XLSX),
)
def get_plan_xlsx(plan_id: int, session: SessionDep, principal: PrincipalDep) -> Response:
    """The stored plan as a workbook: a summary sheet and one sheet per scenario."""
    data = service.read_plan_workbook(session, principal, plan_id)
    headers = {"Content-Disposition": f'attachment; filename="manpower-plan-{plan_id}.xlsx"'}
    return Response(data, media_type=XLSX, headers=headers)
