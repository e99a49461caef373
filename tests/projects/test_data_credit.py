"""A project's data credit is data: set in a project file or through the API, shown wherever its items are
(web pages, quality report), and never inferred from the project's name."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from safetyops.api import create_app
from safetyops.auth.enums import Role
from safetyops.auth.principal import SYSTEM
from safetyops.auth.service import create_token, create_user
from safetyops.demo import DATA_CREDIT, DEMO_PROJECT, DEMO_TAXONOMY
from safetyops.errors import InvalidInput
from safetyops.projects.schemas import DataCredit
from safetyops.projects.service import load_spec_file
from tests.world import make_world

API = "/api/v1"
CREDIT = {
    "source": "Toxic Turns — Example & Author, 2024",
    "link": "https://example.org/toxic-turns",
    "licence": "CC BY-SA 4.0",
    "licence_link": "https://creativecommons.org/licenses/by-sa/4.0/",
}


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(engine)) as c:
        yield c


def ops_headers(engine: Engine) -> dict[str, str]:
    with Session(engine) as session, session.begin():
        user = create_user(session, SYSTEM, f"ops-{uuid.uuid4().hex[:8]}", Role.OPS_MANAGER, password="long-enough-pw")
        return {"Authorization": f"Bearer {create_token(session, user, 'test')[0]}"}


def test_the_demo_credit_reads_as_before() -> None:
    assert DATA_CREDIT.text() == (
        "ConvAbuse — Cercas Curry, Abercrombie & Rieser, EMNLP 2021 "
        "(https://aclanthology.org/2021.emnlp-main.587/), CC BY 4.0"
    )
    assert DataCredit(source="In-house").text() == "In-house"


def test_a_project_file_carries_its_credit(tmp_path: Path) -> None:
    path = tmp_path / "project.yaml"
    spec = {"name": "Toxic turns", "taxonomy": DEMO_TAXONOMY}
    path.write_text(yaml.safe_dump({**spec, "data_credit": CREDIT}, allow_unicode=True), encoding="utf-8")
    assert load_spec_file(path).data_credit == DataCredit(**CREDIT)

    bad = {"source": "x", "link": "javascript:alert(1)"}
    path.write_text(yaml.safe_dump({**spec, "data_credit": bad}), encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        load_spec_file(path)
    assert [(p.field, p.file) for p in caught.value.problems] == [("data_credit.link", str(path))]


def test_the_api_sets_changes_and_checks_the_credit(client: TestClient, engine: Engine) -> None:
    ops = ops_headers(engine)
    body = {"name": "Toxic turns", "taxonomy": DEMO_TAXONOMY, "data_credit": CREDIT}
    created = client.post(f"{API}/projects", json=body, headers=ops)
    assert created.status_code == 201 and created.json()["data_credit"] == CREDIT
    pid = created.json()["id"]

    changed = client.patch(f"{API}/projects/{pid}", json={"data_credit": {"source": "Ours"}}, headers=ops)
    assert changed.status_code == 200
    assert client.get(f"{API}/projects/{pid}", headers=ops).json()["data_credit"] == {
        "source": "Ours",
        "link": None,
        "licence": None,
        "licence_link": None,
    }
    cleared = client.patch(f"{API}/projects/{pid}", json={"data_credit": None}, headers=ops)
    assert cleared.status_code == 200 and cleared.json()["data_credit"] is None

    for bad, field in (
        ({"source": "x", "licence_link": "data:text/html,<b>"}, "data_credit.licence_link"),
        ({"source": ""}, "data_credit.source"),
        ({"source": "x", "owner": "me"}, "data_credit.owner"),
    ):
        resp = client.patch(f"{API}/projects/{pid}", json={"data_credit": bad}, headers=ops)
        assert resp.status_code == 422, bad
        assert [p["field"] for p in resp.json()["problems"]] == [field], resp.json()


def test_pages_show_the_credit_a_project_carries_not_the_one_its_name_suggests(
    client: TestClient, engine: Engine
) -> None:
    credited = make_world(engine, labelers=1, items=1, name="Toxic turns", data_credit=DataCredit(**CREDIT))
    client.cookies.set("safetyops_token", credited.tokens[0])
    for page in (client.get("/"), client.get(f"/work/{credited.project_id}")):
        assert page.status_code == 200
        assert "Toxic Turns — Example &amp; Author, 2024" in page.text
        assert '<a href="https://example.org/toxic-turns">' in page.text
        assert '<a href="https://creativecommons.org/licenses/by-sa/4.0/" rel="license">Licence: CC BY-SA 4.0</a>' in (
            page.text
        )

    named_like_the_demo = make_world(engine, labelers=1, items=1, name=DEMO_PROJECT)
    client.cookies.set("safetyops_token", named_like_the_demo.tokens[0])
    for page in (client.get("/"), client.get(f"/work/{named_like_the_demo.project_id}")):
        assert page.status_code == 200 and DEMO_PROJECT in page.text
        assert 'class="credit"' not in page.text and "CC BY" not in page.text


def test_the_quality_report_carries_the_credit(client: TestClient, engine: Engine) -> None:
    ops = ops_headers(engine)
    credited = make_world(engine, labelers=1, items=1, name="Toxic turns", data_credit=DataCredit(**CREDIT))
    report = client.get(f"{API}/projects/{credited.project_id}/quality", headers=ops)
    assert report.status_code == 200 and report.json()["data_credit"] == DataCredit(**CREDIT).text()

    plain = make_world(engine, labelers=1, items=1, name=DEMO_PROJECT)
    report = client.get(f"{API}/projects/{plain.project_id}/quality", headers=ops)
    assert report.status_code == 200 and "data_credit" not in report.json()
