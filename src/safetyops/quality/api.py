"""HTTP routes of the quality area."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["quality"])
