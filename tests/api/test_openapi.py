"""The API describes itself: every successful answer of every route has a declared shape in the OpenAPI schema."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Response
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import BaseModel
from sqlalchemy import create_engine

from safetyops.api import API_PREFIX, create_app
from tests.auth.routes import effective_routes

BINARY = {"type": "string", "format": "binary"}


def _described(schema: dict[str, Any]) -> bool:
    """A named model, a list of them, or a choice between them; never `{}` or a bare open object."""
    if "$ref" in schema:
        return True
    if schema.get("type") == "array":
        return _described(schema.get("items", {}))
    for key in ("oneOf", "anyOf"):
        if key in schema:
            return all(_described(s) for s in schema[key])
    return schema.get("type") == "object" and bool(schema.get("properties"))


def undescribed_answers(schema: dict[str, Any]) -> list[str]:
    """Every 2xx answer without a shape: JSON without a described schema, a 204 with a body, a file download
    without its media type."""
    problems = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for code, answer in operation.get("responses", {}).items():
                if not code.startswith("2"):
                    continue
                where = f"{method.upper()} {path} → {code}"
                content = answer.get("content") or {}
                if code == "204":
                    if content:
                        problems.append(f"{where}: a 204 has no body")
                    continue
                if not content:
                    problems.append(f"{where}: declares no content")
                for media, body in content.items():
                    if media == "application/json":
                        if not _described(body.get("schema", {})):
                            problems.append(f"{where}: JSON without a response model")
                    elif body.get("schema") != BINARY:
                        problems.append(f"{where}: {media} is not declared as a file download")
                if "application/json" in content and len(content) > 1:
                    problems.append(f"{where}: a file download must not also claim JSON")
    return problems


def test_every_api_answer_declares_its_shape() -> None:
    app = create_app(create_engine("sqlite://"), fast_path=False)
    with TestClient(app) as client:
        schema = client.get(f"{API_PREFIX}/openapi.json").json()
    assert undescribed_answers(schema) == []
    documented = {(path, method.upper()) for path, ops in schema["paths"].items() for method in ops}
    api_routes = [(r, p, m) for r, p, m in effective_routes(app) if isinstance(r, APIRoute)]
    assert len(api_routes) > 80  # every area's router, opened up
    for route, path, methods in api_routes:
        assert path.startswith(API_PREFIX) or not route.include_in_schema, f"{path} is outside {API_PREFIX}"
        if path.startswith(API_PREFIX):
            assert route.include_in_schema, f"{path} is hidden from the API's schema"
            assert {(path, m) for m in methods} <= documented, path


class _Shape(BaseModel):
    ok: bool


def test_the_check_finds_untyped_answers() -> None:
    """The check itself: an untyped dict, an undeclared download and a 204 with a body are all reported."""
    app = FastAPI()

    @app.get("/untyped")
    def untyped() -> dict[str, Any]:
        return {}

    @app.get("/typed", response_model=_Shape)
    def typed() -> _Shape:
        return _Shape(ok=True)

    @app.get("/file", response_class=Response)
    def file() -> Response:
        return Response(b"x", media_type="text/csv")

    @app.delete("/gone", status_code=204)
    def gone() -> None:
        return None

    found = undescribed_answers(app.openapi())
    assert any(p.startswith("GET /untyped") for p in found)
    assert any(p.startswith("GET /file") for p in found)
    assert not any("/typed" in p or "/gone" in p for p in found)
