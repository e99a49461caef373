"""Workforce use cases: vendors, sites and labelers (with the user account a labeler signs in with)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from safetyops.auth.audit import record
from safetyops.auth.models import Role
from safetyops.auth.service import create_user
from safetyops.errors import Conflict, NotFound
from safetyops.workforce.models import Labeler, LabelerStatus, Site, Vendor


def create_vendor(session: Session, name: str, actor_id: int | None, data_regions: list[str] | None = None) -> Vendor:
    if session.scalar(select(Vendor.id).where(Vendor.name == name)) is not None:
        raise Conflict(f"vendor '{name}' already exists")
    vendor = Vendor(name=name, data_regions=data_regions or [])
    session.add(vendor)
    session.flush()
    record(session, actor_id, "vendor.create", "vendor", vendor.id, {"name": name})
    return vendor


def get_vendor(session: Session, ref: int | str) -> Vendor:
    vendor = (
        session.get(Vendor, int(ref))
        if str(ref).isdigit()
        else session.scalar(select(Vendor).where(Vendor.name == ref))
    )
    if vendor is None:
        raise NotFound(f"no vendor '{ref}'")
    return vendor


def create_site(
    session: Session,
    vendor: Vendor,
    name: str,
    actor_id: int | None,
    country: str = "",
    timezone: str = "UTC",
) -> Site:
    site = Site(vendor_id=vendor.id, name=name, country=country, timezone=timezone)
    session.add(site)
    session.flush()
    record(session, actor_id, "site.create", "site", site.id, {"vendor_id": vendor.id, "name": name})
    return site


def create_labeler(
    session: Session,
    vendor: Vendor,
    username: str,
    *,
    actor_id: int | None,
    password: str | None = None,
    name: str = "",
    languages: list[str] | None = None,
    markets: list[str] | None = None,
    site_id: int | None = None,
    status: LabelerStatus = LabelerStatus.PRODUCTION,
    start_date: date | None = None,
) -> Labeler:
    """A labeler profile and the user account it signs in with."""
    user = create_user(
        session,
        username,
        Role.LABELER,
        password=password,
        vendor_id=vendor.id,
        display_name=name,
        actor_id=actor_id,
    )
    labeler = Labeler(
        user_id=user.id,
        vendor_id=vendor.id,
        site_id=site_id,
        external_id=username,
        name=name or username,
        languages=languages or [],
        markets=markets or [],
        status=status.value,
        start_date=start_date,
    )
    session.add(labeler)
    session.flush()
    record(session, actor_id, "labeler.create", "labeler", labeler.id, {"vendor_id": vendor.id})
    return labeler


def list_labelers(session: Session, vendor_id: int | None) -> list[Labeler]:
    """Labelers, restricted to one vendor when `vendor_id` is given (vendor isolation)."""
    query = select(Labeler).order_by(Labeler.id)
    if vendor_id is not None:
        query = query.where(Labeler.vendor_id == vendor_id)
    return list(session.scalars(query))
