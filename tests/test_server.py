"""Real server processes with many HTTP clients: the queue's invariants, and a SIGKILL in the middle of a run."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from safetyops.db.engine import make_engine
from safetyops.db.migrate import upgrade
from tests.support.loadtest import (
    ClientStats,
    lost_receipts,
    queue_invariants,
    run_labelers,
    setup_world,
    start_server,
)

pytestmark = pytest.mark.slow

CLEAN = {"over_assigned": 0, "double_labeled": 0, "slot_drift": 0, "orphaned": 0}


@pytest.fixture
def migrated(db_url: str) -> Engine:
    engine = make_engine(db_url, pool_size=2)
    upgrade(engine)
    return engine


@pytest.mark.parametrize(("labelers", "overlap"), [(8, 1), (32, 3), (256, 3)])
def test_no_over_assignment_under_load(
    migrated: Engine, db_url: str, tmp_path: Path, labelers: int, overlap: int
) -> None:
    items = 150
    world = setup_world(migrated, labelers=labelers, overlap=overlap, items=items)
    workers = 1 if db_url.startswith("sqlite") else 2
    server = start_server(db_url, workers=workers, log_path=str(tmp_path / "server.log"))
    try:
        stats = run_labelers(server.base_url, world.tokens, world.project_id, seconds=20, stop_when_empty=True)
    finally:
        server.kill(signal.SIGTERM)
    checks = queue_invariants(migrated, world.project_id)
    assert stats.errors == {}
    assert checks == {**CLEAN, "labels": items * overlap}
    assert lost_receipts(migrated, stats.receipts) == 0
    assert len(stats.receipts) == items * overlap


def test_sigkill_mid_run_loses_no_acknowledged_label(migrated: Engine, db_url: str, tmp_path: Path) -> None:
    items, overlap = 400, 3
    world = setup_world(migrated, labelers=32, overlap=overlap, items=items)
    log = str(tmp_path / "server.log")
    server = start_server(db_url, workers=1, log_path=log)
    before = ClientStats()

    def clients() -> None:
        nonlocal before
        before = run_labelers(server.base_url, world.tokens, world.project_id, seconds=4)

    runner = threading.Thread(target=clients)
    runner.start()
    time.sleep(1.5)
    server.kill(signal.SIGKILL)  # the whole process group, mid-request
    runner.join()
    assert before.receipts, "the clients got no label in before the kill"
    # Every label acknowledged with 201 before the kill is stored exactly once.
    assert lost_receipts(migrated, before.receipts) == 0
    mid = queue_invariants(migrated, world.project_id)
    assert {k: mid[k] for k in CLEAN} == CLEAN
    with migrated.connect() as conn:
        live = conn.execute(text("SELECT count(*) FROM assignments WHERE status = 'leased'")).scalar_one()
    # The leases held at the kill come back after their lease time (moved into the past here).
    with migrated.begin() as conn:
        past = "2000-01-01 00:00:00.000000" if conn.dialect.name == "sqlite" else "2000-01-01T00:00:00Z"
        conn.execute(text("UPDATE assignments SET expires_at = :t WHERE status = 'leased'"), {"t": past})
    server = start_server(db_url, workers=1, log_path=log)
    try:
        after = run_labelers(server.base_url, world.tokens, world.project_id, seconds=30, stop_when_empty=True)
    finally:
        server.kill(signal.SIGTERM)
    assert after.errors == {}
    final = queue_invariants(migrated, world.project_id)
    assert final == {**CLEAN, "labels": items * overlap}
    assert lost_receipts(migrated, before.receipts + after.receipts) == 0
    with migrated.connect() as conn:
        expired = conn.execute(text("SELECT count(*) FROM assignments WHERE status = 'expired'")).scalar_one()
    assert expired == live
