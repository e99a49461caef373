"""HTTP routes of the planning area."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["planning"])
