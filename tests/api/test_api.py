"""The REST API: JSON errors, authentication, access policies and vendor isolation, on both databases."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from safetyops.api import create_app
from safetyops.auth.enums import Role
from safetyops.auth.principal import SYSTEM
from safetyops.auth.service import create_token, create_user
from safetyops.demo import DEMO_TAXONOMY
from safetyops.work import service as work_service
from tests.world import QueueWorld, make_world

API = "/api/v1"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(engine)) as c:
        yield c


@pytest.fixture(params=[True, False], ids=["fast-path", "routes"])
def labeler_client(engine: Engine, request: pytest.FixtureRequest) -> Iterator[TestClient]:
    """The labeler's next/submit are served by work.fastpath in the running server and by the FastAPI
    routes without it: every test that takes this fixture checks that both answer the same."""
    with TestClient(create_app(engine, fast_path=request.param)) as c:
        yield c


def staff_token(engine: Engine, role: Role = Role.OPS_MANAGER, vendor_id: int | None = None) -> str:
    with Session(engine) as session, session.begin():
        user = create_user(
            session, SYSTEM, f"u-{uuid.uuid4().hex[:8]}", role, password="long-enough-pw", vendor_id=vendor_id
        )
        return create_token(session, user, "test")[0]


def vendor_of(world: QueueWorld) -> int:
    vendor = world.principals[0].vendor_id
    assert vendor is not None
    return vendor


def test_no_token_is_a_json_401(labeler_client: TestClient) -> None:
    client = labeler_client
    for path in ("projects/1/next", "assignments/1/submit"):
        resp = client.post(f"{API}/{path}")
        assert resp.status_code == 401 and resp.headers["www-authenticate"] == "Bearer"
        assert resp.json()["error"] == "Unauthorized"
        assert "Bearer" in resp.json()["message"]
    assert client.post(f"{API}/projects/1/next", headers=bearer("so_wrong")).status_code == 401
    assert client.get(f"{API}/me", headers=bearer("so_wrong")).status_code == 401


def test_login_and_token_revocation(client: TestClient, engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        create_user(session, SYSTEM, "maria", Role.OPS_MANAGER, password="correct horse")
    assert client.post(f"{API}/auth/login", json={"username": "maria", "password": "nope-nope"}).status_code == 401
    token = client.post(f"{API}/auth/login", json={"username": "maria", "password": "correct horse"}).json()["token"]
    me = client.get(f"{API}/me", headers=bearer(token)).json()
    assert me["username"] == "maria" and me["role"] == "ops_manager"
    with engine.connect() as conn:
        stored = conn.execute(
            text("SELECT token_hash, password_hash FROM api_tokens JOIN users u ON u.id = user_id")
        ).first()
    assert stored is not None and token not in stored.token_hash and stored.password_hash.startswith("$argon2")


def test_labeler_flow_over_http(labeler_client: TestClient, engine: Engine) -> None:
    client = labeler_client
    world = make_world(engine, labelers=1, items=1)
    h = bearer(world.tokens[0])
    task = client.post(f"{API}/projects/{world.project_id}/next", headers=h)
    assert task.status_code == 200
    body = {"answer": {"abuse": "0"}, "idempotency_key": "abc", "time_spent_ms": 1200}
    first = client.post(f"{API}/assignments/{task.json()['assignment_id']}/submit", headers=h, json=body)
    assert first.status_code == 201
    retry = client.post(f"{API}/assignments/{task.json()['assignment_id']}/submit", headers=h, json=body)
    assert retry.status_code == 201 and retry.json() == first.json()
    assert client.post(f"{API}/projects/{world.project_id}/next", headers=h).status_code == 204
    assert client.get(f"{API}/projects/{world.project_id}/next", headers=h).status_code == 405
    assert client.post(f"{API}/projects/x/next", headers=h).status_code == 422


def test_bad_submit_bodies_name_the_field(labeler_client: TestClient, engine: Engine) -> None:
    client = labeler_client
    world = make_world(engine, labelers=1, items=1)
    h = bearer(world.tokens[0])
    aid = client.post(f"{API}/projects/{world.project_id}/next", headers=h).json()["assignment_id"]
    missing = client.post(f"{API}/assignments/{aid}/submit", headers=h, json={"answer": {"abuse": "0"}})
    assert missing.status_code == 422
    assert {p["field"] for p in missing.json()["problems"]} == {"idempotency_key", "time_spent_ms"}
    outside = client.post(
        f"{API}/assignments/{aid}/submit",
        headers=h,
        json={"answer": {"abuse": "9"}, "idempotency_key": "k", "time_spent_ms": 1},
    )
    assert outside.status_code == 422 and outside.json()["problems"][0]["field"] == "answer.abuse"
    too_long = client.post(
        f"{API}/assignments/{aid}/submit",
        headers=h,
        json={"answer": {"abuse": "0", "rationale": "x" * 5000}, "idempotency_key": "k", "time_spent_ms": 1},
    )
    assert too_long.status_code == 422 and "limit" in too_long.json()["problems"][0]["message"]
    not_json = client.post(f"{API}/assignments/{aid}/submit", headers=h, content=b'{"answer": {')
    assert not_json.status_code == 422 and "JSON" in not_json.json()["problems"][0]["message"]
    extra = {"answer": {"abuse": "0"}, "idempotency_key": "k", "time_spent_ms": 1, "labeler_id": 7}
    unknown = client.post(f"{API}/assignments/{aid}/submit", headers=h, json=extra)
    assert unknown.status_code == 422 and unknown.json()["problems"][0]["field"] == "labeler_id"
    huge = client.post(f"{API}/assignments/{aid}/submit", headers=h, content=b" " * 2_000_000)
    assert huge.status_code == 413 and huge.json()["error"] == "TooLarge"
    with engine.connect() as conn:  # nothing of the refused submits was stored
        assert conn.execute(text("SELECT count(*) FROM labels")).scalar_one() == 0
    assert (
        client.post(
            f"{API}/assignments/999999/submit",
            headers=h,
            json={"answer": {"abuse": "0"}, "idempotency_key": "z", "time_spent_ms": 1},
        ).status_code
        == 404
    )


def test_an_unexpected_failure_is_a_json_500_that_logs_no_content(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A bug or an outage in the middle of a submit: the labeler gets the API's JSON error (on the fast
    path and on the routes alike), and the log tells the failure without the item answer."""
    world = make_world(engine, labelers=1, items=2)
    h = bearer(world.tokens[0])

    def fail(*_: object) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(work_service, "submit", fail)
    secret = {"abuse": "0", "rationale": "SECRET-ANSWER-TEXT"}
    for fast_path in (True, False):
        with TestClient(create_app(engine, fast_path=fast_path), raise_server_exceptions=False) as client:
            aid = client.post(f"{API}/projects/{world.project_id}/next", headers=h).json()["assignment_id"]
            body = {"answer": secret, "idempotency_key": uuid.uuid4().hex, "time_spent_ms": 1}
            resp = client.post(f"{API}/assignments/{aid}/submit", headers=h, json=body)
        assert resp.status_code == 500, fast_path
        assert resp.json()["error"] == "InternalServerError"
        assert "went away" not in resp.text  # internals stay in the log
    assert "the database went away" in caplog.text
    assert "SECRET-ANSWER-TEXT" not in caplog.text


