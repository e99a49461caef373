"""Small worlds for tests: a vendor, labelers with principals, and a project with items."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, text, update

from safetyops.auth.principal import Principal
from safetyops.auth.service import authenticate, clear_auth_cache
from safetyops.projects.models import Item
from safetyops.work.service import clear_caches
from tests.support.loadtest import bulk_items, setup_world


@dataclass
class QueueWorld:
    engine: Engine
    project_id: int
    tokens: list[str]
    principals: list[Principal]

    def item_ids(self) -> list[int]:
        with self.engine.connect() as conn:
            rows = conn.execute(text("SELECT id FROM items WHERE project_id = :p ORDER BY id"), {"p": self.project_id})
            return [int(r[0]) for r in rows]

    def set_items(self, ids: list[int], **values: Any) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(Item).where(Item.id.in_(ids)).values(**values))

    def expire_all_leases(self) -> None:
        """Move every live lease's deadline into the past, as if its minutes had run out."""
        with self.engine.begin() as conn:
            conn.execute(
                text("UPDATE assignments SET expires_at = :t WHERE status = 'leased'"),
                {"t": "2000-01-01 00:00:00.000000" if conn.dialect.name == "sqlite" else "2000-01-01T00:00:00Z"},
            )


def make_world(engine: Engine, *, labelers: int = 3, overlap: int = 1, items: int = 5, **kw: Any) -> QueueWorld:
    clear_caches()
    clear_auth_cache()
    world = setup_world(engine, labelers=labelers, overlap=overlap, items=items, **kw)
    principals = [authenticate(engine, t) for t in world.tokens]
    return QueueWorld(engine, world.project_id, world.tokens, principals)


def add_gold(world: QueueWorld, count: int) -> None:
    bulk_items(world.engine, world.project_id, count, 0, gold=True, prefix="gold")
