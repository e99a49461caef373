"""Guideline versions, examples, diffs, notices and proposals, on both databases; the HTTP and CLI faces."""

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
from safetyops.auth.service import create_token, create_user
from safetyops.cli import app
from safetyops.errors import Conflict, InvalidInput, NotFound
from safetyops.guidelines import service
from safetyops.guidelines.enums import ExampleStatus
from safetyops.guidelines.models import NoticeReceipt
from safetyops.projects.models import Item, Project
from safetyops.projects.service import add_member
from tests.workforce.training_world import training_world

API = "/api/v1"
V1 = "# Abuse\n\nLabel insults as -1.\nLabel threats as -3.\n"
V11 = "# Abuse\n\nLabel insults as -1.\nLabel threats as -3.\nSarcasm is 0 unless it insults.\n"
V2 = "# Abuse v2\n\nLabel insults as -2.\nLabel threats as -3.\n"


def project_of(session: Session, pid: int) -> Project:
    return session.get_one(Project, pid)


def test_versions_are_append_only_and_publishing_sets_the_version(engine: Engine) -> None:
    world = training_world(engine)
    pid = world.project_id
    with Session(engine) as session, session.begin():
        p = project_of(session, pid)
        service.create_version(session, SYSTEM, pid, "1.0", V1)
        with pytest.raises(Conflict, match="not newer"):
            service.create_version(session, SYSTEM, pid, "1.0", "again")
        with pytest.raises(InvalidInput) as caught:
            service.create_version(session, SYSTEM, pid, "v1.2", "x")
        assert caught.value.problems[0].field == "version"
        service.create_version(session, SYSTEM, pid, "1.1", V11, what_changed="Sarcasm rule added.")
        with pytest.raises(Conflict, match="not newer"):
            service.create_version(session, SYSTEM, pid, "0.9", "x")
        result = service.publish_version(session, SYSTEM, pid, "1.1")
        assert p.guideline_version == "1.1" and not result.major_bump and result.recipients == 2
        with pytest.raises(Conflict, match="older than the published"):
            service.publish_version(session, SYSTEM, pid, "1.0")
        with pytest.raises(Conflict, match="already published"):
            service.publish_version(session, SYSTEM, pid, "1.1")
        assert [v.version for v in service.list_versions(session, SYSTEM, pid)] == ["1.0", "1.1"]
        with pytest.raises(NotFound):
            service.get_version(session, pid, "3.0")


def test_examples_diff_and_proposals(engine: Engine) -> None:
    world = training_world(engine)
    pid = world.project_id
    with Session(engine) as session, session.begin():
        item_id = session.scalar(select(Item.id).where(Item.project_id == pid).limit(1))
        service.create_version(session, SYSTEM, pid, "1.0", V1)
        service.add_example(session, SYSTEM, pid, "1.0", "not_allowed", "you are an idiot", "insult: -1")
        service.add_example(session, SYSTEM, pid, "1.0", "borderline", "nice work, genius", "sarcasm", item_id=item_id)
        with pytest.raises(InvalidInput) as caught:
            service.add_example(session, SYSTEM, pid, "1.0", "fine", "", "")
        assert {pr.field for pr in caught.value.problems} == {"kind", "text", "rationale"}
        with pytest.raises(InvalidInput, match="unknown item"):
            service.add_example(session, SYSTEM, pid, "1.0", "allowed", "x", "y", item_id=10**9)
        service.publish_version(session, SYSTEM, pid, "1.0")
        with pytest.raises(Conflict, match="frozen"):
            service.add_example(session, SYSTEM, pid, "1.0", "allowed", "hello", "greeting")
        # the quality engineer's entry point: a proposal on the published version
        proposal = service.propose_example(session, pid, "1.0", "have a nice day", "allowed", "polite", "calibration:7")
        assert proposal.status == ExampleStatus.PROPOSED.value and proposal.source == "calibration:7"
        v2 = service.create_version(session, SYSTEM, pid, "2.0", V2, what_changed="Insults are now -2.")
        assert len(service.examples_of(session, v2)) == 2  # accepted ones carried, the proposal not
        with pytest.raises(Conflict, match="name a draft"):
            service.accept_example(session, SYSTEM, pid, proposal.id, into_version=None)
        service.accept_example(session, SYSTEM, pid, proposal.id, into_version="2.0")
        old = next(e for e in service.examples_of(session, v2) if e.text == "you are an idiot")
        session.delete(old)  # a draft's example can be dropped before publishing
        session.flush()
        d = service.diff_versions(session, SYSTEM, pid, "1.0", "2.0")
    assert d.unified.startswith("--- guideline 1.0\n+++ guideline 2.0\n")
    assert "-Label insults as -1.\n" in d.unified and "+Label insults as -2.\n" in d.unified
    assert [e["text"] for e in d.examples_added] == ["have a nice day"]
    assert [e["text"] for e in d.examples_removed] == ["you are an idiot"]


