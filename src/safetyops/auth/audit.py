"""The audit log: one append-only entry for every change a person makes."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from safetyops.auth.models import AuditEntry


def record(
    session: Session,
    actor_id: int | None,
    action: str,
    entity_type: str,
    entity_id: int | str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Add an audit entry to the session's transaction (it commits or rolls back with the change)."""
    session.add(
        AuditEntry(
            actor_id=actor_id,
            action=action,
            entity_type=entity_type,
            entity_id="" if entity_id is None else str(entity_id),
            detail=detail or {},
        )
    )
