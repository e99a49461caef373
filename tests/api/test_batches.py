"""Batch upload, gold upload and streaming export over the REST API, on both databases."""

from __future__ import annotations

import io
import uuid

import orjson
import pyarrow.parquet as pq
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from safetyops.auth.enums import Role
from tests.api.test_api import API, bearer, client, staff_token  # noqa: F401 - fixture
from tests.world import make_world


def jsonl(rows: list[dict[str, object]]) -> bytes:
    return b"\n".join(orjson.dumps(r) for r in rows) + b"\n"


def test_upload_then_export(client: TestClient, engine: Engine) -> None:  # noqa: F811
    world = make_world(engine, labelers=1, items=0)
    ops = bearer(staff_token(engine))
    rows = [{"external_id": f"x{i}", "text": f"<b>post {i}</b>", "language": "en"} for i in range(5)]
    files = {"file": ("batch.jsonl", jsonl(rows), "application/x-ndjson")}
    first = client.post(f"{API}/projects/{world.project_id}/batches", headers=ops, files=files)
    assert first.status_code == 201, first.text
    assert (first.json()["rows_read"], first.json()["rows_added"]) == (5, 5)
    again = client.post(f"{API}/projects/{world.project_id}/batches", headers=ops, files=files)
    assert (again.json()["rows_added"], again.json()["rows_existing"]) == (0, 5)
    gold = {"file": ("gold.csv", b'external_id,answer\nx0,"{""abuse"": ""-2""}"\n', "text/csv")}
    assert client.post(f"{API}/projects/{world.project_id}/gold", headers=ops, files=gold).status_code == 201
    task = client.post(f"{API}/projects/{world.project_id}/next", headers=bearer(world.tokens[0])).json()
    client.post(
        f"{API}/assignments/{task['assignment_id']}/submit",
        headers=bearer(world.tokens[0]),
        json={"answer": {"abuse": "1"}, "idempotency_key": uuid.uuid4().hex, "time_spent_ms": 9},
    )
    exported = client.get(f"{API}/projects/{world.project_id}/export?format=jsonl", headers=ops)
    assert exported.status_code == 200
    lines = [orjson.loads(line) for line in exported.content.splitlines()]
    assert [r["external_id"] for r in lines] == [f"x{i}" for i in range(5)]
    assert sum(len(r["labels"]) for r in lines) == 1
    parquet = client.get(f"{API}/projects/{world.project_id}/export?format=parquet", headers=ops)
    assert pq.read_table(io.BytesIO(parquet.content)).num_rows == 5


def test_bad_upload_names_line_and_field_and_stores_nothing(client: TestClient, engine: Engine) -> None:  # noqa: F811
    world = make_world(engine, labelers=1, items=0)
    ops = bearer(staff_token(engine))
    body = jsonl([{"external_id": "ok", "text": "fine"}]) + b'{"external_id": 5, "text": "x"}\n{broken\n'
    resp = client.post(f"{API}/projects/{world.project_id}/batches", headers=ops, files={"file": ("b.jsonl", body)})
    assert resp.status_code == 422
    problems = resp.json()["problems"]
    assert {(p.get("line"), p.get("field")) for p in problems} >= {(2, "external_id")}
    assert any(p.get("line") == 3 for p in problems)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM items")).scalar() == 0
        assert conn.execute(text("SELECT count(*) FROM batches")).scalar() == 0


def test_labelers_cannot_upload_or_export(client: TestClient, engine: Engine) -> None:  # noqa: F811
    world = make_world(engine, labelers=1, items=1)
    h = bearer(world.tokens[0])
    files = {"file": ("b.jsonl", jsonl([{"external_id": "a", "text": "t"}]))}
    assert client.post(f"{API}/projects/{world.project_id}/batches", headers=h, files=files).status_code == 403
    assert client.get(f"{API}/projects/{world.project_id}/export", headers=h).status_code == 403
    requester = bearer(staff_token(engine, Role.REQUESTER))
    assert client.get(f"{API}/projects/{world.project_id}/export", headers=requester).status_code == 404
