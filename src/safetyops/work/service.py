"""Queue use cases for a labeler: next task, submit, skip, release — correct under any concurrency."""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from safetyops.auth import policies
from safetyops.auth.principal import Principal
from safetyops.config import get_settings
from safetyops.db import raw
from safetyops.db.base import table, utcnow
from safetyops.db.engine import write_transaction
from safetyops.errors import Conflict, Forbidden, Gone, InvalidInput, NotFound
from safetyops.guidelines.taxonomy import Taxonomy, validate_answer
from safetyops.projects.models import Project, ProjectStatus
from safetyops.work import queue
from safetyops.work.models import Assignment, AssignmentStatus, Label


@dataclass(frozen=True)
class ProjectRules:
    """What the queue needs to know of a project, cached for a few seconds per process."""

    id: int
    status: str
    overlap: int
    gold_rate: float
    lease_minutes: int
    guideline_version: str
    taxonomy: Taxonomy
    required_certifications: tuple[str, ...]


class _TTLCache:
    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._data: dict[Any, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: Any) -> Any:
        hit = self._data.get(key)
        return hit[1] if hit and hit[0] > time.monotonic() else None

    def put(self, key: Any, value: Any) -> None:
        with self._lock:
            if len(self._data) > 100_000:
                self._data.clear()
            self._data[key] = (time.monotonic() + self.ttl, value)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


_rules_cache = _TTLCache(ttl=5.0)
_eligible_cache = _TTLCache(ttl=5.0)
_last_sweep: dict[int, float] = {}


def clear_caches() -> None:
    _rules_cache.clear()
    _eligible_cache.clear()
    _last_sweep.clear()


def project_rules(engine: Engine, project_id: int) -> ProjectRules:
    rules = _rules_cache.get(project_id)
    if rules is not None:
        return rules
    with Session(engine) as session:
        project = session.get(Project, project_id)
        if project is None:
            raise NotFound(f"no project {project_id}")
        rules = ProjectRules(
            id=project.id,
            status=project.status,
            overlap=project.overlap,
            gold_rate=project.gold_rate,
            lease_minutes=project.lease_minutes,
            guideline_version=project.guideline_version,
            taxonomy=Taxonomy.model_validate(project.taxonomy),
            required_certifications=tuple(project.required_certifications or ()),
        )
    _rules_cache.put(project_id, rules)
    return rules


def _check_may_work(engine: Engine, principal: Principal, rules: ProjectRules) -> None:
    if principal.labeler_id is None:
        raise Forbidden("only labelers take tasks; this user has no labeler profile")
    key = (principal.user_id, rules.id)
    allowed = _eligible_cache.get(key)
    if allowed is None:
        with Session(engine) as session:
            allowed = policies.can_work_on(session, principal, rules.id)
        _eligible_cache.put(key, allowed)
    if not allowed:
        raise NotFound(f"no project {rules.id} for you")
    if principal.labeler_status != "production":
        raise Forbidden(f"labeler status is '{principal.labeler_status}'; production tasks need 'production'")
    missing = set(rules.required_certifications) - set(principal.certifications)
    if missing:
        raise Forbidden(f"this project needs the certifications: {', '.join(sorted(missing))}")


def _maybe_sweep(engine: Engine, project_id: int) -> None:
    interval = get_settings().lease_sweep_seconds
    now = time.monotonic()
    if now - _last_sweep.get(project_id, 0.0) < interval:
        return
    _last_sweep[project_id] = now
    with write_transaction(engine) as conn:
        queue.sweep_expired(conn, project_id)


def next_task(engine: Engine, principal: Principal, project_id: int) -> dict[str, Any] | None:
    """Lease the next item for this labeler; None when there is no work for them now."""
    rules = project_rules(engine, project_id)
    _check_may_work(engine, principal, rules)
    if rules.status != ProjectStatus.ACTIVE.value:
        raise Conflict(f"project {project_id} is {rules.status}; it serves no tasks")
    assert principal.labeler_id is not None
    _maybe_sweep(engine, project_id)
    who = queue.Eligibility(principal.labeler_id, principal.languages, principal.markets)
    want_gold = rules.gold_rate > 0 and random.random() < rules.gold_rate
    for attempt in range(3):
        try:
            with write_transaction(engine) as conn:
                leased = _lease_one(conn, project_id, who, rules.lease_minutes, want_gold)
            return None if leased is None else _task_view(*leased, rules)
        except IntegrityError:
            # The same labeler raced itself to one item; the unique (item, labeler) key refused the
            # second lease and the transaction rolled back. Try again.
            if attempt == 2:
                raise
    return None


