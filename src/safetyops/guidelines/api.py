"""HTTP routes of the guidelines area."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["guidelines"])
