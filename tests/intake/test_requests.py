"""Requests end to end over the API and the CLI, on both databases: file → evaluation → decision → project → plan."""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from safetyops.api import create_app
from safetyops.auth.enums import Role
from safetyops.auth.models import AuditEntry, User
from safetyops.auth.principal import SYSTEM
from safetyops.auth.service import clear_auth_cache, create_token, create_user
from safetyops.cli import app as cli_app
from safetyops.intake.models import LabelingRequest, RequestDecision
from safetyops.projects.models import Project
from safetyops.workforce.models import Labeler, Site, Vendor

API = "/api/v1"
runner = CliRunner()
START = date.today() + timedelta(days=7)
DEADLINE = START + timedelta(days=27)


@dataclass
class Team:
    ops: dict[str, str]
    alice: dict[str, str]
    bob: dict[str, str]
    alice_id: int


def _user(session: Session, role: Role, name: str | None = None) -> tuple[User, dict[str, str]]:
    user = create_user(session, SYSTEM, name or f"u-{uuid.uuid4().hex[:8]}", role)
    return user, {"Authorization": f"Bearer {create_token(session, user, 'test')[0]}"}


@pytest.fixture
def team(engine: Engine) -> Team:
    clear_auth_cache()
    with Session(engine) as session, session.begin():
        vendor = Vendor(name="EU BPO", data_regions=["EU"])
        session.add_all([vendor, Vendor(name="US BPO", data_regions=["US"])])
        session.flush()
        site = Site(vendor_id=vendor.id, name="Dhaka", country="BD")
        session.add(site)
        session.flush()
        session.add_all(
            Labeler(
                vendor_id=vendor.id,
                site_id=site.id,
                external_id=f"lab-{i}",
                languages=["bn", "en"] if i == 0 else ["bn"],
                markets=["BD"],
                certifications=["graphic_violence"],
                status="production",
            )
            for i in range(6)
        )
        _, ops = _user(session, Role.OPS_MANAGER, "olga")
        alice, alice_h = _user(session, Role.REQUESTER, "alice")
        _, bob = _user(session, Role.REQUESTER, "bob")
        return Team(ops, alice_h, bob, alice.id)


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(engine)) as c:
        yield c


def body(**kw: Any) -> dict[str, Any]:
    spec = {
        "title": "Bangla violent content eval set",
        "purpose": "evaluation",
        "policies": ["graphic_violence", "hate_speech"],
        "markets": ["BD"],
        "languages": ["bn"],
        "modality": "text",
        "volume": 25_000,
        "start": START.isoformat(),
        "deadline": DEADLINE.isoformat(),
        "overlap": 3,
        "quality_target": 0.9,
        "sensitivity": ["graphic_violence"],
        "data_region": "EU",
        "handling_time_s": 30,
    }
    return spec | kw


def count(engine: Engine, table: str, where: str = "1 = 1") -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table} WHERE {where}")).scalar_one())


