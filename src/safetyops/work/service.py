"""Queue use cases for a labeler: next task, submit, skip, release — correct under any concurrency."""

from __future__ import annotations

import random
import time
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from safetyops.auth.policies import ProjectPolicy, TaskPolicy, deny, hidden, readable_project
from safetyops.auth.principal import Principal
from safetyops.cache import ExpiringCache
from safetyops.config import get_settings
from safetyops.db import raw
from safetyops.db.base import utcnow
from safetyops.db.engine import is_sqlite
from safetyops.errors import Conflict, Forbidden, Gone, InvalidInput
from safetyops.guidelines.taxonomy import Taxonomy, validate_answer
from safetyops.projects.enums import ProjectStatus
from safetyops.projects.models import Project
from safetyops.work import queue
from safetyops.work.enums import AssignmentStatus
from safetyops.workforce.enums import LabelerStatus


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


# A project's rules and a labeler's eligibility are trusted for up to 5 s: a paused project or a removed
# member stops being served within that.
_rules_cache: ExpiringCache[int, ProjectRules] = ExpiringCache(ttl=5.0)
_eligible_cache: ExpiringCache[tuple[int, int], bool] = ExpiringCache(ttl=5.0)
_last_sweep: dict[int, float] = {}
# assignment id → (project id, labeler id) of the leases this process handed out, for their submit.
_lease_owners: ExpiringCache[int, tuple[int, int]] = ExpiringCache(ttl=24 * 3600.0, spread=0.0)


def clear_caches() -> None:
    for cache in (_rules_cache, _eligible_cache, _lease_owners):
        cache.clear()
    _last_sweep.clear()


def project_rules(engine: Engine, project_id: int) -> ProjectRules:
    rules = _rules_cache.get(project_id)
    if rules is not None:
        return rules
    with Session(engine) as session:
        project = session.get(Project, project_id)
        if project is None:
            raise hidden("project", project_id)
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


def rules_for_worker(engine: Engine, principal: Principal, project_id: int) -> ProjectRules:
    """The queue rules of a project this labeler may work on; a project they may not work on gets the same 404
    as one that does not exist. Someone who takes no tasks gets that 404 too for a project they may not see,
    and 403 for one they may."""
    if principal.labeler_id is None or not TaskPolicy.can_take_tasks(principal):
        with Session(engine) as session:
            readable_project(session, principal, project_id)
        raise deny("only labelers take tasks; this user has no labeler profile")
    key = (principal.labeler_id, project_id)
    allowed = _eligible_cache.get(key)
    if allowed is None:
        with Session(engine) as session:
            allowed = ProjectPolicy.can_work_on(session, principal, project_id)
        _eligible_cache.put(key, allowed)
    if not allowed:
        raise hidden("project", project_id)
    return project_rules(engine, project_id)


def _check_ready(principal: Principal, rules: ProjectRules) -> None:
    """A labeler who may work on the project takes production tasks once in production and certified."""
    if principal.labeler_status != LabelerStatus.PRODUCTION:
        raise Forbidden(
            f"labeler status is '{principal.labeler_status}'; production tasks need '{LabelerStatus.PRODUCTION}'"
        )
    missing = set(rules.required_certifications) - set(principal.certifications)
    if missing:
        raise Forbidden(f"this project needs the certifications: {', '.join(sorted(missing))}")


def _maybe_sweep(engine: Engine, project_id: int) -> None:
    interval = get_settings().lease_sweep_seconds
    now = time.monotonic()
    if now - _last_sweep.get(project_id, 0.0) < interval:
        return
    _last_sweep[project_id] = now
    with raw.transaction(engine) as db:
        queue.sweep_expired(db, project_id)


def _atomic_writes(engine: Engine) -> AbstractContextManager[raw.Db]:
    """For the hot path's writes. PostgreSQL: autocommit, where each write is one self-contained
    statement (one round trip); SQLite: one BEGIN IMMEDIATE transaction around the statements."""
    return raw.transaction(engine) if is_sqlite(engine) else raw.lend(engine)


def next_task(engine: Engine, principal: Principal, project_id: int) -> dict[str, Any] | None:
    """Lease the next item for this labeler; None when there is no work for them now."""
    rules = rules_for_worker(engine, principal, project_id)
    _check_ready(principal, rules)
    if rules.status != ProjectStatus.ACTIVE.value:
        raise Conflict(f"project {project_id} is {rules.status}; it serves no tasks")
    assert principal.labeler_id is not None
    _maybe_sweep(engine, project_id)
    who = queue.Eligibility(principal.labeler_id, principal.languages, principal.markets)
    want_gold = rules.gold_rate > 0 and random.random() < rules.gold_rate
    for attempt in range(3):
        try:
            leased = _lease_one(engine, project_id, who, rules.lease_minutes, want_gold)
            break
        except IntegrityError:
            # The same labeler raced itself to one item; the unique (item, labeler) key refused the
            # second lease (and its statement or transaction rolled back). Try again.
            if attempt == 2:
                raise
    if leased is None:
        return None
    _lease_owners.put(leased.assignment_id, (project_id, who.labeler_id))
    return _task_view(leased, rules)