def test_publishing_sends_notices_with_read_state(engine: Engine) -> None:
    world = training_world(engine, labelers=3)
    pid = world.project_id
    a, b, _ = world.labeler_ids
    with Session(engine) as session, session.begin():
        service.create_version(session, SYSTEM, pid, "1.1", V11, what_changed="Sarcasm rule added.")
        first = service.publish_version(session, SYSTEM, pid, "1.1")
        service.create_version(session, SYSTEM, pid, "2.0", V2)
        second = service.publish_version(session, SYSTEM, pid, "2.0")
    assert first.recipients == 3 and second.major_bump
    with Session(engine) as session, session.begin():
        mine = service.my_notices(session, a)
        assert [n.version for n in mine] == ["2.0", "1.1"]
        assert mine[1].body == "Sarcasm rule added." and "re-certification" in mine[0].title
        assert "from 1.1 to 2.0" in mine[0].body
        service.mark_read(session, first.notice_id, a)
        service.mark_read(session, first.notice_id, a)  # idempotent
        with pytest.raises(NotFound):
            service.mark_read(session, 10**6, a)
    with Session(engine) as session:
        assert [n.version for n in service.my_notices(session, a)] == ["2.0"]
        assert len(service.my_notices(session, a, unread_only=False)) == 2
        assert len(service.my_notices(session, b)) == 2
        assert service.unread_count(session, first.notice_id) == (2, 3)
        assert session.get_one(NoticeReceipt, (first.notice_id, a)).read_at is not None


# --- HTTP ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(engine)) as c:
        yield c


def token(engine: Engine, role: Role, member_of: int | None = None) -> dict[str, str]:
    with Session(engine) as session, session.begin():
        user = create_user(session, SYSTEM, f"u-{uuid.uuid4().hex[:8]}", role)
        if member_of is not None:
            add_member(session, SYSTEM, project_of(session, member_of).id, user.id)
        return {"Authorization": f"Bearer {create_token(session, user, 't')[0]}"}


