"""The queue's statements: pick-and-lease, gold pick, lease sweep, and the slot bookkeeping."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, bindparam, text, update

from safetyops.db import raw
from safetyops.db.base import UTCDateTime, table, utcnow
from safetyops.projects.models import Item

ITEM_COLUMNS = ("id", "content_text", "media_url", "media_type", "market", "language", "context")
_ITEM_SQL = ", ".join(ITEM_COLUMNS)


@dataclass(frozen=True)
class Eligibility:
    """What one labeler may be served: their id and the languages / markets they cover (empty: any)."""

    labeler_id: int
    languages: tuple[str, ...] = ()
    markets: tuple[str, ...] = ()


def _candidate_sql(pg: bool, languages: bool, markets: bool) -> str:
    """The next item for a labeler: first by priority then age, from the partial queue index."""
    extra = ""
    for column, wanted in (("language", languages), ("market", markets)):
        if wanted:
            inside = f"= ANY(:{column}s)" if pg else f"IN (SELECT value FROM json_each(:{column}s))"
            extra += f" AND (i.{column} IS NULL OR i.{column} {inside})"
    # OFFSET 0 keeps PostgreSQL from turning NOT EXISTS into an anti-join over the labeler's whole
    # history: it stays a per-candidate probe of the unique (item_id, labeler_id) index.
    fence = " OFFSET 0" if pg else ""
    return (
        "SELECT i.id FROM items i "
        f"WHERE i.project_id = :p AND i.open_slots > 0 AND NOT i.is_gold{extra} "
        f"AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.item_id = i.id AND a.labeler_id = :l{fence}) "
        "ORDER BY i.priority DESC, i.id LIMIT 1"
    )


@lru_cache(maxsize=4)
def _pick_statements_sqlite(languages: bool, markets: bool) -> tuple[raw.Statement, raw.Statement]:
    """SQLite: find the candidate, then take its slot (the BEGIN IMMEDIATE write lock makes the pair atomic)."""
    take = f"UPDATE items SET open_slots = open_slots - 1 WHERE id = :id AND open_slots > 0 RETURNING {_ITEM_SQL}"
    return raw.Statement(_candidate_sql(False, languages, markets)), raw.Statement(take)


@lru_cache(maxsize=8)
def _take_and_lease_pg(languages: bool, markets: bool) -> raw.Statement:
    """PostgreSQL: pick, take the slot and write the lease in one statement (one round trip)."""
    candidate = _candidate_sql(True, languages, markets)
    cols = ", ".join(f"taken.{c}" for c in ITEM_COLUMNS)
    return raw.Statement(
        f"WITH pick AS ({candidate} FOR UPDATE SKIP LOCKED), "
        "taken AS (UPDATE items SET open_slots = items.open_slots - 1 FROM pick WHERE items.id = pick.id "
        "RETURNING " + ", ".join(f"items.{c}" for c in ITEM_COLUMNS) + "), "
        "lease AS (INSERT INTO assignments (project_id, item_id, labeler_id, is_gold, status, leased_at, expires_at) "
        "SELECT :p, taken.id, :l, false, 'leased', :now, :expires FROM taken RETURNING id) "
        f"SELECT lease.id, {cols} FROM lease, taken"
    )


def take_and_lease(
    conn: Connection, project_id: int, who: Eligibility, minutes: int
) -> tuple[int, dict[str, Any], datetime] | None:
    """A regular task in one round trip on PostgreSQL; elsewhere pick, then lease."""
    now = utcnow()
    expires = now + timedelta(minutes=minutes)
    if not raw.is_pg(conn):
        item = _pick_sqlite(conn, project_id, who)
        if item is None:
            return None
        lease_id, expires = insert_lease(conn, project_id, item["id"], who.labeler_id, minutes, False)
        return lease_id, item, expires
    params: dict[str, Any] = {"p": project_id, "l": who.labeler_id, "now": now, "expires": expires}
    if who.languages:
        params["languages"] = list(who.languages)
    if who.markets:
        params["markets"] = list(who.markets)
    row = raw.execute(conn, _take_and_lease_pg(bool(who.languages), bool(who.markets)), params).fetchone()
    if row is None:
        return None
    item = _item(row[1:])
    assert item is not None
    return int(row[0]), item, expires


def _item(row: Any) -> dict[str, Any] | None:
    if row is None:
        return None
    item = dict(zip(ITEM_COLUMNS, row, strict=True))
    item["context"] = raw.read_json(item["context"])
    return item


def _pick_sqlite(conn: Connection, project_id: int, who: Eligibility) -> dict[str, Any] | None:
    """Take one slot of the highest-priority oldest item this labeler may label, or None (SQLite)."""
    params: dict[str, Any] = {"p": project_id, "l": who.labeler_id}
    if who.languages:
        params["languages"] = raw.bind_list(conn, list(who.languages))
    if who.markets:
        params["markets"] = raw.bind_list(conn, list(who.markets))
    find, take = _pick_statements_sqlite(bool(who.languages), bool(who.markets))
    found = raw.execute(conn, find, params).fetchone()
    if found is None:
        return None
    return _item(raw.execute(conn, take, {"id": found[0]}).fetchone())


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
        row = conn.execute(text(unseen.format(cols=_ITEM_SQL, op=op)), params).first()
        if row:
            return _item(tuple(row))
    return None


_INSERT_LEASE = raw.Statement(
    "INSERT INTO assignments (project_id, item_id, labeler_id, is_gold, status, leased_at, expires_at) "
    "VALUES (:p, :item, :l, :gold, 'leased', :now, :expires) RETURNING id"
)


def insert_lease(
    conn: Connection, project_id: int, item_id: int, labeler_id: int, minutes: int, is_gold: bool
) -> tuple[int, datetime]:
    now = utcnow()
    expires = now + timedelta(minutes=minutes)
    params = {
        "p": project_id,
        "item": item_id,
        "l": labeler_id,
        "gold": is_gold,
        "now": raw.bind_time(conn, now),
        "expires": raw.bind_time(conn, expires),
    }
    return int(raw.execute(conn, _INSERT_LEASE, params).fetchone()[0]), expires


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


_COUNT_LABEL = raw.Statement("UPDATE items SET label_count = label_count + 1 WHERE id = :id")


def count_label(conn: Connection, item_id: int) -> None:
    raw.execute(conn, _COUNT_LABEL, {"id": item_id})