def _lease_one(
    engine: Engine, project_id: int, who: queue.Eligibility, minutes: int, want_gold: bool
) -> queue.Leased | None:
    with _atomic_writes(engine) as db:
        if want_gold:
            item = queue.pick_gold(db, project_id, who.labeler_id)
            if item is not None:
                assignment_id, expires = queue.insert_lease(db, project_id, item["id"], who.labeler_id, minutes, True)
                return queue.Leased(assignment_id, item, expires)
        return queue.take_and_lease(db, project_id, who, minutes)


def _task_view(leased: queue.Leased, rules: ProjectRules) -> dict[str, Any]:
    """What a labeler sees: content and context, nothing that tells gold from regular work."""
    item = leased.item
    return {
        "assignment_id": leased.assignment_id,
        "item": {
            "text": item["content_text"],
            "media_url": item["media_url"],
            "media_type": item["media_type"],
            "language": item["language"],
            "market": item["market"],
            "context": item["context"],
        },
        "guideline_version": rules.guideline_version,
        "lease_expires_at": leased.expires.isoformat(),
    }


class LeaseRow(NamedTuple):
    id: int
    project_id: int
    item_id: int
    labeler_id: int
    status: str
    is_gold: bool


_LEASE_OWNER = raw.Statement("SELECT project_id, labeler_id FROM assignments WHERE id = :aid")
_FIRST_SUBMIT = raw.Statement(
    "SELECT id, assignment_id, guideline_version, created_at FROM labels "
    "WHERE labeler_id = :labeler AND idempotency_key = :key"
)
_LEASE_ROW = raw.Statement(
    "SELECT id, project_id, item_id, labeler_id, status, is_gold FROM assignments WHERE id = :aid"
)
_CLOSE_LEASE = raw.Statement(
    "UPDATE assignments SET status = 'submitted', finished_at = :now WHERE id = :aid AND status = :status"
)
_CLOSE_LIVE_LEASE = raw.Statement(
    "UPDATE assignments SET status = 'submitted', finished_at = :now "
    "WHERE id = :aid AND labeler_id = :l AND project_id = :p AND status = 'leased' RETURNING item_id, is_gold"
)
# The label records the guideline version in force, read in the same statement.
_INSERT_LABEL = raw.Statement(
    "INSERT INTO labels (project_id, item_id, labeler_id, assignment_id, supersedes_id, is_gold, answer, "
    "time_spent_ms, guideline_version, idempotency_key, created_at) "
    "SELECT :p, :item, :l, :aid, :supersedes, :gold, {answer}, :ms, p.guideline_version, :key, :now "
    "FROM projects p WHERE p.id = :p RETURNING id, guideline_version"
)
_INSERT_LABEL.postgresql = _INSERT_LABEL.postgresql.replace("{answer}", "CAST(%(answer)s AS JSONB)")
_INSERT_LABEL.sqlite = _INSERT_LABEL.sqlite.replace("{answer}", ":answer")
# PostgreSQL: a first submit on a live lease in one statement (one round trip): close the lease, write
# the label and count it. Anything else (a retry, an expired lease) finds no live lease and falls back.
_SUBMIT_LIVE_PG = raw.Statement(
    "WITH closed AS (UPDATE assignments SET status = 'submitted', finished_at = :now "
    "WHERE id = :aid AND labeler_id = :l AND project_id = :p AND status = 'leased' RETURNING id, item_id, is_gold), "
    "lab AS (INSERT INTO labels (project_id, item_id, labeler_id, assignment_id, is_gold, answer, time_spent_ms, "
    "guideline_version, idempotency_key, created_at) "
    "SELECT :p, c.item_id, :l, c.id, c.is_gold, CAST(:answer AS JSONB), :ms, p.guideline_version, :key, :now "
    "FROM closed c JOIN projects p ON p.id = :p RETURNING id, guideline_version), "
    "counted AS (UPDATE items SET label_count = items.label_count + 1 FROM closed c "
    "WHERE items.id = c.item_id AND NOT c.is_gold) "
    "SELECT id, guideline_version FROM lab"
)


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
    if labeler_id is None or not TaskPolicy.can_take_tasks(principal):
        raise deny("only labelers submit labels")
    label = _Submitted(labeler_id, assignment_id, answer, idempotency_key, time_spent_ms)
    try:
        return _submit_live(engine, label) or _submit_any(engine, label)
    except IntegrityError:
        with raw.lend(engine) as db:
            first = _first_submit(db, labeler_id, idempotency_key, assignment_id)
        if first is not None:  # a concurrent retry of the same submit won the race
            return first
        raise Conflict(f"assignment {assignment_id} already has a label") from None


