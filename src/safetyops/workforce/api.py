"""HTTP routes for vendors, sites and labelers; vendor-bound users see only their own vendor.
Thin: the services check access (auth.policies); a route passes the caller and shapes the answer."""

from __future__ import annotations

from fastapi import APIRouter, File, Query, UploadFile, status

from safetyops.auth.deps import PrincipalDep, SessionDep
from safetyops.errors import InvalidInput, Problem
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
    return service.create_vendor(session, principal, body.name, body.data_regions)


@router.get("/vendors", response_model=list[VendorOut])
def list_vendors(session: SessionDep, principal: PrincipalDep) -> list[Vendor]:
    return service.list_vendors(session, principal)


@router.post("/vendors/{vendor_id}/sites", response_model=SiteOut, status_code=status.HTTP_201_CREATED)
def create_site(vendor_id: int, body: SiteIn, session: SessionDep, principal: PrincipalDep) -> Site:
    return service.create_site(session, principal, vendor_id, body.name, body.country, body.timezone)


@router.post("/labelers", response_model=LabelerOut, status_code=status.HTTP_201_CREATED)
def create_labeler(body: LabelerIn, session: SessionDep, principal: PrincipalDep) -> LabelerOut:
    labeler = service.create_labeler(
        session,
        principal,
        body.vendor_id,
        body.username,
        password=body.password,
        name=body.name,
        languages=body.languages,
        markets=body.markets,
        site_id=body.site_id,
        status=body.status,
        start_date=body.start_date,
    )
    return LabelerOut.model_validate(labeler).model_copy(update={"notes": body.code_notes})


@router.get("/labelers", response_model=list[LabelerOut])
def list_labelers(session: SessionDep, principal: PrincipalDep) -> list[Labeler]:
    return service.list_labelers(session, principal)


@router.get("/labelers/{labeler_id}", response_model=LabelerOut)
def get_labeler(labeler_id: int, session: SessionDep, principal: PrincipalDep) -> Labeler:
    return service.read_labeler(session, principal, labeler_id)


@router.post("/vendors/{vendor_id}/roster", response_model=RosterResultOut)
def import_roster(
    vendor_id: int,
    session: SessionDep,
    principal: PrincipalDep,
    file: UploadFile = File(description="roster CSV: username,name,status,languages,markets,skills,..."),
    dry_run: bool = Query(False, description="check the file and report what would change; store nothing"),
) -> service.RosterResult:
    """Create or update the vendor's labelers from a CSV, all or nothing (422 lists every problem)."""
    data = file.file.read(roster.MAX_BYTES + 1)
    name = file.filename or "roster.csv"
    if len(data) > roster.MAX_BYTES:
        raise InvalidInput("roster file too large", [Problem(f"the limit is {roster.MAX_BYTES} bytes", file=name)])
    return service.import_roster(session, principal, vendor_id, data, name, dry_run=dry_run)


@router.get("/vendors/{vendor_id}/roster", response_model=list[LabelerOut])
def read_roster(vendor_id: int, session: SessionDep, principal: PrincipalDep) -> list[Labeler]:
    """The vendor's labelers, for the people who manage that vendor."""
    return service.read_roster(session, principal, vendor_id)
