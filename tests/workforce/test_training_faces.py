"""Training plans, progress and quizzes over HTTP (with vendor isolation), and the training / roster CLI."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from safetyops.api import create_app
from safetyops.auth.enums import Role
from safetyops.auth.principal import SYSTEM
from safetyops.auth.service import clear_auth_cache, create_token, create_user
from safetyops.cli import app
from safetyops.workforce import service
from safetyops.workforce.models import Labeler, QuizAttempt
from tests.workforce.training_world import MONDAY, training_world

API = "/api/v1"


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(engine)) as c:
        yield c


def token(engine: Engine, role: Role, vendor_id: int | None = None) -> dict[str, str]:
    with Session(engine) as session, session.begin():
        user = create_user(session, SYSTEM, f"u-{uuid.uuid4().hex[:8]}", role, vendor_id=vendor_id)
        return {"Authorization": f"Bearer {create_token(session, user, 't')[0]}"}


def test_training_over_http(client: TestClient, engine: Engine) -> None:
    world = training_world(engine)
    pid = world.project_id
    vendor = world.queue.principals[0].vendor_id
    ops, manager = token(engine, Role.OPS_MANAGER), token(engine, Role.VENDOR_MANAGER, vendor)
    with Session(engine) as session, session.begin():
        other = service.create_vendor(session, SYSTEM, f"Other {uuid.uuid4().hex[:6]}")
        other_id = other.id
    stranger = token(engine, Role.VENDOR_MANAGER, other_id)
    lab = {"Authorization": f"Bearer {world.queue.tokens[0]}"}

    body = {"project_start": MONDAY.isoformat(), "quiz_size": 5, "pass_mark": 0.6}
    assert client.put(f"{API}/projects/{pid}/training-plan", headers=manager, json=body).status_code == 403
    r = client.put(f"{API}/projects/{pid}/training-plan", headers=ops, json=body)
    assert r.status_code == 200, r.text
    plan = r.json()
    assert plan["training_starts"] == "2026-11-27" and plan["certification"] == f"project:{pid}:v1"
    assert [s["key"] for s in plan["timeline"]] == ["read", "examples", "quiz", "shadowing", "calibration"]
    bad = client.put(f"{API}/projects/{pid}/training-plan", headers=ops, json={**body, "graded_questions": ["nope"]})
    assert bad.status_code == 422 and bad.json()["problems"][0]["field"] == "graded_questions.0"

    progress = client.get(f"{API}/projects/{pid}/training-plan/progress", headers=manager).json()
    assert [p["labeler_id"] for p in progress] == world.labeler_ids
    assert client.get(f"{API}/projects/{pid}/training-plan/progress", headers=stranger).status_code == 404
    mine = client.get(f"{API}/projects/{pid}/training-plan/progress", headers=lab).json()
    assert [p["labeler_id"] for p in mine] == world.labeler_ids[:1]

    # a labeler marks their reading done; not the shadowing; another vendor's manager cannot touch them
    me, other_lab = world.labeler_ids
    url = f"{API}/projects/{pid}/training-plan/progress"
    assert client.put(f"{url}/{me}/read", headers=lab, json={"status": "done"}).status_code == 200
    assert client.put(f"{url}/{me}/shadowing", headers=lab, json={"status": "done"}).status_code == 403
    assert client.put(f"{url}/{other_lab}/read", headers=lab, json={"status": "done"}).status_code == 404
    assert client.put(f"{url}/{me}/shadowing", headers=stranger, json={"status": "done"}).status_code == 404
    r = client.put(f"{url}/{me}/shadowing", headers=manager, json={"status": "in_progress"})
    assert r.status_code == 200 and {m["key"]: m["status"] for m in r.json()["modules"]}["shadowing"] == "in_progress"
    assert client.put(f"{url}/{me}/quiz", headers=manager, json={"status": "done"}).status_code == 409

    quiz = client.post(f"{API}/projects/{pid}/quiz", headers=lab)
    assert quiz.status_code == 201, quiz.text
    assert len(quiz.json()["questions"]) == 5 and "item_id" not in quiz.json()["questions"][0]
    assert client.post(f"{API}/projects/{pid}/quiz", headers=ops).status_code == 403
    attempt_id = quiz.json()["attempt_id"]
    with Session(engine) as session:
        ids = session.get_one(QuizAttempt, attempt_id).item_ids
    answers = world.right_answers(ids)[:3] + world.wrong_answers(ids)[3:]
    other_token = {"Authorization": f"Bearer {world.queue.tokens[1]}"}
    assert (
        client.post(
            f"{API}/quiz-attempts/{attempt_id}/answers", headers=other_token, json={"answers": answers}
        ).status_code
        == 404
    )
    r = client.post(f"{API}/quiz-attempts/{attempt_id}/answers", headers=lab, json={"answers": answers})
    assert r.status_code == 200, r.text
    assert r.json()["passed"] and r.json()["score"] == pytest.approx(0.6) and r.json()["labeler_status"] == "production"
    clear_auth_cache()
    assert client.get(f"{API}/me", headers=lab).status_code == 200
    with Session(engine) as session:
        assert session.get_one(Labeler, me).certifications == [f"project:{pid}:v1"]


def test_training_and_roster_cli(engine: Engine, tmp_path: Path) -> None:
    world = training_world(engine, labelers=1)
    runner = CliRunner()
    out = runner.invoke(
        app,
        [
            *("training", "plan", "set", "-p", str(world.project_id), "--start", "2026-12-07", "--quiz-size", "5"),
            *("--modules", "read:read_guideline:2,quiz:quiz:1"),
        ],
    )
    assert out.exit_code == 0, out.output
    assert "2026-12-02" in out.output and "training starts 2026-12-02" in out.output
    out = runner.invoke(app, ["training", "plan", "show", "-p", str(world.project_id)])
    assert out.exit_code == 0 and f"project:{world.project_id}:v1" in out.output
    out = runner.invoke(app, ["training", "progress", "-p", str(world.project_id)])
    assert out.exit_code == 0 and "todo" in out.output
    out = runner.invoke(
        app,
        [
            "training",
            "plan",
            "set",
            "-p",
            str(world.project_id),
            "--start",
            "2026-12-07",
            "--modules",
            "read:reading:1",
        ],
    )
    assert out.exit_code == 2 and "modules.0" in out.output

    with Session(engine) as session, session.begin():
        vendor = service.create_vendor(session, SYSTEM, "CSV BPO")
        vid = vendor.id
    roster = tmp_path / "roster.csv"
    roster.write_text("username,languages,markets,status\nkim,en,GB,training\nlee,en,XX1,training\n")
    out = runner.invoke(app, ["labelers", "import", "--vendor", "CSV BPO", str(roster)])
    text = " ".join(out.output.split())
    assert out.exit_code == 2 and "nothing was stored" in text
    assert "roster.csv:3 markets: 'XX1' is not a market code" in text
    roster.write_text("username,languages,markets,status\nkim,en,GB,training\nlee,en,US,training\n")
    out = runner.invoke(app, ["labelers", "import", "--vendor", "CSV BPO", str(roster), "--dry-run"])
    assert out.exit_code == 0 and "would create 2" in out.output
    out = runner.invoke(app, ["labelers", "import", "--vendor", "CSV BPO", str(roster)])
    assert out.exit_code == 0 and "created 2" in out.output, out.output
    with Session(engine) as session:
        assert sorted(session.scalars(select(Labeler.external_id).where(Labeler.vendor_id == vid))) == ["kim", "lee"]
