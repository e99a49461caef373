"""The queue's rules, on SQLite and PostgreSQL: overlap, no repeats, order, leases, eligibility, gold, idempotency."""

from __future__ import annotations

import threading
import uuid

import pytest
from sqlalchemy import Engine, select, text

from safetyops.db.engine import is_sqlite
from safetyops.errors import Conflict, Forbidden, Gone, InvalidInput, NotFound
from safetyops.projects.models import Project
from safetyops.work import queue, service
from safetyops.work.models import Label
from tests.support.loadtest import queue_invariants
from tests.world import QueueWorld, add_gold, make_world

ANSWER = {"abuse": "-1"}


def label(world: QueueWorld, who: int, answer: dict[str, object] | None = None) -> dict[str, object] | None:
    task = service.next_task(world.engine, world.principals[who], world.project_id)
    if task is None:
        return None
    service.submit(world.engine, world.principals[who], task["assignment_id"], answer or ANSWER, uuid.uuid4().hex, 5)
    return task


def test_an_item_goes_to_exactly_overlap_different_labelers(engine: Engine) -> None:
    world = make_world(engine, labelers=4, overlap=3, items=2)
    first_item = world.item_ids()[0]
    served = [service.next_task(engine, world.principals[i], world.project_id) for i in range(4)]
    assert all(s is not None for s in served)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT item_id, labeler_id FROM assignments ORDER BY id")).all()
    assert [r.item_id for r in rows] == [first_item] * 3 + [world.item_ids()[1]]
    assert len({r.labeler_id for r in rows[:3]}) == 3


def test_a_labeler_never_gets_an_item_twice(engine: Engine) -> None:
    world = make_world(engine, labelers=1, overlap=3, items=3)
    seen = []
    while (task := label(world, 0)) is not None:
        seen.append(task["assignment_id"])
    assert len(seen) == 3
    with engine.connect() as conn:
        items = conn.execute(text("SELECT item_id FROM labels")).scalars().all()
    assert sorted(items) == world.item_ids()


def test_priority_first_then_oldest(engine: Engine) -> None:
    world = make_world(engine, labelers=1, items=4)
    ids = world.item_ids()
    world.set_items([ids[2]], priority=5)
    world.set_items([ids[3]], priority=5)
    order = []
    for _ in range(4):
        task = service.next_task(engine, world.principals[0], world.project_id)
        assert task is not None
        order.append(task["assignment_id"])
    with engine.connect() as conn:
        got = conn.execute(text("SELECT item_id FROM assignments ORDER BY id")).scalars().all()
    assert got == [ids[2], ids[3], ids[0], ids[1]]


def test_no_work_returns_none(engine: Engine) -> None:
    world = make_world(engine, labelers=2, overlap=1, items=1)
    assert label(world, 0) is not None
    assert service.next_task(engine, world.principals[1], world.project_id) is None


def test_expired_lease_returns_to_the_queue(engine: Engine) -> None:
    world = make_world(engine, labelers=2, overlap=1, items=1)
    task = service.next_task(engine, world.principals[0], world.project_id)
    assert task is not None
    assert service.next_task(engine, world.principals[1], world.project_id) is None
    world.expire_all_leases()
    assert service.expire_now(engine, world.project_id) == 1
    other = service.next_task(engine, world.principals[1], world.project_id)
    assert other is not None
    service.submit(engine, world.principals[1], other["assignment_id"], ANSWER, "k-other", 1)
    # The first labeler's late submit is refused: the item has all the labels it needs.
    with pytest.raises(Gone):
        service.submit(engine, world.principals[0], task["assignment_id"], ANSWER, "k-late", 1)
    assert queue_invariants(engine, world.project_id) == {
        "over_assigned": 0,
        "double_labeled": 0,
        "slot_drift": 0,
        "orphaned": 0,
        "labels": 1,
    }


def test_late_submit_accepted_while_the_item_still_needs_it(engine: Engine) -> None:
    world = make_world(engine, labelers=1, overlap=1, items=1)
    task = service.next_task(engine, world.principals[0], world.project_id)
    assert task is not None
    world.expire_all_leases()
    service.expire_now(engine, world.project_id)
    receipt = service.submit(engine, world.principals[0], task["assignment_id"], ANSWER, "k1", 1)
    assert receipt["assignment_id"] == task["assignment_id"]
    assert queue_invariants(engine, world.project_id)["slot_drift"] == 0


