"""Drive a real server process with simulated labelers over HTTP and check the queue's invariants.

Shared by `bench/queue_load.py` and the concurrency tests; not part of the installed package. The HTTP client
is a small asyncio protocol over httptools (installed with uvicorn), so that the load generator costs little of
the CPU it shares with the server.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import orjson
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from safetyops.auth.principal import SYSTEM
from safetyops.auth.service import create_token
from safetyops.db.engine import refresh_statistics
from safetyops.demo import DEMO_TAXONOMY
from safetyops.projects.schemas import DataCredit, ProjectSpec
from safetyops.projects.service import create_project
from safetyops.workforce.service import create_labeler, create_vendor

ANSWERS = ["1", "0", "-1", "-2", "-3"]


def settle(engine: Engine) -> None:
    """Write back what setting up a run wrote (PostgreSQL: CHECKPOINT; SQLite: a WAL checkpoint), so that
    the write-back of a benchmark's own set-up (and of the previous run's dropped schema) does not land in its
    measured seconds: on a 2-core machine with one disk, a checkpoint's sync phase stalls every commit for
    up to seconds."""
    with engine.connect() as conn:
        conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)" if engine.dialect.name == "sqlite" else "CHECKPOINT"))
        conn.commit()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class ServerProcess:
    proc: subprocess.Popen[bytes]
    base_url: str
    log_path: str

    def cpu_seconds(self) -> float:
        """User + system CPU of the server and its worker processes so far (Linux /proc)."""
        total = 0.0
        tick = os.sysconf("SC_CLK_TCK")
        for pid in _process_tree(self.proc.pid):
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += (int(fields[11]) + int(fields[12])) / tick
        return total

    def peak_rss_mb(self) -> float:
        """The largest peak resident set (VmHWM) among the server's processes, in MB."""
        peak = 0
        for pid in _process_tree(self.proc.pid):
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]))
        return round(peak / 1024, 1)

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Signal the whole process group (uvicorn workers included) and wait for it."""
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def _process_tree(root: int) -> list[int]:
    pids = [root]
    try:
        children = Path(f"/proc/{root}/task/{root}/children").read_text().split()
    except OSError:
        return pids
    for child in children:
        pids.extend(_process_tree(int(child)))
    return pids


def start_server(
    db_url: str,
    *,
    workers: int = 1,
    port: int | None = None,
    log_path: str = os.devnull,
    env: dict[str, str] | None = None,
    timeout: float = 60.0,
) -> ServerProcess:
    """Start `safetyops serve` in its own process group and wait until /health answers."""
    port = port or free_port()
    full_env = {**os.environ, "SAFETYOPS_DATABASE_URL": db_url, **(env or {})}
    cmd = [sys.executable, "-m", "safetyops.cli", "serve", "--port", str(port), "--workers", str(workers)]
    log = open(log_path, "ab")  # noqa: SIM115 - handed to the child process
    proc = subprocess.Popen(cmd, env=full_env, stdout=log, stderr=log, start_new_session=True)
    server = ServerProcess(proc, f"http://127.0.0.1:{port}", log_path)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}; see {log_path}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                pass
            if _healthy(server.base_url):
                return server
        except OSError:
            pass
        time.sleep(0.1)
    server.kill()
    raise RuntimeError(f"server did not answer within {timeout} s; see {log_path}")


def _healthy(base_url: str) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(f"{base_url}/api/v1/health", timeout=2) as resp:
            return bool(resp.status == 200)
    except OSError:
        return False


@dataclass
class World:
    project_id: int
    tokens: list[str]
    labeler_ids: list[int]


def setup_world(
    engine: Engine,
    *,
    labelers: int,
    overlap: int,
    items: int,
    lease_minutes: int = 30,
    gold_rate: float = 0.0,
    name: str | None = None,
    data_credit: DataCredit | None = None,
) -> World:
    """A vendor with `labelers` labelers (each with a token) and a project of `items` open items."""
    with Session(engine, expire_on_commit=False) as session, session.begin():
        vendor = create_vendor(session, SYSTEM, f"Load BPO {uuid.uuid4().hex[:6]}")
        labeler_rows = [
            create_labeler(session, SYSTEM, vendor.id, f"lab-{vendor.id}-{i}", languages=["en"], markets=["GB"])
            for i in range(labelers)
        ]
        from safetyops.auth.models import User

        tokens = [create_token(session, session.get_one(User, lab.user_id), "load")[0] for lab in labeler_rows]
        spec = ProjectSpec(
            name=name or f"load-{uuid.uuid4().hex[:8]}",
            taxonomy=DEMO_TAXONOMY,
            overlap=overlap,
            lease_minutes=lease_minutes,
            gold_rate=gold_rate,
            vendors=[vendor.name],
            data_credit=data_credit,
        )
        project = create_project(session, SYSTEM, spec)
    bulk_items(engine, project.id, items, overlap)
    return World(project.id, tokens, [lab.id for lab in labeler_rows])


def bulk_items(
    engine: Engine, project_id: int, count: int, overlap: int, *, gold: bool = False, prefix: str = "item"
) -> None:
    """Generate `count` items inside the database (fast even for millions)."""
    if count <= 0:
        return
    now = datetime.now(UTC)
    params = {"p": project_id, "n": count, "k": 0 if gold else overlap, "g": gold, "pre": prefix + "-"}
    insert = (
        "INSERT INTO items (project_id, external_id, content_text, language, market, priority, is_gold, "
        "open_slots, label_count, created_at) "
        "SELECT :p, :pre || n, 'synthetic text ' || n, 'en', 'GB', 0, :g, :k, 0, :now "
    )
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text(insert + "FROM generate_series(1, :n) AS n"), {**params, "now": now})
        else:
            conn.execute(
                text(
                    "WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < :n) "
                    + insert
                    + "FROM seq"
                ),
                {**params, "now": now.strftime("%Y-%m-%d %H:%M:%S.%f")},
            )
    refresh_statistics(engine, "items")


@dataclass
class ClientStats:
    """What the simulated labelers saw. Latencies of calls started before `measure_from` (time.monotonic)
    are warm-up (new connections, cold caches) and kept apart from the steady-state ones."""

    measure_from: float = 0.0
    next_ms: list[float] = field(default_factory=list)
    next_started: list[float] = field(default_factory=list)  # when each measured next started, as next_ms
    submit_ms: list[float] = field(default_factory=list)
    warmup_next_ms: list[float] = field(default_factory=list)
    warmup_submit_ms: list[float] = field(default_factory=list)
    receipts: list[int] = field(default_factory=list)
    empty: int = 0
    errors: dict[str, int] = field(default_factory=dict)

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1

    def latency(self, call: str, started: float) -> None:
        """Record a call to `call` ('next' or 'submit') that started at `started` (time.monotonic)."""
        ms = (time.monotonic() - started) * 1000
        measured = started >= self.measure_from
        if call == "next":
            (self.next_ms if measured else self.warmup_next_ms).append(ms)
            if measured:
                self.next_started.append(started)
        else:
            (self.submit_ms if measured else self.warmup_submit_ms).append(ms)

    @property
    def calls(self) -> int:
        """Every next and submit that got an answer, warm-up included."""
        return len(self.next_ms) + len(self.submit_ms) + len(self.warmup_next_ms) + len(self.warmup_submit_ms)


class _Conn(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection of a simulated labeler: write a request, await (status, body).

    A load generator on the server's own two cores must cost little CPU per call, or it measures itself:
    requests are pre-built bytes and responses are parsed by httptools (C, the parser uvicorn uses).
    """

    def __init__(self) -> None:
        import httptools

        self.parser = httptools.HttpResponseParser(self)
        self.transport: asyncio.Transport | None = None
        self.waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self.body: list[bytes] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except Exception as exc:  # a response that is not HTTP/1.1
            self._fail(exc)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        self._fail(exc or ConnectionResetError("the server closed the connection"))

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        waiter, self.waiter = self.waiter, None
        body, self.body = b"".join(self.body), []
        if waiter is not None and not waiter.done():
            waiter.set_result((self.parser.get_status_code(), body))

    def _fail(self, exc: BaseException) -> None:
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(exc)
        if self.transport is not None:
            self.transport.close()
            self.transport = None

    async def call(self, request: bytes) -> tuple[int, bytes]:
        assert self.transport is not None and self.waiter is None
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        return await self.waiter


