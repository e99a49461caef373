"""The FastAPI application: mounts each area's router under /api/v1 and turns errors into JSON."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Literal

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import Engine
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Receive, Scope, Send

from safetyops import __version__
from safetyops.auth.api import router as auth_router
from safetyops.auth.deps import NO_TOKEN
from safetyops.db.engine import get_engine, make_engine, wal_checkpoints
from safetyops.errors import SERVER_ERROR, SafetyOpsError, invalid_request
from safetyops.guidelines.api import router as guidelines_router
from safetyops.intake.api import router as intake_router
from safetyops.planning.api import router as planning_router
from safetyops.projects.api import router as projects_router
from safetyops.quality.api import router as quality_router
from safetyops.web.views import mount_static
from safetyops.web.views import router as web_router
from safetyops.work.api import router as work_router
from safetyops.work.fastpath import LabelerFastPath
from safetyops.workforce.api import router as workforce_router

API_PREFIX = "/api/v1"


class HealthOut(BaseModel):
    """The server answers (no token needed)."""

    status: Literal["ok"]
    version: str


Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


class SafetyOpsApp(FastAPI):
    """The FastAPI app, with the labeler's hot pair answered ahead of the framework when `fast_path` is set."""

    fast_path: LabelerFastPath | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.fast_path is not None and await self.fast_path.serve(scope, receive, send):
            return
        await super().__call__(scope, receive, send)


def create_app(
    engine: Engine | None = None, *, lifespan: Lifespan | None = None, fast_path: bool = True
) -> SafetyOpsApp:
    """The app on `engine` (default: the configured database). `fast_path` serves the labeler's next and
    submit straight from ASGI (work.fastpath); without it the FastAPI routes serve them, with the same code."""
    app = SafetyOpsApp(
        lifespan=lifespan,
        title="SafetyOps",
        version=__version__,
        description="Trust & Safety data-labeling operations: queue, quality, planning, delivery.",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
    )
    app.state.engine = engine or get_engine()
    # The labeler's hot routes first: the router tries routes in order, so they match on the first tries.
    for router in (
        work_router,
        auth_router,
        workforce_router,
        projects_router,
        quality_router,
        intake_router,
        planning_router,
        guidelines_router,
    ):
        app.include_router(router, prefix=API_PREFIX)
    app.include_router(web_router)
    mount_static(app)
    _install_error_handlers(app)
    if fast_path:
        app.fast_path = LabelerFastPath(app.state.engine, API_PREFIX)

    @app.get(f"{API_PREFIX}/health", tags=["meta"], response_model=HealthOut, openapi_extra=NO_TOKEN)
    def health() -> HealthOut:
        return HealthOut(status="ok", version=__version__)

    _document_bearer_security(app)
    return app


def _document_bearer_security(app: FastAPI) -> None:
    """OpenAPI: every API call takes `Authorization: Bearer <token>` unless its route says otherwise.
    Declared once for the whole schema instead of by a per-request dependency on every route."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            schema.setdefault("components", {}).setdefault("securitySchemes", {})["bearer"] = {
                "type": "http",
                "scheme": "bearer",
            }
            schema["security"] = [{"bearer": []}]
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(SafetyOpsError)
    async def _known(_: Request, exc: SafetyOpsError) -> JSONResponse:
        return JSONResponse(exc.as_dict(), status_code=exc.status_code, headers=exc.headers or None)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(invalid_request(exc.errors()).as_dict(), status_code=422)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        # Starlette's outermost middleware logs the exception with its traceback, then sends this.
        return JSONResponse(SERVER_ERROR, status_code=500)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse({"error": "HTTPError", "message": str(exc.detail)}, status_code=exc.status_code)


def app_factory() -> SafetyOpsApp:
    """Entry point for uvicorn --factory (each worker process builds its own app and engine).
    On SQLite the WAL is checkpointed in the background, never inside a request's commit."""
    engine = make_engine(background_checkpoints=True)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Everything loaded so far lives as long as the process. Frozen, the cyclic garbage collector stops
        # walking it: a full collection of the ~170,000 objects took ~90 ms, all of this worker's requests
        # waiting (seen as 100-160 ms stalls in paced runs).
        gc.collect()
        gc.freeze()
        with wal_checkpoints(engine):
            yield
        engine.dispose()

    return create_app(engine, lifespan=lifespan)