class _Submitted(NamedTuple):
    labeler_id: int
    assignment_id: int
    answer: Any
    key: str
    ms: int


def _submit_live(engine: Engine, label: _Submitted) -> dict[str, Any] | None:
    """The common case, a first submit on a live lease: the owner and the answer are checked before
    anything is written, then one short write. None when the lease is not live (retry, expiry)."""
    project_id = _lease_project(engine, label.labeler_id, label.assignment_id)
    rules = project_rules(engine, project_id)
    try:
        _check_answer(rules, label)
    except InvalidInput:
        with raw.lend(engine) as db:  # a retry of an accepted submit still gets its first receipt
            first = _first_submit(db, label.labeler_id, label.key, label.assignment_id)
        if first is None:
            raise
        return first
    now = utcnow()
    params = {
        "p": project_id,
        "aid": label.assignment_id,
        "l": label.labeler_id,
        "answer": raw.bind_json(label.answer),
        "ms": label.ms,
        "key": label.key,
    }
    with _atomic_writes(engine) as db:
        params["now"] = db.time(now)
        row = db.execute(_SUBMIT_LIVE_PG, params).fetchone() if db.pg else _submit_live_sqlite(db, params)
    if row is None:
        return None
    _lease_owners.pop(label.assignment_id)
    return _receipt(row[0], label.assignment_id, row[1], now)


def _submit_live_sqlite(db: raw.Db, params: dict[str, Any]) -> Any:
    closed = db.execute(_CLOSE_LIVE_LEASE, params).fetchone()
    if closed is None:
        return None
    item_id, is_gold = closed
    row = db.execute(_INSERT_LABEL, {**params, "item": item_id, "gold": is_gold, "supersedes": None}).fetchone()
    if not is_gold:
        queue.count_label(db, item_id)
    return row


def _lease_project(engine: Engine, labeler_id: int, assignment_id: int) -> int:
    """The project of a lease of this labeler (NotFound for anyone else's): from this process's own
    leases, else one indexed read."""
    owner = _lease_owners.get(assignment_id)
    if owner is None:
        with raw.lend(engine) as db:
            owner = db.execute(_LEASE_OWNER, {"aid": assignment_id}).fetchone()
    if owner is None or owner[1] != labeler_id:
        raise hidden("assignment", assignment_id)
    return int(owner[0])


def _check_answer(rules: ProjectRules, label: _Submitted) -> None:
    problems = validate_answer(rules.taxonomy, label.answer, get_settings().max_answer_chars)
    if problems:
        raise InvalidInput("the answer does not fit the project's taxonomy", problems)


def _receipt(label_id: int, assignment_id: int | None, guideline_version: str, created_at: Any) -> dict[str, Any]:
    return {
        "label_id": int(label_id),
        "assignment_id": assignment_id,
        "guideline_version": guideline_version,
        "created_at": raw.read_time(created_at).isoformat(),
    }


def _first_submit(db: raw.Db, labeler_id: int, key: str, assignment_id: int | None) -> dict[str, Any] | None:
    """The stored result of an earlier submit with this idempotency key, if any."""
    row = db.execute(_FIRST_SUBMIT, {"labeler": labeler_id, "key": key}).fetchone()
    if row is None:
        return None
    if assignment_id is not None and row[1] != assignment_id:
        raise Conflict(f"idempotency key already used for assignment {row[1]}")
    return _receipt(*row)


def _lease_row(db: raw.Db, assignment_id: int) -> LeaseRow | None:
    row = db.execute(_LEASE_ROW, {"aid": assignment_id}).fetchone()
    return None if row is None else LeaseRow(row[0], row[1], row[2], row[3], row[4], bool(row[5]))


