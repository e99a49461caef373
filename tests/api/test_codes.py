"""Languages and markets entering through the API are codes: names read as codes with a note, near misses refused
with the nearest codes, naming the field. On both databases."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from safetyops.api import create_app
from safetyops.demo import DEMO_TAXONOMY
from tests.api.test_api import API, bearer, staff_token


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(engine)) as c:
        yield c


def test_project_request_and_labeler_codes(client: TestClient, engine: Engine) -> None:
    headers = bearer(staff_token(engine))
    project = {
        "name": "Codes",
        "taxonomy": DEMO_TAXONOMY,
        "languages": ["Bengali", "zh-hans"],
        "markets": ["Bangladesh"],
    }
    made = client.post(f"{API}/projects", json=project, headers=headers)
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["languages"] == ["bn", "zh-Hans"] and body["markets"] == ["BD"]
    assert "languages: 'Bengali' read as bn (Bengali)" in body["notes"]
    assert "markets: 'Bangladesh' read as BD (Bangladesh)" in body["notes"]
    assert client.get(f"{API}/projects/{body['id']}", headers=headers).json()["languages"] == ["bn", "zh-Hans"]

    refused = client.post(
        f"{API}/projects", json={**project, "name": "Bad", "languages": ["en", "Bengalli"]}, headers=headers
    )
    assert refused.status_code == 422
    problem = refused.json()["problems"][0]
    assert problem["field"].endswith("languages.1") and "did you mean bn (Bengali)" in problem["message"]

    request = {
        "title": "Abuse in three markets",
        "purpose": "training",
        "policies": ["harassment"],
        "markets": ["Bangladesh", "UK", "China"],
        "languages": ["Bengali", "English", "Mandarin"],
        "volume": 100,
        "deadline": (date.today() + timedelta(days=30)).isoformat(),
        "handling_time_s": 30,
    }
    filed = client.post(f"{API}/requests", json=request, headers=headers)
    assert filed.status_code == 201, filed.text
    spec = filed.json()["spec"]
    assert spec["languages"] == ["bn", "en", "zh"] and spec["markets"] == ["BD", "GB", "CN"]
    assert len(filed.json()["notes"]) == 6

    vendor = client.post(f"{API}/vendors", json={"name": "Codes BPO"}, headers=headers).json()["id"]
    lab = {"vendor_id": vendor, "username": "rahim-codes", "languages": ["bn", "ENGLISH"], "markets": ["bd"]}
    made = client.post(f"{API}/labelers", json=lab, headers=headers)
    assert made.status_code == 201, made.text
    assert made.json()["languages"] == ["bn", "en"] and made.json()["markets"] == ["BD"]
    bad = client.post(f"{API}/labelers", json={**lab, "username": "x-codes", "markets": ["Narnia"]}, headers=headers)
    assert bad.status_code == 422 and "not a market code" in bad.json()["problems"][0]["message"]


def test_item_imports_read_codes(engine: Engine, tmp_path: Path) -> None:
    from safetyops.errors import InvalidInput
    from safetyops.projects.imports import import_items
    from tests.world import make_world

    world = make_world(engine, labelers=1, items=0)
    good = tmp_path / "items.jsonl"
    rows = [
        {"external_id": "a", "text": "x", "language": "bn", "market": "BD"},
        {"external_id": "b", "text": "x", "language": "Bengali", "market": "Bangladesh"},
        {"external_id": "c", "text": "x", "language": "ZH_hans", "market": "cn"},
        {"external_id": "d", "text": "x", "language": "bn", "market": "BD"},  # the fast path, now that bn is known
    ]
    good.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    result = import_items(engine, world.project_id, good)
    assert result.rows_added == 4 and "language: 'Bengali' read as bn (Bengali)" in result.notes
    with engine.connect() as conn:
        stored = conn.execute(
            text("SELECT external_id, language, market FROM items WHERE project_id = :p ORDER BY external_id"),
            {"p": world.project_id},
        ).all()
    assert [tuple(r) for r in stored] == [
        ("a", "bn", "BD"),
        ("b", "bn", "BD"),
        ("c", "zh-Hans", "CN"),
        ("d", "bn", "BD"),
    ]
    bad = tmp_path / "bad.csv"
    bad.write_text("external_id,text,language,market\ne,x,Bengalli,BD\nf,x,bn,Narnia\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        import_items(engine, world.project_id, bad)
    where = {(p.line, p.field) for p in caught.value.problems}
    assert where == {(2, "language"), (3, "market")}
    assert any("did you mean bn (Bengali)" in p.message for p in caught.value.problems)