class _Labeler:
    """A simulated labeler: its own connection and pre-built requests; reconnects after a failure."""

    def __init__(self, base: str, token: str, project_id: int) -> None:
        host_port = base.removeprefix("http://")
        self.host, _, port = host_port.partition(":")
        self.port = int(port or 80)
        self.head = f"Host: {host_port}\r\nAuthorization: Bearer {token}\r\n".encode()
        self.next_request = (
            f"POST /api/v1/projects/{project_id}/next HTTP/1.1\r\n".encode() + self.head + b"Content-Length: 0\r\n\r\n"
        )
        self.conn: _Conn | None = None

    async def call(self, request: bytes) -> tuple[int, bytes]:
        if self.conn is None or self.conn.transport is None:
            _, self.conn = await asyncio.get_running_loop().create_connection(_Conn, self.host, self.port)
        return await self.conn.call(request)

    def submit_request(self, assignment_id: int, payload: dict[str, Any]) -> bytes:
        body = orjson.dumps(payload)
        return (
            f"POST /api/v1/assignments/{assignment_id}/submit HTTP/1.1\r\n".encode()
            + self.head
            + b"Content-Type: application/json\r\nContent-Length: "
            + str(len(body)).encode()
            + b"\r\n\r\n"
            + body
        )

    def close(self) -> None:
        if self.conn is not None and self.conn.transport is not None:
            self.conn.transport.close()


