"""The queue's statements: pick-and-lease, gold pick, lease sweep, and the slot bookkeeping."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, TextualSelect, bindparam, insert, text, update

from safetyops.db.base import JSONType, UTCDateTime, table, utcnow
from safetyops.projects.models import Item
from safetyops.work.models import Assignment, AssignmentStatus

ITEM_COLUMNS = "id, content_text, media_url, media_type, market, language, context"


def _typed(sql: str) -> TextualSelect:
    """A statement returning item columns, with `context` decoded from JSON on every backend."""
    return text(sql).columns(context=JSONType)


@dataclass(frozen=True)
class Eligibility:
    """What one labeler may be served: their id and the languages / markets they cover (empty: any)."""

    labeler_id: int
    languages: tuple[str, ...] = ()
    markets: tuple[str, ...] = ()


def _eligibility_sql(who: Eligibility, params: dict[str, Any], is_pg: bool) -> str:
    clauses = []
    for column, values in (("language", who.languages), ("market", who.markets)):
        if not values:
            continue
        params[column + "s"] = list(values)
        inside = f"= ANY(:{column}s)" if is_pg else f"IN (SELECT value FROM json_each(:{column}s))"
        if not is_pg:
            params[column + "s"] = _json_list(values)
        clauses.append(f"AND (i.{column} IS NULL OR i.{column} {inside})")
    return " ".join(clauses)


def _json_list(values: tuple[str, ...]) -> str:
    import orjson

    return orjson.dumps(list(values)).decode()


def pick_regular(conn: Connection, project_id: int, who: Eligibility) -> dict[str, Any] | None:
    """Take one slot of the highest-priority oldest item this labeler may label, or None."""
    is_pg = conn.dialect.name == "postgresql"
    params: dict[str, Any] = {"p": project_id, "l": who.labeler_id}
    extra = _eligibility_sql(who, params, is_pg)
    # OFFSET 0 keeps PostgreSQL from turning NOT EXISTS into an anti-join over the labeler's whole
    # history: it stays a per-candidate probe of the unique (item_id, labeler_id) index.
    fence = "OFFSET 0" if is_pg else ""
    candidate = f"""
        SELECT i.id FROM items i
        WHERE i.project_id = :p AND i.open_slots > 0 AND NOT i.is_gold {extra}
          AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.item_id = i.id AND a.labeler_id = :l {fence})
        ORDER BY i.priority DESC, i.id
        LIMIT 1
    """
    if is_pg:
        sql = f"""
            WITH pick AS ({candidate} FOR UPDATE SKIP LOCKED)
            UPDATE items SET open_slots = items.open_slots - 1 FROM pick
            WHERE items.id = pick.id
            RETURNING items.id, items.content_text, items.media_url, items.media_type,
                      items.market, items.language, items.context
        """
        row = conn.execute(_typed(sql), params).mappings().first()
        return dict(row) if row else None
    item_id = conn.execute(text(candidate), params).scalar()
    if item_id is None:
        return None
    row = (
        conn.execute(
            _typed(
                f"UPDATE items SET open_slots = open_slots - 1 WHERE id = :id AND open_slots > 0 "
                f"RETURNING {ITEM_COLUMNS}"
            ),
            {"id": item_id},
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None


def pick_gold(conn: Connection, project_id: int, labeler_id: int) -> dict[str, Any] | None:
    """A gold item this labeler has not seen, chosen at random (gold items use no overlap slots)."""
    bounds = conn.execute(
        text("SELECT min(id), max(id) FROM items WHERE project_id = :p AND is_gold"), {"p": project_id}
    ).first()
    if bounds is None or bounds[0] is None:
        return None
    pivot = random.randint(bounds[0], bounds[1])
    unseen = """
        SELECT {cols} FROM items i
        WHERE i.project_id = :p AND i.is_gold AND i.id {op} :pivot
          AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.item_id = i.id AND a.labeler_id = :l)
        ORDER BY i.id LIMIT 1
    """
    params = {"p": project_id, "l": labeler_id, "pivot": pivot}
    for op in (">=", "<"):
        row = conn.execute(_typed(unseen.format(cols=ITEM_COLUMNS, op=op)), params).mappings().first()
        if row:
            return dict(row)
    return None


def insert_lease(
    conn: Connection, project_id: int, item_id: int, labeler_id: int, minutes: int, is_gold: bool
) -> tuple[int, datetime]:
    now = utcnow()
    expires = now + timedelta(minutes=minutes)
    new_id = conn.execute(
        insert(table(Assignment)).returning(table(Assignment).c.id),
        {
            "project_id": project_id,
            "item_id": item_id,
            "labeler_id": labeler_id,
            "is_gold": is_gold,
            "status": AssignmentStatus.LEASED.value,
            "leased_at": now,
            "expires_at": expires,
        },
    ).scalar_one()
    return int(new_id), expires


_SWEEP = text(
    "UPDATE assignments SET status = 'expired' "
    "WHERE project_id = :p AND status = 'leased' AND expires_at < :now "
    "RETURNING item_id, is_gold"
).bindparams(bindparam("now", type_=UTCDateTime()))


def sweep_expired(conn: Connection, project_id: int) -> int:
    """Turn expired leases of a project back into open slots; returns how many came back."""
    rows = conn.execute(_SWEEP, {"p": project_id, "now": utcnow()}).all()
    freed = sorted(r.item_id for r in rows if not r.is_gold)
    if freed:
        conn.execute(
            update(table(Item))
            .where(table(Item).c.id == bindparam("iid"))
            .values(open_slots=table(Item).c.open_slots + 1),
            [{"iid": i} for i in freed],
        )
    return len(freed)


def return_slot(conn: Connection, item_id: int) -> None:
    conn.execute(text("UPDATE items SET open_slots = open_slots + 1 WHERE id = :id"), {"id": item_id})


def take_slot_if_needed(conn: Connection, item_id: int) -> bool:
    """For a submit on a swept lease: claim a slot only if the item still needs a label."""
    result = conn.execute(
        text("UPDATE items SET open_slots = open_slots - 1 WHERE id = :id AND open_slots > 0"),
        {"id": item_id},
    )
    return result.rowcount == 1


def count_label(conn: Connection, item_id: int) -> None:
    conn.execute(text("UPDATE items SET label_count = label_count + 1 WHERE id = :id"), {"id": item_id})