def _lease_one(
    conn: Any, project_id: int, who: queue.Eligibility, minutes: int, want_gold: bool
) -> tuple[int, dict[str, Any], datetime] | None:
    if want_gold:
        item = queue.pick_gold(conn, project_id, who.labeler_id)
        if item is not None:
            assignment_id, expires = queue.insert_lease(conn, project_id, item["id"], who.labeler_id, minutes, True)
            return assignment_id, item, expires
    return queue.take_and_lease(conn, project_id, who, minutes)


def _task_view(assignment_id: int, item: dict[str, Any], expires: datetime, rules: ProjectRules) -> dict[str, Any]:
    """What a labeler sees: content and context, nothing that tells gold from regular work."""
    return {
        "assignment_id": assignment_id,
        "item": {
            "text": item["content_text"],
            "media_url": item["media_url"],
            "media_type": item["media_type"],
            "language": item["language"],
            "market": item["market"],
            "context": item["context"],
        },
        "guideline_version": rules.guideline_version,
        "lease_expires_at": expires.isoformat(),
    }


def _load_assignment(engine: Engine, principal: Principal, assignment_id: int) -> Assignment:
    with Session(engine) as session:
        assignment = session.get(Assignment, assignment_id)
    if assignment is None or principal.labeler_id is None or assignment.labeler_id != principal.labeler_id:
        raise NotFound(f"no assignment {assignment_id} for you")
    return assignment


_LEASE = table(Assignment)
_LABELS = table(Label)


class LeaseRow(NamedTuple):
    id: int
    project_id: int
    item_id: int
    labeler_id: int
    status: str
    is_gold: bool


_FIRST_SUBMIT = raw.Statement(
    "SELECT id, assignment_id, guideline_version, created_at FROM labels "
    "WHERE labeler_id = :labeler AND idempotency_key = :key"
)
_LEASE_ROW = raw.Statement(
    "SELECT id, project_id, item_id, labeler_id, status, is_gold FROM assignments WHERE id = :aid"
)
_CLOSE_LEASE = raw.Statement(
    "UPDATE assignments SET status = 'submitted', finished_at = :now WHERE id = :aid AND status = 'leased'"
)
_INSERT_LABEL = raw.Statement(
    "INSERT INTO labels (project_id, item_id, labeler_id, assignment_id, is_gold, answer, time_spent_ms, "
    "guideline_version, idempotency_key, created_at) VALUES (:p, :item, :l, :aid, :gold, {answer}, :ms, :gv, :key, "
    ":now) RETURNING id"
)
_INSERT_LABEL.postgresql = _INSERT_LABEL.postgresql.replace("{answer}", "CAST(%(answer)s AS JSONB)")
_INSERT_LABEL.sqlite = _INSERT_LABEL.sqlite.replace("{answer}", ":answer")


# PostgreSQL fast path of a submit on a live lease: close it, write the label and count it in one
# round trip. Anything else (a retry, an expired lease, someone else's id) falls back to the general path.
_SUBMIT_LIVE_PG = raw.Statement(
    "WITH closed AS (UPDATE assignments SET status = 'submitted', finished_at = :now "
    "WHERE id = :aid AND labeler_id = :l AND status = 'leased' RETURNING id, project_id, item_id, is_gold), "
    "lab AS (INSERT INTO labels (project_id, item_id, labeler_id, assignment_id, is_gold, answer, time_spent_ms, "
    "guideline_version, idempotency_key, created_at) "
    "SELECT c.project_id, c.item_id, :l, c.id, c.is_gold, CAST(:answer AS JSONB), :ms, p.guideline_version, :key, :now "
    "FROM closed c JOIN projects p ON p.id = c.project_id RETURNING id, project_id, guideline_version), "
    "counted AS (UPDATE items SET label_count = items.label_count + 1 FROM closed c "
    "WHERE items.id = c.item_id AND NOT c.is_gold) "
    "SELECT id, project_id, guideline_version FROM lab"
)


