"""The plan service on both databases: measured handling times, long-term flows, live queues, stored plans."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from safetyops.auth.principal import SYSTEM
from safetyops.intake import service as intake
from safetyops.intake.enums import Outcome
from safetyops.intake.schemas import DecisionIn, RequestSpec
from safetyops.planning import service
from safetyops.projects.models import Item
from safetyops.work.models import Label
from safetyops.workforce.models import Labeler, Vendor

START = date.today() + timedelta(days=3)


def spec(**kw: object) -> RequestSpec:
    base = {
        "title": "t",
        "purpose": "monitoring",
        "policies": ["spam"],
        "markets": ["GB"],
        "languages": ["en"],
        "volume": 10_000,
        "start": START,
        "deadline": START + timedelta(days=20),
        "handling_time_s": 30,
        "gold_rate": 0.0,
        "qa_rate": 0.0,
    }
    return RequestSpec.model_validate(base | kw)


def accept(session: Session, s: RequestSpec) -> int:
    cfg = intake.load_rules()
    req = intake.file_request(session, SYSTEM, s, cfg)
    intake.decide(session, SYSTEM, req.id, DecisionIn(outcome=Outcome.ACCEPT, note="ok"), cfg)
    assert req.project_id is not None
    return req.project_id


def test_measured_handling_time_replaces_the_estimate(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        vendor = Vendor(name="V", data_regions=[])
        session.add(vendor)
        session.flush()
        labeler = Labeler(vendor_id=vendor.id, external_id="x", languages=["en"], markets=["GB"], status="production")
        session.add(labeler)
        session.flush()
        project_id = accept(session, spec(title="measured"))
        for i in range(25):
            item = Item(project_id=project_id, external_id=f"i{i}", open_slots=0)
            session.add(item)
            session.flush()
            session.add(
                Label(
                    project_id=project_id,
                    item_id=item.id,
                    labeler_id=labeler.id,
                    answer={"spam": "violating"},
                    time_spent_ms=12_000 + (i % 3) * 1000,  # median 13 s
                    guideline_version="1.0",
                    idempotency_key=f"k{i}",
                )
            )
    with Session(engine) as session, session.begin():
        plan = service.compute(session, START, START + timedelta(days=59))
        rows = [r for r in plan.rows() if r["required_fte"] > 0]
        assert {(r["vendor"], r["market"], r["language"]) for r in rows} == {("V", "GB", "en")}
        assert sum(r["workload_hours"] for r in rows) == pytest.approx(10_000 * 13 / 3600)
        assert any("13.0 s measured (median of 25 labels" in n for n in plan.notes)
        few = service.compute(session, START, START + timedelta(days=59), min_measured_labels=50)
        assert sum(r["workload_hours"] for r in few.rows()) == pytest.approx(10_000 * 30 / 3600)
        plan_id = service.save(session, plan, None, "measured")
    with Session(engine) as session:
        doc = service.as_document(session, plan_id)
        assert doc["name"] == "measured" and len(doc["rows"]) == len(plan.rows())
        assert doc["summary"][0]["workload_hours"] == pytest.approx(10_000 * 13 / 3600)


def test_long_term_flow_and_live_queue(engine: Engine) -> None:
    long = spec(
        title="queue",
        term="long",
        volume=0,
        monthly_volume=21_667,  # ≈ 1,000 per working day
        turnaround_days=2,
        live_queue={"arrivals_per_hour": 200, "target_sl": 0.8, "within_s": 20},
        handling_time_s=180,
    )
    with Session(engine) as session, session.begin():
        accept(session, long)
        plan = service.compute(session, START, START + timedelta(days=120))
    rows = [r for r in plan.rows() if r["scenario"] == "base"]
    assert all(r["method"] == "backlog+erlang_c" for r in rows)
    assert all(r["live_agents"] == 14 for r in rows)  # 200 per hour × 180 s = 10 Erlang, 80 % in 20 s
    assert sum(r["workload_hours"] for r in rows) > 0