def test_roles_are_enforced(client: TestClient, engine: Engine) -> None:
    world = make_world(engine, labelers=1, items=1)
    spec = {"name": "new one", "taxonomy": DEMO_TAXONOMY}
    denied = client.post(f"{API}/projects", headers=bearer(world.tokens[0]), json=spec)
    assert denied.status_code == 403 and "ops_manager" in denied.json()["message"]
    ops = staff_token(engine)
    created = client.post(f"{API}/projects", headers=bearer(ops), json=spec)
    assert created.status_code == 201
    dup = client.post(f"{API}/projects", headers=bearer(ops), json=spec)
    assert dup.status_code == 409
    bad = client.post(f"{API}/projects", headers=bearer(ops), json={"name": "x", "taxonomy": {"questions": []}})
    assert bad.status_code == 422 and bad.json()["problems"][0]["field"].startswith("taxonomy")
    audit = client.get(f"{API}/audit", headers=bearer(staff_token(engine, Role.ADMIN))).json()
    assert any(a["action"] == "project.create" and a["detail"]["name"] == "new one" for a in audit)
    assert client.get(f"{API}/audit", headers=bearer(ops)).status_code == 403


def test_vendor_isolation(client: TestClient, engine: Engine) -> None:
    a = make_world(engine, labelers=2, items=2)
    b = make_world(engine, labelers=2, items=2)
    with engine.begin() as conn:  # vendor B's labelers also work on A's project
        conn.execute(
            text("INSERT INTO project_vendors (project_id, vendor_id) VALUES (:p, :v)"),
            {"p": a.project_id, "v": vendor_of(b)},
        )
    for world in (a, b):
        task = client.post(f"{API}/projects/{a.project_id}/next", headers=bearer(world.tokens[0])).json()
        client.post(
            f"{API}/assignments/{task['assignment_id']}/submit",
            headers=bearer(world.tokens[0]),
            json={"answer": {"abuse": "1"}, "idempotency_key": uuid.uuid4().hex, "time_spent_ms": 1},
        )
    lead_a = bearer(staff_token(engine, Role.VENDOR_MANAGER, vendor_of(a)))
    labelers = client.get(f"{API}/labelers", headers=lead_a).json()
    assert {lab["vendor_id"] for lab in labelers} == {vendor_of(a)}
    b_labeler = b.principals[0].labeler_id
    assert client.get(f"{API}/labelers/{b_labeler}", headers=lead_a).status_code == 404
    labels = client.get(f"{API}/projects/{a.project_id}/labels", headers=lead_a).json()
    assert [lb["labeler_id"] for lb in labels] == [a.principals[0].labeler_id]
    assert [v["id"] for v in client.get(f"{API}/vendors", headers=lead_a).json()] == [vendor_of(a)]
    # a labeler sees only their own labels, and cannot read another labeler
    own = client.get(f"{API}/projects/{a.project_id}/labels", headers=bearer(b.tokens[0])).json()
    assert [lb["labeler_id"] for lb in own] == [b_labeler]
    assert client.get(f"{API}/labelers/{a.principals[0].labeler_id}", headers=bearer(b.tokens[0])).status_code == 404
    # vendor B's lead cannot add labelers to vendor A
    lead_b = bearer(staff_token(engine, Role.VENDOR_MANAGER, vendor_of(b)))
    denied = client.post(f"{API}/labelers", headers=lead_b, json={"vendor_id": vendor_of(a), "username": "sneaky"})
    assert denied.status_code == 403