def _submit_any(engine: Engine, label: _Submitted) -> dict[str, Any]:
    """Any other submit: a retry (the first receipt again), or a late one on an expired lease."""
    with raw.transaction(engine) as db:
        first = _first_submit(db, label.labeler_id, label.key, label.assignment_id)
        if first is not None:
            return first
        lease = _lease_row(db, label.assignment_id)
        if lease is None or lease.labeler_id != label.labeler_id:
            raise hidden("assignment", label.assignment_id)
        rules = project_rules(engine, lease.project_id)
        _check_answer(rules, label)
        _close_assignment(db, lease)
        created_at = utcnow()
        params = {
            "p": lease.project_id,
            "item": lease.item_id,
            "l": label.labeler_id,
            "aid": label.assignment_id,
            "supersedes": None,
            "gold": lease.is_gold,
            "answer": raw.bind_json(label.answer),
            "ms": label.ms,
            "key": label.key,
            "now": db.time(created_at),
        }
        label_id, guideline_version = db.execute(_INSERT_LABEL, params).fetchone()
        if not lease.is_gold:
            queue.count_label(db, lease.item_id)
    return _receipt(label_id, label.assignment_id, guideline_version, created_at)


def _close_assignment(db: raw.Db, lease: LeaseRow) -> None:
    """Mark the lease submitted; a swept (expired) lease is accepted only if the item still needs a label."""
    now = db.time(utcnow())
    if lease.status == AssignmentStatus.LEASED.value:
        live = db.execute(_CLOSE_LEASE, {"aid": lease.id, "now": now, "status": AssignmentStatus.LEASED.value})
        if live.rowcount == 1:
            return
        current = _lease_row(db, lease.id)
        assert current is not None
        lease = current
    if lease.status != AssignmentStatus.EXPIRED.value:
        raise Conflict(f"assignment {lease.id} is {lease.status}; a correction is a new label, not a resubmit")
    if not lease.is_gold and not queue.take_slot_if_needed(db, lease.item_id):
        raise Gone(f"the lease of assignment {lease.id} expired and the item has all the labels it needs")
    db.execute(_CLOSE_LEASE, {"aid": lease.id, "now": now, "status": AssignmentStatus.EXPIRED.value})


_GIVE_BACK = raw.Statement(
    "UPDATE assignments SET status = :new, finished_at = :now, skip_reason = :reason WHERE id = :aid AND status = :old"
)


def give_back(engine: Engine, principal: Principal, assignment_id: int, reason: str | None, skip: bool) -> None:
    """Skip (with a reason) or release a lease: the slot goes back to the queue for someone else."""
    status = AssignmentStatus.SKIPPED if skip else AssignmentStatus.RELEASED
    with raw.transaction(engine) as db:
        lease = _lease_row(db, assignment_id)
        if lease is None or not TaskPolicy.owns(principal, lease.labeler_id):
            raise hidden("assignment", assignment_id)
        params = {"aid": assignment_id, "new": status.value, "now": db.time(utcnow()), "reason": reason}
        if lease.status == AssignmentStatus.LEASED.value:
            if db.execute(_GIVE_BACK, {**params, "old": lease.status}).rowcount == 1 and not lease.is_gold:
                queue.return_slot(db, lease.item_id)
        elif lease.status == AssignmentStatus.EXPIRED.value:  # its slot came back when it expired
            db.execute(_GIVE_BACK, {**params, "old": lease.status})
        else:
            raise Conflict(f"assignment {assignment_id} is {lease.status}; only a live lease can be given back")


_ORIGINAL = raw.Statement("SELECT project_id, item_id, labeler_id, is_gold FROM labels WHERE id = :id")


def correct_label(
    engine: Engine, principal: Principal, label_id: int, answer: Any, idempotency_key: str
) -> dict[str, Any]:
    """A labeler corrects their own label: a new event that supersedes it (the first stays)."""
    if principal.labeler_id is None or not TaskPolicy.can_take_tasks(principal):
        raise deny("only labelers correct their labels")
    label = _Submitted(principal.labeler_id, 0, answer, idempotency_key, 0)
    with raw.transaction(engine) as db:
        first = _first_submit(db, principal.labeler_id, idempotency_key, None)
        if first is not None:
            return first
        original = db.execute(_ORIGINAL, {"id": label_id}).fetchone()
        if original is None or not TaskPolicy.owns(principal, original[2]):
            raise hidden("label", label_id)
        project_id, item_id, _, is_gold = original
        _check_answer(project_rules(engine, project_id), label)
        created_at = utcnow()
        params = {
            "p": project_id,
            "item": item_id,
            "l": principal.labeler_id,
            "aid": None,
            "supersedes": label_id,
            "gold": is_gold,
            "answer": raw.bind_json(answer),
            "ms": 0,
            "key": idempotency_key,
            "now": db.time(created_at),
        }
        new_id, guideline_version = db.execute(_INSERT_LABEL, params).fetchone()
    return _receipt(new_id, None, guideline_version, created_at)


def expire_now(engine: Engine, project_id: int) -> int:
    """Sweep a project's expired leases immediately (CLI and tests); returns slots freed."""
    with raw.transaction(engine) as db:
        return queue.sweep_expired(db, project_id)
