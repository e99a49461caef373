"""Who asks for quality data: whose labels they may see (vendor isolation) and the actor their writes record."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from safetyops.auth.enums import Role
from safetyops.auth.policies import LabelerPolicy, QualityPolicy, deny
from safetyops.auth.principal import Principal


@dataclass(frozen=True)
class Scope:
    """Whose labels a caller may see: one vendor's labelers, one labeler, or everyone (None)."""

    vendor_id: int | None = None
    labeler_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"vendor_id": self.vendor_id, "labeler_id": self.labeler_id}


def scope_of(principal: Principal) -> Scope:
    """Vendor isolation: vendor managers see their vendor's labelers, labelers themselves; requesters none."""
    if principal.role is Role.LABELER:
        return Scope(principal.vendor_id, principal.labeler_id if principal.labeler_id is not None else -1)
    if not QualityPolicy.can_read_labeler_data(principal):
        raise deny("labeler-level quality data is for ops, QA, policy experts and vendor managers")
    vendor = LabelerPolicy.vendor_filter(principal)
    return Scope(vendor, None)


def actor_of(principal: Principal) -> int | None:
    """The user id to record as the actor (None for the system principal, which is no user)."""
    return principal.user_id
