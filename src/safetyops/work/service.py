"""Queue use cases for a labeler: next task, submit, skip, release — correct under any concurrency."""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, bindparam, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from safetyops.auth import policies
from safetyops.auth.principal import Principal
from safetyops.config import get_settings
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
                item = queue.pick_gold(conn, project_id, who.labeler_id) if want_gold else None
                is_gold = item is not None
                if item is None:
                    item = queue.pick_regular(conn, project_id, who)
                if item is None:
                    return None
                assignment_id, expires = queue.insert_lease(
                    conn, project_id, item["id"], who.labeler_id, rules.lease_minutes, is_gold
                )
            return _task_view(assignment_id, item, expires, rules)
        except IntegrityError:
            # The same labeler raced itself to one item; the unique (item, labeler) key refused the
            # second lease and the transaction rolled back. Try again.
            if attempt == 2:
                raise
    return None


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
_FIRST_SUBMIT = select(_LABELS.c.id, _LABELS.c.assignment_id, _LABELS.c.guideline_version, _LABELS.c.created_at).where(
    _LABELS.c.labeler_id == bindparam("labeler"), _LABELS.c.idempotency_key == bindparam("key")
)
_LEASE_ROW = select(
    _LEASE.c.id, _LEASE.c.project_id, _LEASE.c.item_id, _LEASE.c.labeler_id, _LEASE.c.status, _LEASE.c.is_gold
).where(_LEASE.c.id == bindparam("aid"))


def _receipt(row: Any) -> dict[str, Any]:
    return {
        "label_id": int(row.id),
        "assignment_id": row.assignment_id,
        "guideline_version": row.guideline_version,
        "created_at": row.created_at.isoformat(),
    }


def _first_submit(conn: Any, labeler_id: int, key: str, assignment_id: int | None) -> dict[str, Any] | None:
    """The stored result of an earlier submit with this idempotency key, if any."""
    row = conn.execute(_FIRST_SUBMIT, {"labeler": labeler_id, "key": key}).first()
    if row is None:
        return None
    if assignment_id is not None and row.assignment_id != assignment_id:
        raise Conflict(f"idempotency key already used for assignment {row.assignment_id}")
    return _receipt(row)


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
            first = _first_submit(conn, labeler_id, idempotency_key, assignment_id)
            if first is not None:
                return first
            lease = conn.execute(_LEASE_ROW, {"aid": assignment_id}).first()
            if lease is None or lease.labeler_id != labeler_id:
                raise NotFound(f"no assignment {assignment_id} for you")
            rules = project_rules(engine, lease.project_id)
            problems = validate_answer(rules.taxonomy, answer, get_settings().max_answer_chars)
            if problems:
                raise InvalidInput("the answer does not fit the project's taxonomy", problems)
            _close_assignment(conn, lease)
            created_at = utcnow()
            label_id = conn.execute(
                insert(_LABELS).returning(_LABELS.c.id),
                {
                    "project_id": lease.project_id,
                    "item_id": lease.item_id,
                    "labeler_id": labeler_id,
                    "assignment_id": assignment_id,
                    "is_gold": lease.is_gold,
                    "answer": answer,
                    "time_spent_ms": time_spent_ms,
                    "guideline_version": rules.guideline_version,
                    "idempotency_key": idempotency_key,
                    "created_at": created_at,
                },
            ).scalar_one()
            if not lease.is_gold:
                queue.count_label(conn, lease.item_id)
    except IntegrityError:
        with engine.connect() as conn:
            first = _first_submit(conn, labeler_id, idempotency_key, assignment_id)
        if first is not None:  # a concurrent retry of the same submit won the race
            return first
        raise Conflict(f"assignment {assignment_id} already has a label") from None
    return {
        "label_id": int(label_id),
        "assignment_id": assignment_id,
        "guideline_version": rules.guideline_version,
        "created_at": created_at.isoformat(),
    }


def _close_assignment(conn: Any, lease: Any) -> None:
    """Mark the lease submitted; a swept (expired) lease is accepted only if the item still needs a label."""
    done = {"status": AssignmentStatus.SUBMITTED.value, "finished_at": utcnow()}
    if lease.status == AssignmentStatus.LEASED.value:
        live = conn.execute(
            _LEASE.update().where(_LEASE.c.id == lease.id, _LEASE.c.status == AssignmentStatus.LEASED.value),
            done,
        )
        if live.rowcount == 1:
            return
        lease = conn.execute(_LEASE_ROW, {"aid": lease.id}).first()
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
