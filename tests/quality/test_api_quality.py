"""The quality API over HTTP, on SQLite and PostgreSQL: blind review order, feedback inbox, disputes, report,
vendor isolation, aggregation and expert review, calibration and model predictions."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from safetyops.api import create_app
from safetyops.auth.service import clear_auth_cache
from tests.quality.test_service import QWorld, build_world

API = "/api/v1"


@pytest.fixture
def world(engine: Engine) -> QWorld:
    clear_auth_cache()
    return build_world(engine)


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(engine)) as c:
        yield c


def h(world: QWorld, name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.tokens[name]}"}


def test_blind_review_feedback_and_dispute_over_http(client: TestClient, world: QWorld) -> None:
    pid = world.project_id
    assert client.get(f"{API}/projects/{pid}/qa/next", headers=h(world, "qa1")).status_code == 204
    plan = client.post(f"{API}/projects/{pid}/qa/plans", headers=h(world, "ops"), json={"day": "2026-11-21", "seed": 3})
    assert plan.status_code == 201 and sum(r["sample"] for r in plan.json()["labelers"]) == 10
    assert (
        client.post(f"{API}/projects/{pid}/qa/plans", headers=h(world, "a1"), json={"day": "2026-11-21"}).status_code
        == 403
    )

    task = client.get(f"{API}/projects/{pid}/qa/next", headers=h(world, "qa1"))
    assert task.status_code == 200
    body = task.json()
    assert set(body) == {"task_id", "project_id", "stage", "item", "taxonomy"}  # the item only
    tid = body["task_id"]
    early = client.post(f"{API}/qa/tasks/{tid}/verdict", headers=h(world, "qa1"), json={"verdict": "correct"})
    assert early.status_code == 409 and "blind" in early.json()["message"]
    assert "original" not in client.get(f"{API}/qa/tasks/{tid}", headers=h(world, "qa1")).json()
    assert client.get(f"{API}/qa/tasks/{tid}", headers=h(world, "qa2")).status_code == 403
    bad = client.post(f"{API}/qa/tasks/{tid}/answer", headers=h(world, "qa1"), json={"answer": {"abuse": "9"}})
    assert bad.status_code == 422 and bad.json()["problems"][0]["field"] == "answer.abuse"
    revealed = client.post(f"{API}/qa/tasks/{tid}/answer", headers=h(world, "qa1"), json={"answer": {"abuse": "-3"}})
    assert revealed.status_code == 201
    original = revealed.json()["original"]
    assert original["answer"]["abuse"] and "technical" in revealed.json()["verdict_form"]["error_types"]
    no_type = client.post(f"{API}/qa/tasks/{tid}/verdict", headers=h(world, "qa1"), json={"verdict": "wrong"})
    assert no_type.status_code == 422
    verdict = client.post(
        f"{API}/qa/tasks/{tid}/verdict",
        headers=h(world, "qa1"),
        json={"verdict": "wrong", "error_type": "false_negative", "feedback": "see rule 4.2"},
    )
    assert verdict.status_code == 201

    owner = next(n for n, lid in world.labelers.items() if lid == original["labeler_id"])
    inbox = client.get(f"{API}/me/feedback", headers=h(world, owner)).json()
    assert [(v["feedback"], v["error_type"]) for v in inbox] == [("see rule 4.2", "false_negative")]
    other = next(n for n in world.labelers if n != owner)
    assert client.get(f"{API}/me/feedback", headers=h(world, other)).json() == []
    vid = inbox[0]["verdict_id"]
    assert (
        client.post(f"{API}/qa/verdicts/{vid}/dispute", headers=h(world, other), json={"reason": "x"}).status_code
        == 404
    )
    dispute = client.post(
        f"{API}/qa/verdicts/{vid}/dispute", headers=h(world, owner), json={"reason": "it was sarcasm"}
    )
    assert dispute.status_code == 201
    did = dispute.json()["dispute_id"]
    same = client.post(f"{API}/qa/disputes/{did}/decision", headers=h(world, "qa1"), json={"outcome": "overturned"})
    assert same.status_code == 403 and "second reviewer" in same.json()["message"]
    second = client.post(f"{API}/qa/disputes/{did}/decision", headers=h(world, "qa2"), json={"outcome": "upheld"})
    assert second.status_code == 201
    scores = client.get(f"{API}/projects/{pid}/qa/scores", headers=h(world, "ops")).json()
    assert scores["overall"]["n"] == 1 and scores["overall"]["correct"] == 0
    assert [d["outcome"] for d in client.get(f"{API}/projects/{pid}/qa/disputes", headers=h(world, "qa2")).json()] == [
        "upheld"
    ]
    other_vendor = "lead_b" if owner.startswith("a") else "lead_a"
    isolated = client.get(f"{API}/projects/{pid}/qa/scores", headers=h(world, other_vendor)).json()
    assert isolated["overall"]["n"] == 0 and isolated["per_labeler"] == []


def test_report_and_accuracy_respect_vendor_isolation(client: TestClient, world: QWorld) -> None:
    pid = world.project_id
    url = f"{API}/projects/{pid}/quality?from=2026-11-20&to=2026-11-21"
    rep = client.get(url, headers=h(world, "ops"))
    assert rep.status_code == 200
    assert rep.json()["n_labels"] == 34 and rep.json()["accuracy"]["overall"]["correct"] == 11
    assert rep.json()["period"] == {"from": "2026-11-20", "to": "2026-11-21", "tz": "America/New_York"}
    lead_a = client.get(url, headers=h(world, "lead_a")).json()
    assert {r["name"] for r in lead_a["accuracy"]["per_labeler"]} == {"a1", "a2"}
    assert [r["key"] for r in lead_a["accuracy"]["per_vendor"]] == [world.vendor_a]
    b_vendor = client.get(f"{API}/projects/{pid}/quality/accuracy?group_by=vendor", headers=h(world, "lead_b")).json()
    assert [g["key"] for g in b_vendor["groups"]] == [world.vendor_b]
    own = client.get(f"{API}/projects/{pid}/quality/accuracy", headers=h(world, "b2")).json()
    assert [g["name"] for g in own["groups"]] == ["b2"]
    assert client.get(url, headers=h(world, "requester")).status_code == 403
    assert client.get(f"{API}/projects/{pid}/quality?from=2026-13-01", headers=h(world, "ops")).status_code == 422
    agreement = client.get(f"{API}/projects/{pid}/quality/agreement?from=2026-11-21", headers=h(world, "lead_a"))
    assert {(p["rater_a"], p["rater_b"]) for p in agreement.json()["pairwise"]} == {("a1", "a2")}


def test_aggregation_review_queue_and_models_over_http(client: TestClient, world: QWorld) -> None:
    pid = world.project_id
    body = {"method": "mv", "from": "2026-11-21", "to": "2026-11-21"}
    assert client.post(f"{API}/projects/{pid}/aggregations", headers=h(world, "a1"), json=body).status_code == 403
    bad = client.post(f"{API}/projects/{pid}/aggregations", headers=h(world, "ops"), json={**body, "threshold": 2})
    assert bad.status_code == 422 and bad.json()["problems"][0]["field"] == "threshold"
    run = client.post(f"{API}/projects/{pid}/aggregations", headers=h(world, "ops"), json=body)
    assert run.status_code == 201 and run.json()["n_review"] == 1
    queue = client.get(f"{API}/projects/{pid}/review-queue", headers=h(world, "expert")).json()
    assert [r["reason"] for r in queue] == ["tie"]
    assert client.get(f"{API}/projects/{pid}/review-queue", headers=h(world, "lead_a")).status_code == 403
    done = client.post(
        f"{API}/review-queue/{queue[0]['review_id']}/decisions", headers=h(world, "expert"), json={"label": "-1"}
    )
    assert done.status_code == 201
    assert client.get(f"{API}/projects/{pid}/review-queue", headers=h(world, "expert")).json() == []
    labels = client.get(f"{API}/projects/{pid}/final-labels", headers=h(world, "ops")).json()["labels"]
    assert {r["external_id"]: r["label"] for r in labels}["i4"] == "-1"

    bad_file = b"external_id,policy,score\ni1,harassment.abuse,0.9\ni2,harassment.abuse,high\n"
    refused = client.post(
        f"{API}/projects/{pid}/models", headers=h(world, "ops"), files={"file": ("model.csv", bad_file, "text/csv")}
    )
    assert refused.status_code == 422
    assert refused.json()["problems"] == [
        {"message": "'high' is not a number", "field": "score", "line": 3, "file": "model.csv"}
    ]
    good = b"external_id,policy,label\ni1,harassment.abuse,no\ni2,harassment.abuse,yes\ni3,harassment.abuse,-3\n"
    good += b"i4,harassment.abuse,1\n"
    made = client.post(
        f"{API}/projects/{pid}/models",
        headers=h(world, "ops"),
        files={"file": ("model.csv", good, "text/csv")},
        data={"name": "rules-v1"},
    )
    assert made.status_code == 201 and made.json()["rows"] == 4
    ev = client.get(f"{API}/models/{made.json()['model_run_id']}/evaluation", headers=h(world, "ops")).json()
    pol = ev["policies"][0]
    # a choice value counts as that choice ("1" is "Not abusive", "-3" a violation), other labels as yes/no:
    # model i1 no, i2 yes, i3 yes, i4 no; humans i1 "1", i2 "-1", i3 "-3", i4 "-1" (the expert's decision)
    assert pol["confusion"] == {"tp": 2, "fp": 0, "fn": 1, "tn": 1} and pol["pr_curve"]["thresholds"] == []


def test_aggregation_smoothing_over_http(client: TestClient, world: QWorld) -> None:
    url = f"{API}/projects/{world.project_id}/aggregations"
    run = client.post(url, headers=h(world, "ops"), json={"method": "ds", "smoothing": 0})
    assert run.status_code == 201 and run.json()["smoothing"] == 0.0
    bad = client.post(url, headers=h(world, "ops"), json={"method": "ds", "smoothing": -1})
    assert bad.status_code == 422 and bad.json()["problems"][0]["field"] == "smoothing"
    schema = client.get(f"{API}/openapi.json").json()["components"]["schemas"]["AggregateIn"]["properties"]
    assert schema["smoothing"]["default"] == 0.01 and "maximum-likelihood" in schema["smoothing"]["description"]


def test_calibration_over_http(client: TestClient, world: QWorld) -> None:
    pid = world.project_id
    created = client.post(
        f"{API}/projects/{pid}/calibrations",
        headers=h(world, "expert"),
        json={"disputed_from": "2026-11-21", "disputed_to": "2026-11-21", "count": 3, "title": "wk 47"},
    )
    assert created.status_code == 201
    sid, items = created.json()["session_id"], created.json()["item_ids"]
    view = client.get(f"{API}/calibrations/{sid}/items", headers=h(world, "b1")).json()
    assert [i["item_id"] for i in view["items"]] == items and view["choices"][0] == "1"
    for name in ("a1", "b1"):
        for item in items:
            r = client.post(
                f"{API}/calibrations/{sid}/answers", headers=h(world, name), json={"item_id": item, "answer": "-1"}
            )
            assert r.status_code == 201
    again = client.post(
        f"{API}/calibrations/{sid}/answers", headers=h(world, "a1"), json={"item_id": items[0], "answer": "1"}
    )
    assert again.status_code == 409
    key = client.post(
        f"{API}/calibrations/{sid}/keys", headers=h(world, "expert"), json={"item_id": items[0], "answer": "-1"}
    )
    assert key.status_code == 201
    assert client.get(f"{API}/calibrations/{sid}/results", headers=h(world, "b1")).status_code == 403
    res = client.get(f"{API}/calibrations/{sid}/results", headers=h(world, "expert")).json()
    assert [(p["correct"], p["n"], p["answered"]) for p in res["people"]] == [(1, 1, 3), (1, 1, 3)]
    assert res["group"]["percent"]["value"] == 1.0
    note = client.post(
        f"{API}/calibrations/{sid}/notes",
        headers=h(world, "expert"),
        json={
            "kind": "outcome",
            "text": "Add this as a borderline example",
            "example_kind": "borderline",
            "example_rationale": "the group split three ways",
        },
    )
    assert note.status_code == 201 and note.json()["proposed_example"] is True
