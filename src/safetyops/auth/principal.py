"""Who is calling: the user, their role, vendor and (for labelers) their labeler profile."""

from __future__ import annotations

from dataclasses import dataclass, field

from safetyops.auth.enums import Role


@dataclass(frozen=True)
class Principal:
    user_id: int
    username: str
    role: Role
    vendor_id: int | None = None
    labeler_id: int | None = None
    labeler_status: str | None = None
    languages: tuple[str, ...] = ()
    markets: tuple[str, ...] = ()
    certifications: tuple[str, ...] = field(default_factory=tuple)

    @property
    def is_staff(self) -> bool:
        """Ops managers and admins see everything."""
        return self.role in (Role.OPS_MANAGER, Role.ADMIN)
