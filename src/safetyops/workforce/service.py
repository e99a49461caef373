"""Workforce use cases: vendors, sites, labelers (with the user account a labeler signs in with), rosters.
Each use case checks access first (auth.policies): vendor isolation holds for every face."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from safetyops.auth.audit import record
from safetyops.auth.enums import Role
from safetyops.auth.models import User
from safetyops.auth.policies import LabelerPolicy, VendorPolicy, deny, hidden
from safetyops.auth.principal import Principal
from safetyops.auth.service import insert_user
from safetyops.errors import Conflict, InvalidInput, NotFound, Problem, ProblemList
from safetyops.locale_codes import require_codes
from safetyops.workforce.enums import LabelerStatus
from safetyops.workforce.models import Labeler, Site, Vendor
from safetyops.workforce.roster import RESERVED_CERT_PREFIX, RosterRow, parse_roster


def create_vendor(session: Session, principal: Principal, name: str, data_regions: list[str] | None = None) -> Vendor:
    VendorPolicy.can_create.require(principal)
    if session.scalar(select(Vendor.id).where(Vendor.name == name)) is not None:
        raise Conflict(f"vendor '{name}' already exists")
    vendor = Vendor(name=name, data_regions=data_regions or [])
    session.add(vendor)
    session.flush()
    record(session, principal, "vendor.create", "vendor", vendor.id, {"name": name})
    return vendor


def get_vendor(session: Session, ref: int | str) -> Vendor:
    """Building block: a vendor by id, or by name when `ref` is not a number (for the command line)."""
    vendor = (
        session.get(Vendor, int(ref))
        if str(ref).isdigit()
        else session.scalar(select(Vendor).where(Vendor.name == ref))
    )
    if vendor is None:
        raise NotFound(f"no vendor '{ref}'")
    return vendor


def list_vendors(session: Session, principal: Principal) -> list[Vendor]:
    """Every vendor for those who see all; a vendor-bound person their own only."""
    query = select(Vendor).order_by(Vendor.id)
    only = VendorPolicy.visible(principal)
    if only is not None:
        query = query.where(Vendor.id == only)
    return list(session.scalars(query))


def managed_vendor(session: Session, principal: Principal, vendor_id: int) -> Vendor:
    """The vendor, for someone who manages it: 403 for anyone else (a rule on the id alone, checked before
    the vendor is looked up, so the answer does not tell whether it exists); 404 for a missing one."""
    if not VendorPolicy.can_manage(principal, vendor_id):
        raise deny("you may only manage your own vendor's sites, labelers and roster")
    vendor = session.get(Vendor, vendor_id)
    if vendor is None:
        raise hidden("vendor", vendor_id)
    return vendor


def create_site(
    session: Session,
    principal: Principal,
    vendor_id: int,
    name: str,
    country: str = "",
    timezone: str = "UTC",
) -> Site:
    vendor = managed_vendor(session, principal, vendor_id)
    site = Site(vendor_id=vendor.id, name=name, country=country, timezone=timezone)
    session.add(site)
    session.flush()
    record(session, principal, "site.create", "site", site.id, {"vendor_id": vendor.id, "name": name})
    return site


def create_labeler(
    session: Session,
    principal: Principal,
    vendor_id: int,
    username: str,
    *,
    password: str | None = None,
    name: str = "",
    languages: list[str] | None = None,
    markets: list[str] | None = None,
    site_id: int | None = None,
    status: LabelerStatus = LabelerStatus.PRODUCTION,
    start_date: date | None = None,
) -> Labeler:
    """A labeler profile and the user account it signs in with (staff, or the vendor's own manager). Languages
    and markets are read as codes (locale_codes: "Bengali" -> bn); a value that is neither is refused."""
    languages = require_codes(languages, "language", "languages")
    markets = require_codes(markets, "market", "markets")
    vendor = managed_vendor(session, principal, vendor_id)
    return insert_labeler(
        session,
        vendor,
        username,
        actor=principal,
        password=password,
        name=name,
        languages=languages,
        markets=markets,
        site_id=site_id,
        status=status,
        start_date=start_date,
    )


def insert_labeler(
    session: Session,
    vendor: Vendor,
    username: str,
    *,
    actor: Principal,
    password: str | None = None,
    name: str = "",
    languages: list[str] | None = None,
    markets: list[str] | None = None,
    site_id: int | None = None,
    status: LabelerStatus = LabelerStatus.PRODUCTION,
    start_date: date | None = None,
) -> Labeler:
    """Building block: the labeler row and its account (create_labeler and the roster import check first)."""
    user = insert_user(
        session,
        username,
        Role.LABELER,
        password=password,
        vendor_id=vendor.id,
        display_name=name,
        actor=actor,
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
    record(session, actor, "labeler.create", "labeler", labeler.id, {"vendor_id": vendor.id})
    return labeler


def list_labelers(session: Session, principal: Principal, vendor_id: int | None = None) -> list[Labeler]:
    """The labelers this person may see (vendor isolation; a labeler sees themself), of one vendor if given."""
    query = select(Labeler).order_by(Labeler.id)
    if principal.role is Role.LABELER:
        query = query.where(Labeler.id == (principal.labeler_id or -1))
    only = LabelerPolicy.vendor_filter(principal)
    for vendor in (only, vendor_id):
        if vendor is not None:
            query = query.where(Labeler.vendor_id == vendor)
    return list(session.scalars(query))


def read_labeler(session: Session, principal: Principal, labeler_id: int) -> Labeler:
    labeler = session.get(Labeler, labeler_id)
    if labeler is None or not LabelerPolicy.can_read(principal, labeler):
        raise hidden("labeler", labeler_id)
    return labeler


def read_roster(session: Session, principal: Principal, vendor_id: int) -> list[Labeler]:
    """A vendor's labelers, for the people who manage that vendor."""
    vendor = managed_vendor(session, principal, vendor_id)
    return list(session.scalars(select(Labeler).where(Labeler.vendor_id == vendor.id).order_by(Labeler.id)))


# --- roster import ------------------------------------------------------------------------------------------------

ROSTER_DEFAULT_STATUS = LabelerStatus.RECRUITING
_CHUNK = 500


@dataclass
class RosterResult:
    """What a roster import did (or, with dry_run, would do)."""

    file: str
    rows: int
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    dry_run: bool = False
    notes: list[str] = field(default_factory=list)  # values read as another code ("Bengali" -> bn)


def _chunks(values: list[str]) -> list[list[str]]:
    return [values[i : i + _CHUNK] for i in range(0, len(values), _CHUNK)]


def import_roster(
    session: Session,
    principal: Principal,
    vendor_id: int,
    data: bytes,
    file: str,
    *,
    dry_run: bool = False,
) -> RosterResult:
    """Create or update a vendor's labelers from a roster CSV, all or nothing.

    Every problem names the file, line and field; when there is any, nothing is stored and InvalidInput
    lists them. A username already used by another vendor's labeler or by a staff account is refused
    without saying whose it is (vendor isolation).
    """
    vendor = managed_vendor(session, principal, vendor_id)
    problems = ProblemList()
    notes: list[str] = []
    rows = parse_roster(data, file, problems, notes)
    sites = {s.name.lower(): s for s in session.scalars(select(Site).where(Site.vendor_id == vendor.id))}
    own: dict[str, Labeler] = {}
    taken: set[str] = set()
    names = [r.username for r in rows]
    for chunk in _chunks(names):
        for lab in session.scalars(
            select(Labeler).where(Labeler.vendor_id == vendor.id, Labeler.external_id.in_(chunk))
        ):
            own[lab.external_id] = lab
        taken |= set(session.scalars(select(User.username).where(User.username.in_(chunk))))
    for row in rows:
        if row.site is not None and row.site.lower() not in sites:
            known = ", ".join(sorted(s.name for s in sites.values())) or "none yet"
            problems.add(
                Problem(
                    f"no site '{row.site}' at {vendor.name} (sites: {known})", field="site", line=row.line, file=file
                )
            )
        if row.username not in own and row.username in taken:
            problems.add(
                Problem(
                    f"username '{row.username}' is already taken by another account",
                    field="username",
                    line=row.line,
                    file=file,
                )
            )
    if problems:
        more = f" (showing the first {len(problems.items)})" if problems.total > len(problems.items) else ""
        located = sorted(problems.items, key=lambda p: (p.line or 0, p.field or ""))
        raise InvalidInput(f"{file}: {problems.total} problem(s){more}; nothing was stored", located)
    result = RosterResult(file=file, rows=len(rows), dry_run=dry_run, notes=notes)
    for row in rows:
        site_id = sites[row.site.lower()].id if row.site is not None else None
        existing = own.get(row.username)
        if existing is None:
            result.created.append(row.username)
            if not dry_run:
                _create_from_row(session, vendor, row, site_id, principal)
        elif _update_from_row(session, existing, row, site_id, principal, dry_run):
            result.updated.append(row.username)
        else:
            result.unchanged.append(row.username)
    if not dry_run:
        record(
            session,
            principal,
            "roster.import",
            "vendor",
            vendor.id,
            {"file": file, "created": len(result.created), "updated": len(result.updated)},
        )
        session.flush()
    return result


def _create_from_row(session: Session, vendor: Vendor, row: RosterRow, site_id: int | None, actor: Principal) -> None:
    labeler = insert_labeler(
        session,
        vendor,
        row.username,
        actor=actor,
        name=row.name or "",
        languages=row.languages,
        markets=row.markets,
        site_id=site_id,
        status=row.status or ROSTER_DEFAULT_STATUS,
        start_date=row.start_date,
    )
    labeler.skills = row.skills or []
    labeler.certifications = row.certifications or []


def _update_from_row(
    session: Session, labeler: Labeler, row: RosterRow, site_id: int | None, actor: Principal, dry_run: bool
) -> bool:
    """Apply the row's non-empty cells; True when anything changed."""
    wanted: dict[str, Any] = {}
    if row.name is not None:
        wanted["name"] = row.name
    if row.status is not None:
        wanted["status"] = row.status.value
    for key in ("languages", "markets", "skills"):
        if getattr(row, key) is not None:
            wanted[key] = getattr(row, key)
    if row.certifications is not None:
        earned = [c for c in labeler.certifications or [] if c.startswith(RESERVED_CERT_PREFIX)]
        wanted["certifications"] = list(dict.fromkeys(row.certifications + earned))
    if row.start_date is not None:
        wanted["start_date"] = row.start_date
    if site_id is not None:
        wanted["site_id"] = site_id
    changed = {k: v for k, v in wanted.items() if getattr(labeler, k) != v}
    if changed and not dry_run:
        for key, value in changed.items():
            setattr(labeler, key, value)
        detail = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in changed.items()}
        record(session, actor, "labeler.update", "labeler", labeler.id, {"roster": True, "changed": detail})
    return bool(changed)
