"""Every route an app answers, whichever way FastAPI keeps its included routers."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import FastAPI, routing
from starlette.routing import BaseRoute


def effective_routes(app: FastAPI) -> Iterator[tuple[BaseRoute, str, frozenset[str]]]:
    """(route, full path, methods) for each route in `app.routes`, included routers opened up.

    FastAPI ≥ 0.12x keeps an included router as one lazy entry of `app.routes`; `iter_route_contexts`
    resolves it to the routes it serves (with the prefix applied). Older versions list the routes directly.
    """
    contexts = getattr(routing, "iter_route_contexts", None)
    if contexts is None:  # pragma: no cover - older FastAPI
        for route in app.routes:
            yield route, str(getattr(route, "path", "")), frozenset(getattr(route, "methods", None) or ())
        return
    for ctx in contexts(app.routes):
        yield ctx.original_route, str(ctx.path or ""), frozenset(ctx.methods or ())
