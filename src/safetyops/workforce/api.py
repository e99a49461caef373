"""HTTP routes for vendors, sites and labelers; vendor-bound users see only their own vendor."""

from __future__ import annotations

from fastapi import APIRouter, File, Query, UploadFile, status
from sqlalchemy import select

from safetyops.auth import policies
from safetyops.auth.deps import PrincipalDep, SessionDep
from safetyops.auth.enums import Role
from safetyops.errors import Forbidden, InvalidInput, NotFound, Problem
from safetyops.workforce import roster, service
from safetyops.workforce.models import Labeler, Site, Vendor
from safetyops.workforce.schemas import (
    LabelerIn,
    LabelerOut,
    RosterResultOut,
    SiteIn,
    SiteOut,
    VendorIn,
    VendorOut,
)
from safetyops.workforce.training_api import router as training_router

router = APIRouter(tags=["workforce"])
router.include_router(training_router)


@router.post("/vendors", response_model=VendorOut, status_code=status.HTTP_201_CREATED)
def create_vendor(body: VendorIn, session: SessionDep, principal: PrincipalDep) -> Vendor:
    policies.require_role(principal, *policies.PROJECT_MANAGERS)
    return service.create_vendor(session, body.name, principal.user_id, body.data_regions)


@router.get("/vendors", response_model=list[VendorOut])
def list_vendors(session: SessionDep, principal: PrincipalDep) -> list[Vendor]:
    query = select(Vendor).order_by(Vendor.id)
    only = policies.vendor_filter(principal)
    if only is not None:
        query = query.where(Vendor.id == only)
    return list(session.scalars(query))


@router.post("/vendors/{vendor_id}/sites", response_model=SiteOut, status_code=status.HTTP_201_CREATED)
def create_site(vendor_id: int, body: SiteIn, session: SessionDep, principal: PrincipalDep) -> Site:
    if not policies.can_manage_labeler(principal, vendor_id):
        raise Forbidden("you may only add sites to your own vendor")
    vendor = service.get_vendor(session, vendor_id)
    return service.create_site(session, vendor, body.name, principal.user_id, body.country, body.timezone)


@router.post("/labelers", response_model=LabelerOut, status_code=status.HTTP_201_CREATED)
def create_labeler(body: LabelerIn, session: SessionDep, principal: PrincipalDep) -> Labeler:
    if not policies.can_manage_labeler(principal, body.vendor_id):
        raise Forbidden("you may only add labelers to your own vendor")
    vendor = service.get_vendor(session, body.vendor_id)
    return service.create_labeler(
        session,
        vendor,
        body.username,
        actor_id=principal.user_id,
        password=body.password,
        name=body.name,
        languages=body.languages,
        markets=body.markets,
        site_id=body.site_id,
        status=body.status,
        start_date=body.start_date,
    )


@router.get("/labelers", response_model=list[LabelerOut])
def list_labelers(session: SessionDep, principal: PrincipalDep) -> list[Labeler]:
    if principal.role is Role.LABELER:
        own = session.get(Labeler, principal.labeler_id) if principal.labeler_id else None
        return [own] if own else []
    return service.list_labelers(session, policies.vendor_filter(principal))


@router.get("/labelers/{labeler_id}", response_model=LabelerOut)
def get_labeler(labeler_id: int, session: SessionDep, principal: PrincipalDep) -> Labeler:
    labeler = session.get(Labeler, labeler_id)
    if labeler is None or not policies.can_read_labeler(principal, labeler):
        raise NotFound(f"no labeler {labeler_id} for you")
    return labeler


@router.post("/vendors/{vendor_id}/roster", response_model=RosterResultOut)
def import_roster(
    vendor_id: int,
    session: SessionDep,
    principal: PrincipalDep,
    file: UploadFile = File(description="roster CSV: username,name,status,languages,markets,skills,..."),
    dry_run: bool = Query(False, description="check the file and report what would change; store nothing"),
) -> service.RosterResult:
    """Create or update the vendor's labelers from a CSV, all or nothing (422 lists every problem)."""
    if not policies.can_manage_labeler(principal, vendor_id):
        raise Forbidden("you may only import the roster of your own vendor")
    vendor = service.get_vendor(session, vendor_id)
    data = file.file.read(roster.MAX_BYTES + 1)
    name = file.filename or "roster.csv"
    if len(data) > roster.MAX_BYTES:
        raise InvalidInput("roster file too large", [Problem(f"the limit is {roster.MAX_BYTES} bytes", file=name)])
    return service.import_roster(session, vendor, data, name, actor_id=principal.user_id, dry_run=dry_run)


@router.get("/vendors/{vendor_id}/roster", response_model=list[LabelerOut])
def read_roster(vendor_id: int, session: SessionDep, principal: PrincipalDep) -> list[Labeler]:
    """The vendor's labelers, for the people who manage that vendor."""
    if not policies.can_manage_labeler(principal, vendor_id):
        raise Forbidden("you may only read the roster of your own vendor")
    return service.list_labelers(session, service.get_vendor(session, vendor_id).id)