def test_project_visibility(client: TestClient, engine: Engine) -> None:
    a = make_world(engine, labelers=1, items=1)
    b = make_world(engine, labelers=1, items=1)
    assert client.get(f"{API}/projects/{b.project_id}", headers=bearer(a.tokens[0])).status_code == 404
    assert [p["id"] for p in client.get(f"{API}/projects", headers=bearer(a.tokens[0])).json()] == [a.project_id]
    assert client.post(f"{API}/projects/{b.project_id}/next", headers=bearer(a.tokens[0])).status_code == 404
    requester = bearer(staff_token(engine, Role.REQUESTER))
    assert client.get(f"{API}/projects", headers=requester).json() == []


def test_openapi_documents_the_labeler_contract(client: TestClient) -> None:
    schema = client.get(f"{API}/openapi.json").json()
    assert "/api/v1/projects/{project_id}/next" in schema["paths"]
    submit = schema["paths"]["/api/v1/assignments/{assignment_id}/submit"]["post"]
    body = submit["requestBody"]["content"]["application/json"]["schema"]
    assert set(body["required"]) == {"answer", "idempotency_key", "time_spent_ms"}
    assert [p["name"] for p in submit["parameters"]] == ["assignment_id"]
    assert schema["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer"}
    assert schema["security"] == [{"bearer": []}]
    assert schema["paths"]["/api/v1/auth/login"]["post"]["security"] == []
    assert client.get(f"{API}/health").json()["status"] == "ok"