@dataclass(frozen=True)
class _Plan:
    until: float  # time.monotonic() at which labelers stop starting new calls
    stop_when_empty: bool  # stop a labeler at its first 204
    interval: float | None  # paced runs: seconds between one labeler's label starts


async def _labeler(base: str, token: str, project_id: int, plan: _Plan, stats: ClientStats) -> None:
    labeler = _Labeler(base, token, project_id)
    try:
        await _label_until(labeler, plan, stats)
    finally:
        labeler.close()


async def _label_until(labeler: _Labeler, plan: _Plan, stats: ClientStats) -> None:
    due = time.monotonic() + random.uniform(0, plan.interval or 0)
    while time.monotonic() < plan.until:
        if plan.interval is not None:
            # Paced: each label starts on schedule, and its `next` latency counts from the scheduled
            # start, so a server that falls behind is charged for the wait (no coordinated omission).
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            t0, due = due, due + plan.interval
        else:
            t0 = time.monotonic()
        try:
            status, body = await labeler.call(labeler.next_request)
        except Exception as exc:  # connection refused while the server is down, etc.
            stats.error(type(exc).__name__)
            await asyncio.sleep(0.05)
            continue
        stats.latency("next", t0)
        if status == 204:
            stats.empty += 1
            if plan.stop_when_empty:
                return
            await asyncio.sleep(0.02)
            continue
        if status != 200:
            stats.error(f"next {status}")
            continue
        await _submit(labeler, orjson.loads(body)["assignment_id"], stats)


async def _submit(labeler: _Labeler, assignment_id: int, stats: ClientStats) -> None:
    payload = {
        "answer": {"abuse": random.choice(ANSWERS)},
        "idempotency_key": uuid.uuid4().hex,
        "time_spent_ms": random.randint(2000, 30000),
    }
    request = labeler.submit_request(assignment_id, payload)
    t1 = time.monotonic()
    try:
        status, body = await labeler.call(request)
    except Exception as exc:
        stats.error(type(exc).__name__)
        return
    stats.latency("submit", t1)
    if status == 201:
        stats.receipts.append(int(orjson.loads(body)["label_id"]))
    else:
        stats.error(f"submit {status}")


async def _run(
    base: str, tokens: list[str], project_id: int, seconds: float, warmup: float, plan: _Plan
) -> ClientStats:
    started = time.monotonic()
    stats = ClientStats(measure_from=started + warmup)
    plan = _Plan(started + warmup + seconds, plan.stop_when_empty, plan.interval)
    await asyncio.gather(*(_labeler(base, tok, project_id, plan, stats) for tok in tokens))
    return stats


def run_labelers(
    base_url: str,
    tokens: list[str],
    project_id: int,
    seconds: float,
    stop_when_empty: bool = False,
    warmup: float = 0.0,
    rate: float | None = None,
) -> ClientStats:
    """Each token is one simulated labeler doing next → submit in a loop for `warmup` + `seconds`, over its
    own keep-alive connection (as a labeler's browser or client keeps one).

    Without `rate` the labelers go as fast as the server answers (the most load C labelers can make).
    With `rate`, together they start `rate` labels a second, evenly spread, and `next` latencies count
    from each label's scheduled start."""
    interval = len(tokens) / rate if rate else None
    plan = _Plan(0.0, stop_when_empty, interval)
    return asyncio.run(_run(base_url, tokens, project_id, seconds, warmup, plan))