def test_skip_and_release_give_the_slot_back(engine: Engine) -> None:
    world = make_world(engine, labelers=2, overlap=1, items=1)
    task = service.next_task(engine, world.principals[0], world.project_id)
    assert task is not None
    service.give_back(engine, world.principals[0], task["assignment_id"], "not my language", skip=True)
    assert service.next_task(engine, world.principals[0], world.project_id) is None  # never the same item again
    again = service.next_task(engine, world.principals[1], world.project_id)
    assert again is not None
    service.give_back(engine, world.principals[1], again["assignment_id"], None, skip=False)
    with pytest.raises(Conflict):
        service.give_back(engine, world.principals[1], again["assignment_id"], None, skip=False)
    with engine.connect() as conn:
        reason = conn.execute(text("SELECT skip_reason FROM assignments WHERE status = 'skipped'")).scalar()
    assert reason == "not my language"
    assert queue_invariants(engine, world.project_id)["slot_drift"] == 0


def test_submit_is_idempotent(engine: Engine) -> None:
    world = make_world(engine, labelers=1, items=2)
    p = world.principals[0]
    task = service.next_task(engine, p, world.project_id)
    assert task is not None
    first = service.submit(engine, p, task["assignment_id"], ANSWER, "same-key", 10)
    again = service.submit(engine, p, task["assignment_id"], {"abuse": "1"}, "same-key", 99)
    assert again == first
    other = service.next_task(engine, p, world.project_id)
    assert other is not None
    with pytest.raises(Conflict, match="idempotency key"):
        service.submit(engine, p, other["assignment_id"], ANSWER, "same-key", 1)
    with pytest.raises(Conflict, match="submitted"):
        service.submit(engine, p, task["assignment_id"], ANSWER, "new-key", 1)
    with engine.connect() as conn:
        stored = conn.execute(select(Label.answer)).scalars().all()
    assert stored == [ANSWER]


def test_answer_outside_the_taxonomy_is_refused_and_nothing_stored(engine: Engine) -> None:
    world = make_world(engine, labelers=1, items=1)
    task = service.next_task(engine, world.principals[0], world.project_id)
    assert task is not None
    with pytest.raises(InvalidInput) as err:
        service.submit(engine, world.principals[0], task["assignment_id"], {"abuse": "7", "x": 1}, "k", 1)
    fields = {p.field for p in err.value.problems}
    assert fields == {"answer.abuse", "answer.x"}
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM labels")).scalar() == 0
        assert conn.execute(text("SELECT status FROM assignments")).scalar() == "leased"


def test_assignment_of_someone_else_is_not_found(engine: Engine) -> None:
    world = make_world(engine, labelers=2, items=1)
    task = service.next_task(engine, world.principals[0], world.project_id)
    assert task is not None
    with pytest.raises(NotFound):
        service.submit(engine, world.principals[1], task["assignment_id"], ANSWER, "k", 1)


def test_correction_is_a_new_event(engine: Engine) -> None:
    world = make_world(engine, labelers=1, items=1)
    p = world.principals[0]
    task = service.next_task(engine, p, world.project_id)
    assert task is not None
    receipt = service.submit(engine, p, task["assignment_id"], ANSWER, "k1", 1)
    fixed = service.correct_label(engine, p, receipt["label_id"], {"abuse": "-3"}, "k2")
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, supersedes_id, answer FROM labels ORDER BY id")).all()
    assert [r.supersedes_id for r in rows] == [None, receipt["label_id"]]
    assert rows[1].id == fixed["label_id"]
    checks = queue_invariants(engine, world.project_id)
    assert checks["double_labeled"] == 0 and checks["orphaned"] == 0


def test_the_orphan_check_sees_a_label_whose_references_do_not_hold(engine: Engine) -> None:
    """Leases and labels carry no foreign keys (migration 0006): the load tests rely on this count instead,
    so it must see a label that names another labeler than its lease, or a lease of a missing item."""
    world = make_world(engine, labelers=2, items=1)
    task = label(world, 0)
    assert task is not None and queue_invariants(engine, world.project_id)["orphaned"] == 0
    with engine.begin() as conn:
        conn.execute(text("UPDATE labels SET labeler_id = :other"), {"other": world.principals[1].labeler_id})
        conn.execute(text("UPDATE assignments SET item_id = item_id + 1000"))
    assert queue_invariants(engine, world.project_id)["orphaned"] == 2


