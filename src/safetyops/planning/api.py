"""HTTP routes of the planning area: compute and store manpower plans (ops managers), read them back."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response, status

from safetyops.auth import policies
from safetyops.auth.deps import PrincipalDep, SessionDep
from safetyops.planning import service
from safetyops.planning.plan_xlsx import plan_workbook
from safetyops.planning.plans import summary_of_rows
from safetyops.planning.schemas import PlanIn

router = APIRouter(tags=["planning"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.post("/plans", status_code=status.HTTP_201_CREATED)
def create_plan(body: PlanIn, session: SessionDep, principal: PrincipalDep) -> dict[str, Any]:
    """Compute a manpower plan (base + scenarios) from accepted requests and the roster, store it, return its rows."""
    policies.require_role(principal, *policies.PROJECT_MANAGERS)
    plan = service.compute(
        session,
        body.from_,
        body.to,
        params=body.params(),
        scenarios=body.scenarios,
        period_months=body.period_months,
        measured_days=body.measured_days,
        min_measured_labels=body.min_measured_labels,
    )
    plan_id = service.save(session, plan, principal.user_id, body.name, body.period_months)
    return service.as_document(session, plan_id)


@router.get("/plans/{plan_id}")
def get_plan(plan_id: int, session: SessionDep, principal: PrincipalDep) -> dict[str, Any]:
    policies.require_role(principal, *policies.PROJECT_MANAGERS)
    return service.as_document(session, plan_id)


@router.get("/plans/{plan_id}/xlsx")
def get_plan_xlsx(plan_id: int, session: SessionDep, principal: PrincipalDep) -> Response:
    """The stored plan as a workbook: a summary sheet and one sheet per scenario."""
    policies.require_role(principal, *policies.PROJECT_MANAGERS)
    plan, rows = service.get_plan(session, plan_id)
    data = plan_workbook(rows, summary_of_rows(rows), plan.service_level, plan.notes)
    headers = {"Content-Disposition": f'attachment; filename="manpower-plan-{plan_id}.xlsx"'}
    return Response(data, media_type=XLSX, headers=headers)
