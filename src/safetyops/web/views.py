"""Server-rendered pages (Jinja2 + HTMX): sign-in, home, labeler workbench."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)


def mount_static(app: object) -> None:
    """Serve the package's static files under /static (filled in with the pages)."""