def test_request_to_decision_to_project_to_plan(client: TestClient, engine: Engine, team: Team) -> None:
    filed = client.post(f"{API}/requests", headers=team.alice, json=body())
    assert filed.status_code == 201, filed.text
    req = filed.json()
    assert req["status"] == "submitted" and req["requester_id"] == team.alice_id
    verdicts = {r["rule"]: r["verdict"] for r in req["evaluation"]}
    assert len(verdicts) == 8 and verdicts["compliance.data_region"] == "pass"
    assert verdicts["compliance.sensitive_content"] == "pass"  # 6 certified labelers ≥ 5
    # 25,000 × 3 × 1.05 × 30 s + 5 % × 25,000 × 60 s = 677 h: 7.1 FTE over 20 working days, 6 on the roster
    assert verdicts["capacity.fte"] == "fail" and req["verdict"] == "fail"
    rid = req["id"]

    # access: bob sees nothing of alice's and may not decide; alice may not decide
    assert client.get(f"{API}/requests/{rid}", headers=team.bob).status_code == 404
    assert client.get(f"{API}/requests", headers=team.bob).json() == []
    decision = {"outcome": "accept", "note": "ok"}
    assert client.post(f"{API}/requests/{rid}/decisions", headers=team.bob, json=decision).status_code == 403
    assert client.post(f"{API}/requests/{rid}/decisions", headers=team.alice, json=decision).status_code == 403
    assert (
        client.post(f"{API}/plans", headers=team.alice, json={"from": str(START), "to": str(START)}).status_code == 403
    )
    assert [r["id"] for r in client.get(f"{API}/requests", headers=team.ops).json()] == [rid]

    # conditions must narrow the request
    wider = {"outcome": "accept_with_conditions", "note": "x", "conditions": {"overlap": 5}}
    refused = client.post(f"{API}/requests/{rid}/decisions", headers=team.ops, json=wider)
    assert refused.status_code == 422 and refused.json()["problems"][0]["field"] == "conditions.overlap"

    later = DEADLINE + timedelta(days=42)
    accept = {
        "outcome": "accept_with_conditions",
        "note": "fits with a later deadline and overlap 2",
        "conditions": {"deadline": later.isoformat(), "overlap": 2},
    }
    decided = client.post(f"{API}/requests/{rid}/decisions", headers=team.ops, json=accept)
    assert decided.status_code == 201, decided.text
    project_id = decided.json()["project_id"]
    assert project_id is not None
    again = client.post(f"{API}/requests/{rid}/decisions", headers=team.ops, json=decision)
    assert again.status_code == 409

    # the requester sees the status and the project made with the request's parameters and the conditions
    mine = client.get(f"{API}/requests/{rid}", headers=team.alice).json()
    assert mine["status"] == "accepted_with_conditions" and mine["project_id"] == project_id
    assert mine["decisions"][0]["conditions"] == {"deadline": later.isoformat(), "overlap": 2}
    project = client.get(f"{API}/projects/{project_id}", headers=team.alice).json()
    assert project["overlap"] == 2 and project["deadline"].startswith(later.isoformat())
    assert project["markets"] == ["BD"] and project["languages"] == ["bn"]
    assert [q["key"] for q in project["taxonomy"]["questions"]] == ["graphic_violence", "hate_speech"]
    with Session(engine) as session:
        row = session.get_one(Project, project_id)
        assert row.required_certifications == ["graphic_violence"]
        actions = set(session.scalars(select(AuditEntry.action).where(AuditEntry.entity_type == "request")))
    assert {"request.file", "request.evaluate", "request.decide"} <= actions

    # the plan: the accepted request's work lands on EU BPO / Dhaka / BD / bn
    plan = client.post(
        f"{API}/plans",
        headers=team.ops,
        json={"from": str(START), "to": str(START + timedelta(days=120)), "scenarios": ["volume+20%"]},
    )
    assert plan.status_code == 201, plan.text
    doc = plan.json()
    rows = [r for r in doc["rows"] if r["scenario"] == "base" and r["required_fte"] > 0]
    assert {(r["vendor"], r["site"], r["market"], r["language"]) for r in rows} == {("EU BPO", "Dhaka", "BD", "bn")}
    hours = sum(r["workload_hours"] for r in rows)
    assert hours == pytest.approx((25_000 * 2 * 1.05 * 30 + 0.05 * 25_000 * 60) / 3600)
    assert rows[0]["method"] == "backlog"
    assert "service level" in doc["service_level"].lower()
    totals = {s["scenario"]: s["workload_hours"] for s in doc["summary"] if s["period_start"] == str(START)}
    assert totals["volume+20%"] == pytest.approx(1.2 * totals["base"])
    stored = client.get(f"{API}/plans/{doc['id']}", headers=team.ops).json()
    assert len(stored["rows"]) == len(doc["rows"])
    xlsx = client.get(f"{API}/plans/{doc['id']}/xlsx", headers=team.ops)
    assert xlsx.status_code == 200
    assert openpyxl.load_workbook(io.BytesIO(xlsx.content)).sheetnames == ["summary", "base", "volume+20%"]


