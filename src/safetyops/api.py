"""The FastAPI application: mounts each area's router under /api/v1 and turns errors into JSON."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import Engine
from starlette.exceptions import HTTPException as StarletteHTTPException

from safetyops import __version__
from safetyops.auth.api import router as auth_router
from safetyops.db.engine import get_engine
from safetyops.errors import SafetyOpsError
from safetyops.guidelines.api import router as guidelines_router
from safetyops.intake.api import router as intake_router
from safetyops.planning.api import router as planning_router
from safetyops.projects.api import router as projects_router
from safetyops.quality.api import router as quality_router
from safetyops.web.views import mount_static
from safetyops.web.views import router as web_router
from safetyops.work.api import router as work_router
from safetyops.workforce.api import router as workforce_router

API_PREFIX = "/api/v1"


def create_app(engine: Engine | None = None) -> FastAPI:
    app = FastAPI(
        title="SafetyOps",
        version=__version__,
        description="Trust & Safety data-labeling operations: queue, quality, planning, delivery.",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
    )
    app.state.engine = engine or get_engine()
    for router in (
        auth_router,
        workforce_router,
        projects_router,
        work_router,
        quality_router,
        intake_router,
        planning_router,
        guidelines_router,
    ):
        app.include_router(router, prefix=API_PREFIX)
    app.include_router(web_router)
    mount_static(app)
    _install_error_handlers(app)

    @app.get(f"{API_PREFIX}/health", tags=["meta"])
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    return app


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(SafetyOpsError)
    async def _known(_: Request, exc: SafetyOpsError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
        return JSONResponse(exc.as_dict(), status_code=exc.status_code, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            {"field": ".".join(str(p) for p in err["loc"] if p != "body"), "message": err["msg"]}
            for err in exc.errors()
        ]
        body = {"error": "InvalidInput", "message": "the request is invalid", "problems": problems}
        return JSONResponse(body, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse({"error": "HTTPError", "message": str(exc.detail)}, status_code=exc.status_code)


def app_factory() -> FastAPI:
    """Entry point for uvicorn --factory (each worker process builds its own app and engine)."""
    return create_app()