def _submit_live_pg(
    conn: Any, engine: Engine, labeler_id: int, assignment_id: int, answer: Any, key: str, ms: int
) -> dict[str, Any] | None:
    now = utcnow()
    params = {"aid": assignment_id, "l": labeler_id, "answer": raw.bind_json(answer), "ms": ms, "key": key, "now": now}
    row = raw.execute(conn, _SUBMIT_LIVE_PG, params).fetchone()
    if row is None:
        return None
    rules = project_rules(engine, row[1])
    problems = validate_answer(rules.taxonomy, answer, get_settings().max_answer_chars)
    if problems:  # raising rolls the whole transaction back: nothing is stored
        raise InvalidInput("the answer does not fit the project's taxonomy", problems)
    return _receipt(row[0], assignment_id, row[2], now)


def _receipt(label_id: int, assignment_id: int | None, guideline_version: str, created_at: Any) -> dict[str, Any]:
    return {
        "label_id": int(label_id),
        "assignment_id": assignment_id,
        "guideline_version": guideline_version,
        "created_at": raw.read_time(created_at).isoformat(),
    }


def _first_submit(conn: Any, labeler_id: int, key: str, assignment_id: int | None) -> dict[str, Any] | None:
    """The stored result of an earlier submit with this idempotency key, if any."""
    row = raw.execute(conn, _FIRST_SUBMIT, {"labeler": labeler_id, "key": key}).fetchone()
    if row is None:
        return None
    if assignment_id is not None and row[1] != assignment_id:
        raise Conflict(f"idempotency key already used for assignment {row[1]}")
    return _receipt(*row)


def _lease_row(conn: Any, assignment_id: int) -> LeaseRow | None:
    row = raw.execute(conn, _LEASE_ROW, {"aid": assignment_id}).fetchone()
    return None if row is None else LeaseRow(row[0], row[1], row[2], row[3], row[4], bool(row[5]))


def submit(
    engine: Engine,
    principal: Principal,
    assignment_id: int,
    answer: Any,
    idempotency_key: str,
    time_spent_ms: int,
) -> dict[str, Any]:
    """Store one label. A retry with the same idempotency key returns the first result unchanged."""
    labeler_id = principal.labeler_id
    if labeler_id is None:
        raise Forbidden("only labelers submit labels")
    try:
        with write_transaction(engine) as conn:
            if raw.is_pg(conn):
                done = _submit_live_pg(conn, engine, labeler_id, assignment_id, answer, idempotency_key, time_spent_ms)
                if done is not None:
                    return done
            first = _first_submit(conn, labeler_id, idempotency_key, assignment_id)
            if first is not None:
                return first
            lease = _lease_row(conn, assignment_id)
            if lease is None or lease.labeler_id != labeler_id:
                raise NotFound(f"no assignment {assignment_id} for you")
            rules = project_rules(engine, lease.project_id)
            problems = validate_answer(rules.taxonomy, answer, get_settings().max_answer_chars)
            if problems:
                raise InvalidInput("the answer does not fit the project's taxonomy", problems)
            _close_assignment(conn, lease)
            created_at = utcnow()
            params = {
                "p": lease.project_id,
                "item": lease.item_id,
                "l": labeler_id,
                "aid": assignment_id,
                "gold": lease.is_gold,
                "answer": raw.bind_json(answer),
                "ms": time_spent_ms,
                "gv": rules.guideline_version,
                "key": idempotency_key,
                "now": raw.bind_time(conn, created_at),
            }
            label_id = raw.execute(conn, _INSERT_LABEL, params).fetchone()[0]
            if not lease.is_gold:
                queue.count_label(conn, lease.item_id)
    except IntegrityError:
        with engine.connect() as conn:
            first = _first_submit(conn, labeler_id, idempotency_key, assignment_id)
        if first is not None:  # a concurrent retry of the same submit won the race
            return first
        raise Conflict(f"assignment {assignment_id} already has a label") from None
    return _receipt(label_id, assignment_id, rules.guideline_version, created_at)


