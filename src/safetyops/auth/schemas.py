"""What crosses the API for users, tokens and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from safetyops.auth.enums import Role


class LoginIn(BaseModel):
    username: str
    password: str


class TokenOut(BaseModel):
    token: str = Field(description="shown once; send it as 'Authorization: Bearer <token>'")
    token_id: int | None = None


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=120, pattern=r"^[A-Za-z0-9_.@-]+$")
    role: Role
    password: str | None = Field(default=None, min_length=8)
    vendor_id: int | None = None
    display_name: str = ""

    @field_validator("role")
    @classmethod
    def _a_user_role(cls, role: Role) -> Role:
        if role is Role.SYSTEM:
            raise ValueError("'system' is the command line's role; no user holds it")
        return role


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    display_name: str
    role: str
    vendor_id: int | None
    is_active: bool


class MeOut(BaseModel):
    user_id: int | None = Field(description="null only for the system principal, which never signs in")
    username: str
    role: str
    vendor_id: int | None
    labeler_id: int | None
    locale: str | None = Field(default=None, description="interface language chosen (en, zh-Hans, bn); null: none")
    timezone: str | None = Field(default=None, description="IANA time zone chosen, e.g. Asia/Dhaka; null: none")
    shown_timezone: str = Field(
        default="UTC", description="the zone times are shown in: the chosen one, else the labeler's site's, else UTC"
    )


class MeUpdate(BaseModel):
    """One's own settings; a field left out is unchanged, null clears the choice."""

    model_config = ConfigDict(extra="forbid")

    locale: str | None = Field(default=None, max_length=35, description="en, zh-Hans or bn (bn-BD is read as bn)")
    timezone: str | None = Field(default=None, max_length=64, description="an IANA time zone, e.g. Asia/Dhaka")


class TokenIn(BaseModel):
    name: str = ""


class AuditOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    actor_id: int | None
    action: str
    entity_type: str
    entity_id: str
    detail: dict[str, Any]
