"""HTTP routes for sign-in, users, API tokens and the audit log."""

from __future__ import annotations

from fastapi import APIRouter, status
from sqlalchemy import select

from safetyops.auth import policies, service
from safetyops.auth.deps import NO_TOKEN, PrincipalDep, SessionDep
from safetyops.auth.enums import Role
from safetyops.auth.models import AuditEntry, User
from safetyops.auth.schemas import AuditOut, LoginIn, MeOut, TokenIn, TokenOut, UserIn, UserOut
from safetyops.errors import Forbidden

router = APIRouter(tags=["auth"])


@router.post("/auth/login", response_model=TokenOut, openapi_extra=NO_TOKEN)
def login(body: LoginIn, session: SessionDep) -> TokenOut:
    return TokenOut(token=service.login(session, body.username, body.password))


@router.get("/me", response_model=MeOut)
def me(principal: PrincipalDep) -> MeOut:
    return MeOut(
        user_id=principal.user_id,
        username=principal.username,
        role=principal.role.value,
        vendor_id=principal.vendor_id,
        labeler_id=principal.labeler_id,
    )


@router.post("/users", response_model=UserOut, status_code=status.HTTP_201_CREATED)
def create_user(body: UserIn, session: SessionDep, principal: PrincipalDep) -> User:
    policies.require_role(principal, Role.ADMIN, Role.OPS_MANAGER)
    if body.role is Role.ADMIN and principal.role is not Role.ADMIN:
        raise Forbidden("only an admin creates admins")
    return service.create_user(
        session,
        body.username,
        body.role,
        password=body.password,
        vendor_id=body.vendor_id,
        display_name=body.display_name,
        actor_id=principal.user_id,
    )


@router.get("/users", response_model=list[UserOut])
def list_users(session: SessionDep, principal: PrincipalDep) -> list[User]:
    policies.require_role(principal, Role.ADMIN, Role.OPS_MANAGER)
    return list(session.scalars(select(User).order_by(User.id)))


@router.post("/users/{user_id}/tokens", response_model=TokenOut, status_code=status.HTTP_201_CREATED)
def create_token(user_id: int, body: TokenIn, session: SessionDep, principal: PrincipalDep) -> TokenOut:
    if principal.user_id != user_id:
        policies.require_role(principal, Role.ADMIN)
    user = service.get_user(session, user_id)
    raw, token = service.create_token(session, user, body.name, actor_id=principal.user_id)
    return TokenOut(token=raw, token_id=token.id)


@router.delete("/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_token(token_id: int, session: SessionDep, principal: PrincipalDep) -> None:
    from safetyops.auth.models import ApiToken

    token = session.get(ApiToken, token_id)
    if token is not None and token.user_id != principal.user_id:
        policies.require_role(principal, Role.ADMIN)
    service.revoke_token(session, token_id, principal.user_id)


@router.get("/audit", response_model=list[AuditOut])
def audit_log(
    session: SessionDep, principal: PrincipalDep, limit: int = 100, before_id: int | None = None
) -> list[AuditEntry]:
    policies.require_role(principal, Role.ADMIN)
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(min(limit, 1000))
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    return list(session.scalars(query))