# Leases and labels whose references do not hold: an item of another project or none, a labeler who does
# not exist, or (labels) a lease that is not this label's (item, labeler). The tables carry no foreign keys
# for these (migration 0006); the queue's statements keep them, and the load tests check it here.
_ORPHANS = (
    "SELECT count(*) FROM assignments a WHERE a.project_id = :p AND ("
    "NOT EXISTS (SELECT 1 FROM items i WHERE i.id = a.item_id AND i.project_id = a.project_id) "
    "OR NOT EXISTS (SELECT 1 FROM labelers w WHERE w.id = a.labeler_id))",
    "SELECT count(*) FROM labels l WHERE l.project_id = :p AND ("
    "NOT EXISTS (SELECT 1 FROM items i WHERE i.id = l.item_id AND i.project_id = l.project_id) "
    "OR NOT EXISTS (SELECT 1 FROM labelers w WHERE w.id = l.labeler_id) "
    "OR (l.assignment_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.id = l.assignment_id "
    "AND a.item_id = l.item_id AND a.labeler_id = l.labeler_id AND a.project_id = l.project_id)))",
)


def queue_invariants(engine: Engine, project_id: int) -> dict[str, int]:
    """Counted from the database: over-assignment, double labels, slot bookkeeping drift, and leases or
    labels whose references do not hold (`orphaned`)."""
    with engine.connect() as conn:
        orphaned = sum(conn.execute(text(sql), {"p": project_id}).scalar_one() for sql in _ORPHANS)
        over = conn.execute(
            text(
                "SELECT count(*) FROM items i WHERE i.project_id = :p AND NOT i.is_gold AND "
                "(SELECT count(*) FROM labels l WHERE l.item_id = i.id AND l.supersedes_id IS NULL) > "
                "(SELECT overlap FROM projects WHERE id = :p)"
            ),
            {"p": project_id},
        ).scalar_one()
        double = conn.execute(
            text(
                "SELECT count(*) FROM (SELECT item_id, labeler_id FROM labels WHERE project_id = :p "
                "AND supersedes_id IS NULL GROUP BY item_id, labeler_id HAVING count(*) > 1) d"
            ),
            {"p": project_id},
        ).scalar_one()
        drift = conn.execute(
            text(
                "SELECT count(*) FROM items i WHERE i.project_id = :p AND NOT i.is_gold AND "
                "i.open_slots + (SELECT count(*) FROM assignments a WHERE a.item_id = i.id "
                "AND a.status IN ('leased', 'submitted')) != (SELECT overlap FROM projects WHERE id = :p)"
            ),
            {"p": project_id},
        ).scalar_one()
        labels = conn.execute(text("SELECT count(*) FROM labels WHERE project_id = :p"), {"p": project_id}).scalar_one()
    return {
        "over_assigned": int(over),
        "double_labeled": int(double),
        "slot_drift": int(drift),
        "orphaned": int(orphaned),
        "labels": int(labels),
    }


def lost_receipts(engine: Engine, receipts: list[int]) -> int:
    """How many acknowledged (201) label ids are not in the database."""
    if not receipts:
        return 0
    with engine.connect() as conn:
        found = 0
        for start in range(0, len(receipts), 5000):
            chunk = receipts[start : start + 5000]
            found += conn.execute(
                text("SELECT count(*) FROM labels WHERE id IN (SELECT value FROM json_each(:ids))")
                if conn.dialect.name == "sqlite"
                else text("SELECT count(*) FROM labels WHERE id = ANY(:ids)"),
                {"ids": str(chunk) if conn.dialect.name == "sqlite" else chunk},
            ).scalar_one()
    return len(set(receipts)) - int(found)


def percentile(values: list[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)), 2) if values else None


def worst_second(started: list[float], latencies_ms: list[float], q: float = 99) -> float | None:
    """The highest per-second percentile `q` of latencies grouped by the second their call started in:
    a stall of the whole server shows here even when it is too short to move the run's percentile."""
    if not started:
        return None
    seconds = (np.asarray(started) - min(started)).astype(int)
    values = np.asarray(latencies_ms)
    return round(max(float(np.percentile(values[seconds == s], q)) for s in np.unique(seconds)), 2)