def _close_assignment(conn: Any, lease: LeaseRow) -> None:
    """Mark the lease submitted; a swept (expired) lease is accepted only if the item still needs a label."""
    done = {"status": AssignmentStatus.SUBMITTED.value, "finished_at": utcnow()}
    if lease.status == AssignmentStatus.LEASED.value:
        live = raw.execute(conn, _CLOSE_LEASE, {"aid": lease.id, "now": raw.bind_time(conn, utcnow())})
        if live.rowcount == 1:
            return
        current = _lease_row(conn, lease.id)
        assert current is not None
        lease = current
    if lease.status != AssignmentStatus.EXPIRED.value:
        raise Conflict(f"assignment {lease.id} is {lease.status}; a correction is a new label, not a resubmit")
    if not lease.is_gold and not queue.take_slot_if_needed(conn, lease.item_id):
        raise Gone(f"the lease of assignment {lease.id} expired and the item has all the labels it needs")
    conn.execute(
        _LEASE.update().where(_LEASE.c.id == lease.id, _LEASE.c.status == AssignmentStatus.EXPIRED.value),
        done,
    )


def give_back(engine: Engine, principal: Principal, assignment_id: int, reason: str | None, skip: bool) -> None:
    """Skip (with a reason) or release a lease: the slot goes back to the queue for someone else."""
    assignment = _load_assignment(engine, principal, assignment_id)
    status = AssignmentStatus.SKIPPED if skip else AssignmentStatus.RELEASED
    with write_transaction(engine) as conn:
        changed = conn.execute(
            _LEASE.update()
            .where(_LEASE.c.id == assignment.id, _LEASE.c.status == AssignmentStatus.LEASED.value)
            .values(status=status.value, finished_at=utcnow(), skip_reason=reason)
        )
        if changed.rowcount == 1:
            if not assignment.is_gold:
                queue.return_slot(conn, assignment.item_id)
            return
        current = conn.execute(select(_LEASE.c.status).where(_LEASE.c.id == assignment.id)).scalar_one()
        if current == AssignmentStatus.EXPIRED.value:
            conn.execute(
                _LEASE.update()
                .where(_LEASE.c.id == assignment.id)
                .values(status=status.value, finished_at=utcnow(), skip_reason=reason)
            )
            return
        raise Conflict(f"assignment {assignment_id} is {current}; only a live lease can be given back")


def correct_label(
    engine: Engine, principal: Principal, label_id: int, answer: Any, idempotency_key: str
) -> dict[str, Any]:
    """A labeler corrects their own label: a new event that supersedes it (the first stays)."""
    if principal.labeler_id is None:
        raise Forbidden("only labelers correct their labels")
    with write_transaction(engine) as conn:
        first = _first_submit(conn, principal.labeler_id, idempotency_key, None)
        if first is not None:
            return first
        original = conn.execute(select(_LABELS).where(_LABELS.c.id == label_id)).first()
        if original is None or original.labeler_id != principal.labeler_id:
            raise NotFound(f"no label {label_id} for you")
        rules = project_rules(engine, original.project_id)
        problems = validate_answer(rules.taxonomy, answer, get_settings().max_answer_chars)
        if problems:
            raise InvalidInput("the answer does not fit the project's taxonomy", problems)
        created_at = utcnow()
        new_id = conn.execute(
            insert(_LABELS).returning(_LABELS.c.id),
            {
                "project_id": original.project_id,
                "item_id": original.item_id,
                "labeler_id": original.labeler_id,
                "supersedes_id": original.id,
                "is_gold": original.is_gold,
                "answer": answer,
                "time_spent_ms": 0,
                "guideline_version": rules.guideline_version,
                "idempotency_key": idempotency_key,
                "created_at": created_at,
            },
        ).scalar_one()
    return {
        "label_id": int(new_id),
        "assignment_id": None,
        "guideline_version": rules.guideline_version,
        "created_at": created_at.isoformat(),
    }


def expire_now(engine: Engine, project_id: int) -> int:
    """Sweep a project's expired leases immediately (CLI and tests); returns slots freed."""
    with write_transaction(engine) as conn:
        return queue.sweep_expired(conn, project_id)
