"""The queue's statements: pick-and-lease, gold pick, lease sweep, and the slot bookkeeping.

Each function takes a lent driver connection (`raw.Db`) and runs pre-written SQL on it: these run once or
twice per labeled item, hundreds of times a second.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, NamedTuple

from safetyops.db import raw
from safetyops.db.base import utcnow

ITEM_COLUMNS = ("id", "content_text", "media_url", "media_type", "market", "language", "context")
_ITEM_SQL = ", ".join(ITEM_COLUMNS)


@dataclass(frozen=True)
class Eligibility:
    """What one labeler may be served: their id and the languages / markets they cover (empty: any)."""

    labeler_id: int
    languages: tuple[str, ...] = ()
    markets: tuple[str, ...] = ()


class Leased(NamedTuple):
    assignment_id: int
    item: dict[str, Any]
    expires: datetime


def _eligible_sql(pg: bool, languages: bool, markets: bool) -> str:
    """The conditions an item must meet to be served to labeler :l in project :p."""
    extra = ""
    for column, wanted in (("language", languages), ("market", markets)):
        if wanted:
            inside = f"= ANY(:{column}s)" if pg else f"IN (SELECT value FROM json_each(:{column}s))"
            extra += f" AND (i.{column} IS NULL OR i.{column} {inside})"
    # OFFSET 0 keeps PostgreSQL from turning NOT EXISTS into an anti-join over the labeler's whole
    # history: it stays a per-candidate probe of the unique (item_id, labeler_id) index.
    fence = " OFFSET 0" if pg else ""
    return (
        f"i.project_id = :p AND i.open_slots > 0 AND NOT i.is_gold{extra} "
        f"AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.item_id = i.id AND a.labeler_id = :l{fence})"
    )


def _pick_sql(pg: bool, languages: bool, markets: bool) -> str:
    """The next item for a labeler, from the head of the partial queue index: by priority, then age.
    PostgreSQL locks the pick and skips items another labeler's pick has locked."""
    lock = " FOR UPDATE SKIP LOCKED" if pg else ""
    return (
        f"SELECT i.id FROM items i WHERE {_eligible_sql(pg, languages, markets)} "
        f"ORDER BY i.priority DESC, i.id LIMIT 1{lock}"
    )


@lru_cache(maxsize=8)
def _take_statement(pg: bool, languages: bool, markets: bool) -> raw.Statement:
    """Pick, take one of the item's open slots, and (PostgreSQL) write the lease: one statement."""
    pick = _pick_sql(pg, languages, markets)
    if not pg:  # SQLite has no data-modifying WITH: the lease is a second statement
        return raw.Statement(
            f"UPDATE items SET open_slots = open_slots - 1 WHERE id = ({pick}) AND open_slots > 0 "
            f"RETURNING NULL, {_ITEM_SQL}"
        )
    taken = ", ".join(f"items.{c}" for c in ITEM_COLUMNS)
    return raw.Statement(
        f"WITH pick AS ({pick}), "
        "taken AS (UPDATE items SET open_slots = items.open_slots - 1 FROM pick WHERE items.id = pick.id "
        f"RETURNING {taken}), "
        "lease AS (INSERT INTO assignments (project_id, item_id, labeler_id, is_gold, status, leased_at, expires_at) "
        "SELECT :p, taken.id, :l, false, 'leased', :now, :expires FROM taken RETURNING id) "
        "SELECT lease.id, " + ", ".join(f"taken.{c}" for c in ITEM_COLUMNS) + " FROM lease, taken"
    )


def take_and_lease(db: raw.Db, project_id: int, who: Eligibility, minutes: int) -> Leased | None:
    """A regular task for `who`. One statement on PostgreSQL; on SQLite a take and a lease, inside the
    caller's write transaction."""
    now = utcnow()
    expires = now + timedelta(minutes=minutes)
    params: dict[str, Any] = {"p": project_id, "l": who.labeler_id}
    if db.pg:
        params["now"], params["expires"] = now, expires
    if who.languages:
        params["languages"] = db.list(list(who.languages))
    if who.markets:
        params["markets"] = db.list(list(who.markets))
    statement = _take_statement(db.pg, bool(who.languages), bool(who.markets))
    row = db.execute(statement, params).fetchone()
    if row is None and db.pg:
        row = _take_once_unlocked(db, statement, _work_exists(bool(who.languages), bool(who.markets)), params)
    if row is None:
        return None
    lease_id, *item_row = row
    item = _item(item_row)
    if lease_id is None:
        lease_id, expires = insert_lease(db, project_id, item["id"], who.labeler_id, minutes, False)
    return Leased(int(lease_id), item, expires)


