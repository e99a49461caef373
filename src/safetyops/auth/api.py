"""HTTP routes for sign-in, users, API tokens and the audit log."""

from __future__ import annotations

from fastapi import APIRouter, status

from safetyops.auth import service
from safetyops.auth.deps import NO_TOKEN, PrincipalDep, SessionDep
from safetyops.auth.models import AuditEntry, User
from safetyops.auth.principal import Principal
from safetyops.auth.schemas import AuditOut, LoginIn, MeOut, MeUpdate, TokenIn, TokenOut, UserIn, UserOut

router = APIRouter(tags=["auth"])


@router.post("/auth/login", response_model=TokenOut, openapi_extra=NO_TOKEN)
def login(body: LoginIn, session: SessionDep) -> TokenOut:
    return TokenOut(token=service.login(session, body.username, body.password))


def _me(principal: Principal, prefs: service.Preferences) -> MeOut:
    return MeOut(
        user_id=principal.user_id,
        username=principal.username,
        role=principal.role.value,
        vendor_id=principal.vendor_id,
        labeler_id=principal.labeler_id,
        locale=prefs.locale,
        timezone=prefs.timezone,
        shown_timezone=prefs.zone,
    )


@router.get("/me", response_model=MeOut)
def me(session: SessionDep, principal: PrincipalDep) -> MeOut:
    return _me(principal, service.preferences(session, principal))


@router.patch("/me", response_model=MeOut)
def update_me(body: MeUpdate, session: SessionDep, principal: PrincipalDep) -> MeOut:
    """Change one's own interface language and time zone (kept on the account: the next sign-in uses them)."""
    given = body.model_dump(exclude_unset=True)
    return _me(principal, service.set_preferences(session, principal, **given))


@router.post("/users", response_model=UserOut, status_code=status.HTTP_201_CREATED)
def create_user(body: UserIn, session: SessionDep, principal: PrincipalDep) -> User:
    return service.create_user(
        session,
        principal,
        body.username,
        body.role,
        password=body.password,
        vendor_id=body.vendor_id,
        display_name=body.display_name,
    )


@router.get("/users", response_model=list[UserOut])
def list_users(session: SessionDep, principal: PrincipalDep) -> list[User]:
    return service.list_users(session, principal)


@router.post("/users/{user_id}/tokens", response_model=TokenOut, status_code=status.HTTP_201_CREATED)
def create_token(user_id: int, body: TokenIn, session: SessionDep, principal: PrincipalDep) -> TokenOut:
    raw, token = service.issue_token(session, principal, user_id, body.name)
    return TokenOut(token=raw, token_id=token.id)


@router.delete("/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_token(token_id: int, session: SessionDep, principal: PrincipalDep) -> None:
    service.revoke_token(session, principal, token_id)


@router.get("/audit", response_model=list[AuditOut])
def audit_log(
    session: SessionDep,
    principal: PrincipalDep,
    limit: int = 100,
    before_id: int | None = None,
) -> list[AuditEntry]:
    return service.read_audit(session, principal, limit, before_id)