def test_other_decisions(client: TestClient, team: Team) -> None:
    rid = client.post(f"{API}/requests", headers=team.alice, json=body()).json()["id"]
    asked = client.post(
        f"{API}/requests/{rid}/decisions", headers=team.ops, json={"outcome": "need_info", "note": "which models?"}
    )
    assert asked.status_code == 201 and asked.json()["project_id"] is None
    assert client.get(f"{API}/requests/{rid}", headers=team.alice).json()["status"] == "need_info"
    no_note = client.post(f"{API}/requests/{rid}/decisions", headers=team.ops, json={"outcome": "reject", "note": ""})
    assert no_note.status_code == 422 and no_note.json()["problems"][0]["field"] == "note"
    rejected = client.post(
        f"{API}/requests/{rid}/decisions", headers=team.ops, json={"outcome": "reject", "note": "out of scope"}
    )
    assert rejected.status_code == 201
    mine = client.get(f"{API}/requests/{rid}", headers=team.alice).json()
    assert mine["status"] == "rejected" and [d["outcome"] for d in mine["decisions"]] == ["need_info", "reject"]
    again = client.post(f"{API}/requests/{rid}/evaluate", headers=team.ops)
    assert again.status_code == 200 and len(again.json()["evaluation"]) == 8
    assert client.post(f"{API}/requests/{rid}/evaluate", headers=team.alice).status_code == 403


IMPOSSIBLE: list[tuple[dict[str, Any], str]] = [
    ({"volume": -1}, "volume"),
    ({"handling_time_s": 0}, "handling_time_s"),
    ({"deadline": (date.today() - timedelta(days=1)).isoformat()}, "deadline"),
    ({"overlap": 0}, "overlap"),
    ({"sensitivity": ["spoilers"]}, "sensitivity.0"),
    ({"term": "long"}, ""),  # a long-term request without monthly_volume
]


def test_impossible_parameters_are_refused(client: TestClient, engine: Engine, team: Team) -> None:
    for change, field in IMPOSSIBLE:
        resp = client.post(f"{API}/requests", headers=team.alice, json=body(**change))
        assert resp.status_code == 422, change
        assert resp.json()["problems"][0]["field"] == field
    assert count(engine, "labeling_requests") == 0 and count(engine, "audit_log", "entity_type = 'request'") == 0


# ------------------------------------------------------------ CLI


def flat(output: str) -> str:
    """Rich wraps long lines at the terminal width; join them back."""
    return " ".join(output.split())