def test_language_market_and_vendor_eligibility(engine: Engine) -> None:
    world = make_world(engine, labelers=1, items=2)
    ids = world.item_ids()
    world.set_items([ids[0]], language="bn")  # labelers speak en
    task = service.next_task(engine, world.principals[0], world.project_id)
    assert task is not None and task["item"]["language"] == "en"
    assert service.next_task(engine, world.principals[0], world.project_id) is None
    outsider = make_world(engine, labelers=1, items=1)
    with pytest.raises(NotFound):
        service.next_task(engine, outsider.principals[0], world.project_id)


def test_paused_project_and_non_production_labeler(engine: Engine) -> None:
    world = make_world(engine, labelers=1, items=1)
    with engine.begin() as conn:
        conn.execute(Project.__table__.update().values(status="paused"))
    service.clear_caches()
    with pytest.raises(Conflict, match="paused"):
        service.next_task(engine, world.principals[0], world.project_id)
    with engine.begin() as conn:
        conn.execute(Project.__table__.update().values(status="active"))
    service.clear_caches()
    from dataclasses import replace

    trainee = replace(world.principals[0], labeler_status="training")
    with pytest.raises(Forbidden, match="training"):
        service.next_task(engine, trainee, world.project_id)


def test_gold_items_are_mixed_in_and_look_like_work(engine: Engine) -> None:
    world = make_world(engine, labelers=2, overlap=1, items=3, gold_rate=1.0)
    add_gold(world, 2)
    tasks = [service.next_task(engine, world.principals[0], world.project_id) for _ in range(5)]
    assert all(t is not None for t in tasks)
    with engine.connect() as conn:
        gold_flags = conn.execute(text("SELECT is_gold FROM assignments ORDER BY id")).scalars().all()
    assert [bool(g) for g in gold_flags] == [
        True,
        True,
        False,
        False,
        False,
    ]  # gold first at rate 1.0, then work
    regular_keys = {k for t in tasks for k in t}  # type: ignore[union-attr]
    assert regular_keys == {"assignment_id", "item", "guideline_version", "lease_expires_at"}
    assert {frozenset(t["item"]) for t in tasks} == {  # type: ignore[index]
        frozenset({"text", "media_url", "media_type", "language", "market", "context"})
    }
    # Gold labels use no overlap slot: the second labeler still gets every gold item and no regular item.
    for t in tasks[:2]:
        service.submit(engine, world.principals[0], t["assignment_id"], ANSWER, uuid.uuid4().hex, 1)  # type: ignore[index]
    assert queue_invariants(engine, world.project_id)["slot_drift"] == 0


@pytest.mark.parametrize("pauses", [(), (0.05,) * 40])
def test_work_locked_for_a_moment_is_still_served(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, pauses: tuple[float, ...]
) -> None:
    """PostgreSQL picks with SKIP LOCKED. While a submit holds the last open item's row (counting its label),
    a pick skips it; `next` must look again once the row is free, not answer "no work". Without pauses
    (the first case) it does answer no work: the test sees the difference."""
    if is_sqlite(engine):
        pytest.skip("PostgreSQL only: SQLite serializes writers, nothing is skipped")
    monkeypatch.setattr(queue, "RETRY_PAUSES", pauses)
    world = make_world(engine, labelers=1, items=1)
    with engine.connect() as holder:
        holder.execute(text("UPDATE items SET label_count = label_count WHERE id = :id"), {"id": world.item_ids()[0]})
        release = threading.Timer(0.1, holder.commit)
        release.start()
        task = service.next_task(engine, world.principals[0], world.project_id)
        release.join()
    if pauses:
        assert task is not None and task["item"]["text"]
    else:
        assert task is None


@pytest.mark.parametrize("overlap", [1, 3])
def test_many_threads_never_over_assign(engine: Engine, overlap: int) -> None:
    world = make_world(engine, labelers=12, overlap=overlap, items=30)
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            while label(world, i) is not None:
                pass
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    checks = queue_invariants(engine, world.project_id)
    assert checks == {"over_assigned": 0, "double_labeled": 0, "slot_drift": 0, "orphaned": 0, "labels": 30 * overlap}