def test_guidelines_over_http(client: TestClient, engine: Engine) -> None:
    world = training_world(engine)
    pid = world.project_id
    expert, qa = token(engine, Role.POLICY_EXPERT), token(engine, Role.QA_REVIEWER, pid)
    lab = {"Authorization": f"Bearer {world.queue.tokens[0]}"}
    r = client.post(f"{API}/projects/{pid}/guidelines", headers=expert, json={"version": "1.0", "text": V1})
    assert r.status_code == 201, r.text
    assert (
        client.post(f"{API}/projects/{pid}/guidelines", headers=lab, json={"version": "1.1", "text": "x"}).status_code
        == 403
    )
    ex = {"kind": "not_allowed", "text": "<script>alert(1)</script> idiot", "rationale": "insult"}
    r = client.post(f"{API}/projects/{pid}/guidelines/1.0/examples", headers=expert, json=ex)
    assert r.status_code == 201 and r.json()["status"] == "accepted"
    r = client.post(f"{API}/projects/{pid}/guidelines/1.0/examples", headers=qa, json={**ex, "text": "meh"})
    assert r.status_code == 201 and r.json()["status"] == "proposed"
    pub = client.post(f"{API}/projects/{pid}/guidelines/1.0/publish", headers=expert)
    assert pub.status_code == 200 and pub.json()["recipients"] == 2
    detail = client.get(f"{API}/projects/{pid}/guidelines/1.0", headers=lab).json()
    assert detail["text"] == V1 and [e["text"] for e in detail["examples"]] == [ex["text"]]  # stored as sent
    assert detail["proposed_examples"] == []  # labelers do not see proposals
    r = client.post(
        f"{API}/projects/{pid}/guidelines",
        headers=expert,
        json={"version": "2.0", "text": V2, "what_changed": "Insults are -2 now.", "publish": True},
    )
    assert r.status_code == 201
    diff = client.get(f"{API}/projects/{pid}/guidelines/1.0/diff/2.0", headers=lab).json()
    assert "+Label insults as -2." in diff["unified"]
    notices = client.get(f"{API}/me/notices", headers=lab).json()
    assert [n["version"] for n in notices] == ["2.0", "1.0"] and notices[0]["body"] == "Insults are -2 now."
    assert client.post(f"{API}/me/notices/{notices[0]['id']}/read", headers=lab).status_code == 204
    assert [n["version"] for n in client.get(f"{API}/me/notices", headers=lab).json()] == ["1.0"]
    assert client.get(f"{API}/me/notices", headers=expert).json() == []
    with Session(engine) as session:
        assert project_of(session, pid).guideline_version == "2.0"
    tax = client.get(f"{API}/taxonomies/default", headers=lab).json()
    assert tax["groups"][0]["categories"][0]["dsa_category"].startswith("STATEMENT_CATEGORY_")
    schema = client.get(f"{API}/taxonomies/default?as_project_taxonomy=true", headers=lab).json()
    assert schema["questions"][0]["key"] == "policy"


def test_guidelines_cli(engine: Engine, tmp_path: Path) -> None:
    world = training_world(engine, labelers=1)
    pid = str(world.project_id)
    runner = CliRunner()
    out = runner.invoke(app, ["guidelines", "taxonomy", "--default"])
    assert out.exit_code == 0 and "STATEMENT_CATEGORY_PROTECTION_OF_MINORS" in out.output and "hate.slur" in out.output
    doc = tmp_path / "g.md"
    doc.write_text(V1)
    out = runner.invoke(app, ["guidelines", "add", "-p", pid, "1.0", str(doc), "--publish"])
    assert out.exit_code == 0, out.output
    assert "notice sent to 1 labeler" in out.output
    doc.write_text(V2)
    out = runner.invoke(app, ["guidelines", "add", "-p", pid, "2.0", str(doc), "--what-changed", "stricter"])
    assert out.exit_code == 0, out.output
    out = runner.invoke(
        app,
        [
            "guidelines",
            "example",
            "-p",
            pid,
            "2.0",
            "--kind",
            "borderline",
            "--text",
            "genius",
            "--rationale",
            "sarcasm",
        ],
    )
    assert out.exit_code == 0, out.output
    out = runner.invoke(app, ["guidelines", "publish", "-p", pid, "2.0"])
    assert out.exit_code == 0 and "major version change" in out.output
    out = runner.invoke(app, ["guidelines", "diff", "-p", pid, "1.0", "2.0"])
    assert "+# Abuse v2" in out.output and "example added: [borderline] genius" in out.output
    out = runner.invoke(app, ["guidelines", "list", "-p", pid])
    assert out.exit_code == 0 and "2.0 *" in out.output
    out = runner.invoke(app, ["guidelines", "add", "-p", pid, "1.5", str(doc)])
    assert out.exit_code == 1 and "not newer" in out.output  # a conflict with stored versions: exit code 1
