"""The audit log: one append-only entry for every change a person (or the system) makes."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from safetyops.auth.models import AuditEntry
from safetyops.auth.principal import Principal

SYSTEM_ACTOR = {"actor": "system"}


def record(
    session: Session,
    actor: Principal | int | None,
    action: str,
    entity_type: str,
    entity_id: int | str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Add an audit entry to the session's transaction (it commits or rolls back with the change).

    `actor` is the principal (or the user id) who made the change. The system principal (the command line,
    the demo, a rule that fires on its own such as a certification granted by a passed quiz) has no user
    row: its entries have no actor_id and say `"actor": "system"` in their detail, so no entry can be
    mistaken for a person's (the old command line wrote as a user id 0 that no user has).
    """
    actor_id = actor.user_id if isinstance(actor, Principal) else actor
    entry_detail = dict(detail or {})
    if actor_id is None:
        entry_detail.update(SYSTEM_ACTOR)
    session.add(
        AuditEntry(
            actor_id=actor_id,
            action=action,
            entity_type=entity_type,
            entity_id="" if entity_id is None else str(entity_id),
            detail=entry_detail,
        )
    )
