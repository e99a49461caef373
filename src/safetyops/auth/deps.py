"""FastAPI dependencies: the engine, a session per request, and the authenticated principal."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from safetyops.auth.principal import Principal
from safetyops.auth.service import authenticate
from safetyops.errors import Unauthorized


async def get_db_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def get_session(engine: Annotated[Engine, Depends(get_db_engine)]) -> Iterator[Session]:
    """One transaction per request: committed when the handler returns, rolled back on error."""
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


async def get_principal(request: Request) -> Principal:
    """The caller behind the bearer token. The API takes no cookie: cookie sessions (with CSRF checks)
    belong to the web pages only.

    Async on purpose: it is a cache hit on nearly every request, and a sync dependency would cost a
    thread-pool hop per request; a miss does one short indexed query.
    """
    return principal_of(request)


def principal_of(request: Request, *, allow_cookie: bool = False) -> Principal:
    """The caller of a request; hot routes call this directly instead of going through Depends.

    `allow_cookie` is for the web pages, which check a CSRF token on every POST themselves.
    """
    cookie = request.cookies.get("safetyops_token", "") if allow_cookie else ""
    return principal_from_header(request.app.state.engine, request.headers.get("authorization", ""), cookie)


def principal_from_header(engine: Engine, authorization: str, cookie_token: str = "") -> Principal:
    """The caller behind an `Authorization: Bearer <token>` header (or a web session's cookie token)."""
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token:
        token = cookie_token
    if not token:
        raise Unauthorized("send 'Authorization: Bearer <token>' (get a token from POST /api/v1/auth/login)")
    return authenticate(engine, token.strip())


# OpenAPI: the API documents bearer security for the whole schema; routes that take no token say so.
NO_TOKEN: dict[str, Any] = {"security": []}

EngineDep = Annotated[Engine, Depends(get_db_engine)]
SessionDep = Annotated[Session, Depends(get_session)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]


def file_download(description: str, *media_types: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI: a route that answers with a file (declare it with `response_class=Response` or a subclass)."""
    binary = {"schema": {"type": "string", "format": "binary"}}
    return {200: {"description": description, "content": dict.fromkeys(media_types, binary)}}
