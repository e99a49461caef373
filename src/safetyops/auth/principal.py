"""Who is calling: a signed-in user (their role, vendor and, for labelers, their labeler profile), or SYSTEM."""

from __future__ import annotations

from dataclasses import dataclass, field

from safetyops.auth.enums import Role


@dataclass(frozen=True)
class Principal:
    user_id: int | None  # None only for SYSTEM, which is no user
    username: str
    role: Role
    vendor_id: int | None = None
    labeler_id: int | None = None
    labeler_status: str | None = None
    languages: tuple[str, ...] = ()
    markets: tuple[str, ...] = ()
    certifications: tuple[str, ...] = field(default_factory=tuple)

    @classmethod
    def system(cls) -> Principal:
        return SYSTEM

    @property
    def is_system(self) -> bool:
        return self.role is Role.SYSTEM


# The command line (and any background work) acts as this principal: its own role, no user id, so nothing it
# writes can be mistaken for a person's. The policies (auth.policies) say what it may do; the audit log
# records its changes with no actor and `"actor": "system"` in their detail.
SYSTEM = Principal(user_id=None, username="system", role=Role.SYSTEM)