# PostgreSQL: how long to wait, pause by pause, for work that exists but is locked for a moment.
RETRY_PAUSES = (0.002, 0.005, 0.01, 0.02, 0.05)


@lru_cache(maxsize=4)
def _work_exists(languages: bool, markets: bool) -> raw.Statement:
    """Whether any item could be served to labeler :l, locked or not (PostgreSQL; reads, locks nothing)."""
    return raw.Statement(f"SELECT 1 FROM items i WHERE {_eligible_sql(True, languages, markets)} LIMIT 1")


def _take_once_unlocked(db: raw.Db, take: raw.Statement, exists: raw.Statement, params: dict[str, Any]) -> Any:
    """SKIP LOCKED passes over items whose row another statement holds for a moment (a submit counting its
    label, another labeler's pick). When that left nothing but such work exists, take again after a short
    pause, so that "no work for you now" is never an accident of timing. Waiting on the locks instead
    could deadlock with a lease sweep, which locks items in another order."""
    for pause in RETRY_PAUSES:
        if db.execute(exists, params).fetchone() is None:
            return None
        time.sleep(pause)
        row = db.execute(take, params).fetchone()
        if row is not None:
            return row
    return None


def _item(row: Any) -> dict[str, Any]:
    item = dict(zip(ITEM_COLUMNS, row, strict=True))
    item["context"] = raw.read_json(item["context"])
    return item


_GOLD_BOUNDS = raw.Statement("SELECT min(id), max(id) FROM items WHERE project_id = :p AND is_gold")
_GOLD_UNSEEN = {
    op: raw.Statement(
        f"SELECT {_ITEM_SQL} FROM items i WHERE i.project_id = :p AND i.is_gold AND i.id {op} :pivot "
        "AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.item_id = i.id AND a.labeler_id = :l) "
        "ORDER BY i.id LIMIT 1"
    )
    for op in (">=", "<")
}


def pick_gold(db: raw.Db, project_id: int, labeler_id: int) -> dict[str, Any] | None:
    """A gold item this labeler has not seen, chosen at random (gold items use no overlap slots)."""
    bounds = db.execute(_GOLD_BOUNDS, {"p": project_id}).fetchone()
    if bounds is None or bounds[0] is None:
        return None
    params = {"p": project_id, "l": labeler_id, "pivot": random.randint(bounds[0], bounds[1])}
    for statement in _GOLD_UNSEEN.values():
        row = db.execute(statement, params).fetchone()
        if row:
            return _item(row)
    return None


_INSERT_LEASE = raw.Statement(
    "INSERT INTO assignments (project_id, item_id, labeler_id, is_gold, status, leased_at, expires_at) "
    "VALUES (:p, :item, :l, :gold, 'leased', :now, :expires) RETURNING id"
)


def insert_lease(
    db: raw.Db, project_id: int, item_id: int, labeler_id: int, minutes: int, is_gold: bool
) -> tuple[int, datetime]:
    now = utcnow()
    expires = now + timedelta(minutes=minutes)
    params = {
        "p": project_id,
        "item": item_id,
        "l": labeler_id,
        "gold": is_gold,
        "now": db.time(now),
        "expires": db.time(expires),
    }
    return int(db.execute(_INSERT_LEASE, params).fetchone()[0]), expires


_SWEEP = raw.Statement(
    "UPDATE assignments SET status = 'expired' "
    "WHERE project_id = :p AND status = 'leased' AND expires_at < :now "
    "RETURNING item_id, is_gold"
)
_RETURN_SLOT = raw.Statement("UPDATE items SET open_slots = open_slots + 1 WHERE id = :id")


def sweep_expired(db: raw.Db, project_id: int) -> int:
    """Turn expired leases of a project back into open slots; returns how many came back."""
    rows = db.execute(_SWEEP, {"p": project_id, "now": db.time(utcnow())}).fetchall()
    freed = sorted(item_id for item_id, is_gold in rows if not is_gold)
    for item_id in freed:
        return_slot(db, item_id)
    return len(freed)


def return_slot(db: raw.Db, item_id: int) -> None:
    db.execute(_RETURN_SLOT, {"id": item_id})


_TAKE_IF_NEEDED = raw.Statement("UPDATE items SET open_slots = open_slots - 1 WHERE id = :id AND open_slots > 0")


def take_slot_if_needed(db: raw.Db, item_id: int) -> bool:
    """For a submit on a swept lease: claim a slot only if the item still needs a label."""
    return bool(db.execute(_TAKE_IF_NEEDED, {"id": item_id}).rowcount == 1)


_COUNT_LABEL = raw.Statement("UPDATE items SET label_count = label_count + 1 WHERE id = :id")


def count_label(db: raw.Db, item_id: int) -> None:
    db.execute(_COUNT_LABEL, {"id": item_id})
