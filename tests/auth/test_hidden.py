"""Existence stays hidden: a person who may not see a resource gets the same answer whether or not it exists."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from safetyops.api import create_app
from safetyops.auth.enums import Role
from safetyops.auth.models import User
from safetyops.auth.principal import SYSTEM
from safetyops.auth.service import create_token, create_user
from tests.auth.access_world import AccessWorld, build

MISSING = 10**9


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(engine)) as c:
        yield c


def outsider(world: AccessWorld, role: Role, vendor: str | None = None) -> str:
    """A token of someone with `role` and no tie to project P (or of vendor B's, with `vendor='vendor_b'`)."""
    with Session(world.engine) as session, session.begin():
        vendor_id = world.ids[vendor] if vendor else None
        user = create_user(session, SYSTEM, f"out-{role.value}-{world.tag}", role, vendor_id=vendor_id)
        return create_token(session, user, "t")[0]


def _shape(resp: Any, ref: object) -> tuple[int, str, str]:
    body = resp.json()
    return resp.status_code, body["error"], re.sub(rf"\b{ref}\b", "<id>", body["message"])


def test_unseen_resources_answer_like_missing_ones(client: TestClient, engine: Engine) -> None:
    world = build(engine)
    ids = world.ids
    with Session(engine) as session:
        b1 = session.get_one(User, world.user_ids["b1"])
    tokens = {
        "requester": outsider(world, Role.REQUESTER),
        "qa_reviewer": outsider(world, Role.QA_REVIEWER),
        "vendor_manager_b": outsider(world, Role.VENDOR_MANAGER, "vendor_b"),
        "labeler_b": world.tokens["b1"],
        "labeler_a": world.tokens["a2"],  # vendor A's, but not the owner of the labeler's leases and labels
        "ops": world.tokens["ops_manager"],
    }
    assert b1.vendor_id == ids["vendor_b"]
    # (who, method, path with {id}, the existing id, body, expected status)
    cases: list[tuple[str, str, str, int, dict[str, Any] | None, int]] = [
        ("requester", "GET", "/api/v1/projects/{id}", ids["project"], None, 404),
        ("labeler_b", "GET", "/api/v1/projects/{id}/guidelines", ids["project"], None, 404),
        ("labeler_b", "POST", "/api/v1/projects/{id}/next", ids["project"], None, 404),
        ("vendor_manager_b", "GET", "/api/v1/labelers/{id}", ids["labeler_labeler"], None, 404),
        ("requester", "GET", "/api/v1/requests/{id}", ids["request"], None, 404),
        ("qa_reviewer", "GET", "/api/v1/qa/tasks/{id}", ids["qa_task"], None, 404),
        ("qa_reviewer", "POST", "/api/v1/review-queue/{id}/decisions", ids["review_item"], {"label": "0"}, 404),
        ("qa_reviewer", "POST", "/api/v1/qa/disputes/{id}/decision", ids["dispute"], {"outcome": "upheld"}, 404),
        ("requester", "GET", "/api/v1/calibrations/{id}/items", ids["calibration"], None, 404),
        ("requester", "GET", "/api/v1/models/{id}/evaluation", ids["model_run"], None, 404),
        ("labeler_a", "POST", "/api/v1/qa/verdicts/{id}/dispute", ids["verdict_open"], {"reason": "no"}, 404),
        ("labeler_a", "POST", "/api/v1/assignments/{id}/release", ids["lease_release"], None, 404),
        (
            "labeler_a",
            "POST",
            "/api/v1/labels/{id}/correct",
            ids["label_own"],
            {"answer": {}, "idempotency_key": "k"},
            404,
        ),
        ("labeler_a", "POST", "/api/v1/quiz-attempts/{id}/answers", ids["quiz_attempt"], {"answers": []}, 404),
        ("requester", "DELETE", "/api/v1/tokens/{id}", ids["helper_token"], None, 404),
        # rules on the id alone answer 403 before anything is looked up: the same for any id
        ("vendor_manager_b", "GET", "/api/v1/vendors/{id}/roster", ids["vendor_a"], None, 403),
        ("requester", "POST", "/api/v1/users/{id}/tokens", world.user_ids["qa_helper"], {"name": "x"}, 403),
    ]
    seen = []
    for who, method, path, existing, body, status in cases:
        headers = {"Authorization": f"Bearer {tokens[who]}"}
        there = client.request(method, path.format(id=existing), headers=headers, json=body)
        missing = client.request(method, path.format(id=MISSING), headers=headers, json=body)
        assert there.status_code == status, (who, path, there.text)
        assert _shape(there, existing) == _shape(missing, MISSING), (who, path)
        seen.append(there.json()["message"])
    assert all(m.endswith("for you") for m, c in zip(seen, cases, strict=True) if c[5] == 404)
    # staff, who see everything, are told plainly that a thing does not exist
    assert (
        client.get(f"/api/v1/projects/{MISSING}", headers={"Authorization": f"Bearer {tokens['ops']}"}).status_code
        == 404
    )


def test_pages_hide_projects_too(client: TestClient, engine: Engine) -> None:
    """The workbench: someone who may not see a project gets the same page for it as for a missing one."""
    world = build(engine)
    client.cookies.set("safetyops_token", outsider(world, Role.REQUESTER))
    there = client.get(f"/work/{world.ids['project']}")
    missing = client.get(f"/work/{MISSING}")
    assert there.status_code == missing.status_code == 404
    assert (
        f"no project {world.ids['project']} for you" in there.text and f"no project {MISSING} for you" in missing.text
    )