def write_yaml(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "request.yaml"
    path.write_text(text, encoding="utf-8")
    return path


REQUEST_YAML = f"""\
title: Bangla hate speech training set
purpose: training
policies: [hate_speech]
markets: [BD]
languages: [bn]
volume: 2000
start: {START}
deadline: {DEADLINE}
overlap: 1
handling_time_s: 20
data_region: EU
"""


def test_cli_file_decide_and_plan(engine: Engine, team: Team, tmp_path: Path) -> None:
    path = write_yaml(tmp_path, REQUEST_YAML)
    filed = runner.invoke(cli_app, ["requests", "file", "--file", str(path), "--as", "alice", "--json"])
    assert filed.exit_code == 0, filed.output
    data = json.loads(filed.stdout)
    assert data["status"] == "submitted" and data["verdict"] in ("pass", "warn")
    table = runner.invoke(cli_app, ["requests", "show", str(data["id"])])
    assert table.exit_code == 0 and "capacity.fte" in table.stdout
    decided = runner.invoke(
        cli_app, ["requests", "decide", str(data["id"]), "--outcome", "accept", "--note", "go", "--as", "olga"]
    )
    assert decided.exit_code == 0, decided.output
    assert "project" in decided.stdout
    with Session(engine) as session:
        req = session.scalars(select(LabelingRequest)).one()
        assert req.requester_id == team.alice_id and req.status == "accepted" and req.project_id is not None
        assert session.scalar(select(func.count()).select_from(RequestDecision)) == 1
    xlsx = tmp_path / "plan.xlsx"
    plan = runner.invoke(
        cli_app,
        [
            "plans", "compute", "--from", str(START), "--to", str(START + timedelta(days=59)),
            "--scenario", "volume+20%", "--scenario", "shrinkage=0.35", "--xlsx", str(xlsx), "--json", "--save",
        ],
    )  # fmt: skip
    assert plan.exit_code == 0, plan.output
    doc = json.loads(plan.stdout)
    assert doc["id"] is not None and {s["name"] for s in doc["scenarios"]} == {"volume+20%", "shrinkage=0.35"}
    assert openpyxl.load_workbook(xlsx).sheetnames == ["summary", "base", "volume+20%", "shrinkage=0.35"]
    pretty = runner.invoke(cli_app, ["plans", "compute", "--from", str(START), "--to", str(START + timedelta(days=59))])
    assert pretty.exit_code == 0 and "scenario: base" in pretty.stdout and "summary" in pretty.stdout
    shown = runner.invoke(cli_app, ["plans", "show", str(doc["id"]), "--json"])
    assert shown.exit_code == 0 and json.loads(shown.stdout)["id"] == doc["id"]
    bad = runner.invoke(cli_app, ["plans", "compute", "--from", str(START), "--to", str(START), "--occupancy", "1.2"])
    assert bad.exit_code == 2 and "occupancy" in flat(bad.stderr)


def test_cli_yaml_errors_name_file_line_and_field(engine: Engine, team: Team, tmp_path: Path) -> None:
    wrong = REQUEST_YAML.replace("volume: 2000", "volume: -5").replace("handling_time_s: 20", "handling_time_s: 0")
    path = write_yaml(tmp_path, wrong)
    result = runner.invoke(cli_app, ["requests", "file", "--file", str(path)])
    assert result.exit_code == 2
    assert f"{path}:6 volume:" in flat(result.stderr)
    assert f"{path}:10 handling_time_s:" in flat(result.stderr)
    broken = write_yaml(tmp_path, "title: x\npolicies: [hate_speech\nmarkets: [BD]\n")
    result = runner.invoke(cli_app, ["requests", "file", "--file", str(broken)])
    assert result.exit_code == 2 and f"{broken}:3" in flat(result.stderr)
    assert count(engine, "labeling_requests") == 0


def test_cli_rules(engine: Engine, tmp_path: Path) -> None:
    shown = runner.invoke(cli_app, ["requests", "rules", "--show"])
    assert shown.exit_code == 0 and "known_policies" in shown.stdout and "min_eligible_labelers: 5" in shown.stdout
    custom = tmp_path / "rules.yaml"
    custom.write_text("scope:\n  known_policies: [spam]\ncapacity:\n  occupancy: 1.5\n", encoding="utf-8")
    bad = runner.invoke(cli_app, ["requests", "rules", "--rules", str(custom)])
    assert bad.exit_code == 2 and f"{custom}:4 capacity.occupancy:" in flat(bad.stderr)
    custom.write_text("scope:\n  known_policies: [spam]\n", encoding="utf-8")
    ok = runner.invoke(cli_app, ["requests", "rules", "--rules", str(custom)])
    assert ok.exit_code == 0 and "1 known policies" in ok.stdout


def test_rules_file_from_the_environment(
    client: TestClient, team: Team, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    custom = tmp_path / "rules.yaml"
    custom.write_text("scope:\n  known_policies: [spam]\n", encoding="utf-8")
    monkeypatch.setenv("SAFETYOPS_INTAKE_RULES", str(custom))
    req = client.post(f"{API}/requests", headers=team.alice, json=body()).json()
    policies = next(r for r in req["evaluation"] if r["rule"] == "scope.policies")
    assert policies["verdict"] == "fail" and "spam" in policies["reason"]


def test_rules_option_help_names_the_environment_variable() -> None:
    """The CLI writes the variable's name in its help (importing intake.service there would slow --help)."""
    from safetyops.intake.service import RULES_ENV

    for command in ("file", "evaluate", "decide", "rules"):
        out = CliRunner().invoke(cli_app, ["requests", command, "--help"], terminal_width=200).output
        assert f"${RULES_ENV}" in out, command
