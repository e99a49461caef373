"""The access rules themselves: the system principal, the audit trail it leaves, and the documented role sets."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from safetyops.api import create_app
from safetyops.auth import policies
from safetyops.auth.enums import USER_ROLES, Role
from safetyops.auth.models import AuditEntry, User
from safetyops.auth.principal import SYSTEM, Principal
from safetyops.auth.service import create_user
from safetyops.config import get_settings
from safetyops.db import engine as engine_module
from safetyops.errors import Forbidden, InvalidInput
from safetyops.quality import calibration, review
from safetyops.work import service as work
from tests.auth.access_world import build

DOC = Path(__file__).parents[2] / "docs" / "access.md"


def test_the_system_principal_is_named_and_is_no_user() -> None:
    assert Principal.system() is SYSTEM
    assert SYSTEM.is_system and SYSTEM.role is Role.SYSTEM and SYSTEM.user_id is None
    assert SYSTEM.username == "system" and Role.SYSTEM not in USER_ROLES
    # it does the administrative work, never a person's act of judgment
    assert policies.STAFF(SYSTEM) and policies.QA_PLANNERS(SYSTEM) and policies.CALIBRATION_ORGANISERS(SYSTEM)
    assert not policies.QA_REVIEWERS(SYSTEM) and not policies.CALIBRATION_KEYERS(SYSTEM)
    assert not policies.REVIEW_DECIDERS(SYSTEM) and not policies.DISPUTE_DECIDERS(SYSTEM)
    assert not policies.CalibrationPolicy.can_answer(SYSTEM)


def test_refusals_name_the_roles_a_person_can_hold() -> None:
    labeler = Principal(user_id=7, username="l", role=Role.LABELER)
    with pytest.raises(Forbidden) as caught:
        policies.STAFF.require(labeler)
    assert caught.value.message == "this needs one of the roles: ops_manager, admin (you are labeler)"


def test_no_user_holds_the_system_role(engine: Engine) -> None:
    with Session(engine) as session, pytest.raises(InvalidInput, match="no user holds it"):
        create_user(session, SYSTEM, "sneaky", Role.SYSTEM)
    with TestClient(create_app(engine)) as client:
        with Session(engine) as session, session.begin():
            create_user(session, SYSTEM, "ana", Role.ADMIN, password="long-enough-pw")
        token = client.post("/api/v1/auth/login", json={"username": "ana", "password": "long-enough-pw"}).json()
        resp = client.post(
            "/api/v1/users",
            headers={"Authorization": f"Bearer {token['token']}"},
            json={"username": "sneaky", "role": "system"},
        )
        assert resp.status_code == 422 and resp.json()["problems"][0]["field"] == "role"


def test_the_system_signs_no_act_of_judgment(engine: Engine) -> None:
    world = build(engine)
    with Session(engine) as session:
        with pytest.raises(Forbidden):
            review.submit_answer(session, SYSTEM, world.ids["qa_task"], {"abuse": "0"})
        with pytest.raises(Forbidden):
            calibration.key_item(session, SYSTEM, world.ids["calibration"], world.ids["item_r1"], "0")
        with pytest.raises(Forbidden):
            calibration.submit_answer(session, SYSTEM, world.ids["calibration"], world.ids["item_r1"], "0")
    with pytest.raises(Forbidden, match="only labelers take tasks"):
        work.next_task(engine, SYSTEM, world.ids["project"])


@pytest.fixture
def cli_db(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    monkeypatch.setenv("SAFETYOPS_DATABASE_URL", db_url)
    get_settings.cache_clear()
    engine_module._engine = None
    from safetyops.cli import app

    assert CliRunner().invoke(app, ["db", "upgrade"]).exit_code == 0
    engine = engine_module.get_engine()
    yield engine
    engine.dispose()
    engine_module._engine = None
    get_settings.cache_clear()


def test_the_command_line_writes_the_audit_trail_as_the_system(cli_db: Engine) -> None:
    """No user id 0 (a user that does not exist) and no null that could be anyone: the entry says 'system'."""
    from safetyops.cli import app

    runner = CliRunner()
    for args in (
        ["users", "create", "maria", "--role", "ops_manager", "--password", "long-enough"],
        ["vendors", "create", "Acme BPO"],
        ["tokens", "create", "maria"],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
    with Session(cli_db) as session:
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        maria = session.scalars(select(User.id).where(User.username == "maria")).one()
    assert [e.action for e in entries] == ["user.create", "vendor.create", "token.create"]
    assert all(e.actor_id is None and e.detail["actor"] == "system" for e in entries)
    assert entries[2].detail["user_id"] == maria


def test_every_role_set_is_documented() -> None:
    """docs/access.md lists each role set once, with its roles and what they may do, as the code has it."""
    text = DOC.read_text(encoding="utf-8")
    names = [s.name for s in policies.ROLE_SETS]
    assert len(names) == len(set(names)), "a role set is defined twice"
    for role_set in policies.ROLE_SETS:
        row = next((line for line in text.splitlines() if line.startswith(f"| {role_set.name} |")), None)
        assert row is not None, f"docs/access.md has no row for '{role_set.name}'"
        cells = [c.strip() for c in row.strip("|").split("|")]
        documented = set(re.findall(r"`(\w+)`", cells[1]))
        assert documented == {r.value for r in role_set.roles}, role_set.name
        assert cells[2] == role_set.may, role_set.name
