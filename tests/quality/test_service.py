"""Quality services over the database, on SQLite and PostgreSQL: accuracy, agreement, aggregation, expert review,
QA review, calibration and the report — with the access rules (vendor isolation)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import pytest
from sqlalchemy import Engine, func, insert, select
from sqlalchemy.orm import Session

from safetyops.auth.enums import Role
from safetyops.auth.models import AuditEntry, User
from safetyops.auth.principal import SYSTEM, Principal
from safetyops.auth.service import create_token, create_user, principal_for_user
from safetyops.demo import DEMO_TAXONOMY
from safetyops.errors import Conflict, Forbidden, InvalidInput, NotFound
from safetyops.projects.models import GoldAnswer, Item
from safetyops.projects.schemas import ProjectSpec
from safetyops.projects.service import create_project
from safetyops.quality import agreement as ag
from safetyops.quality import calibration, review, service
from safetyops.quality.aggregation import DS_SMOOTHING
from safetyops.quality.intervals import audit_sample_size
from safetyops.quality.loading import final_labels, latest_run
from safetyops.quality.models import ExpertReview, QaTask
from safetyops.quality.report import project_report
from safetyops.work.models import Label
from safetyops.workforce.service import create_labeler, create_site, create_vendor

LEVELS = ["1", "0", "-1", "-2", "-3"]  # least → most severe
DAY1, DAY2 = date(2026, 11, 20), date(2026, 11, 21)
# New York reporting zone: 03:00 UTC on the 21st is still the 20th there.
T_DAY1 = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)
T_DAY2 = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)
GOLD = {"g1": "1", "g2": "-1", "g3": "-3", "g4": "0"}
# labels on gold items per labeler, day 1: a1 4/4 right, a2 3/4 (g4 corrected to right later), b1 2/4, b2 1/4
GOLD_LABELS = {
    "a1": {"g1": "1", "g2": "-1", "g3": "-3", "g4": "0"},
    "a2": {"g1": "1", "g2": "-1", "g3": "-3", "g4": "1"},
    "b1": {"g1": "1", "g2": "-1", "g3": "-2", "g4": "1"},
    "b2": {"g1": "1", "g2": "0", "g3": "-2", "g4": "1"},
}
# regular items, day 2: three labels each
REGULAR = {
    "i1": {"a1": "1", "a2": "1", "b1": "1"},
    "i2": {"a1": "-1", "a2": "-1", "b2": "-2"},
    "i3": {"a1": "-3", "b1": "-3", "b2": "-3"},
    "i4": {"a2": "0", "b1": "1", "b2": "-1"},  # three-way split
    "i5": {"a1": "-2", "a2": "-1", "b1": "-2"},
    "i6": {"a1": "1", "b1": "1", "b2": "0"},
}


@dataclass
class QWorld:
    engine: Engine
    project_id: int
    vendor_a: int
    vendor_b: int
    labelers: dict[str, int]
    items: dict[str, int]
    users: dict[str, int]
    tokens: dict[str, str] = field(default_factory=dict)

    def principal(self, name: str) -> Principal:
        with Session(self.engine) as session:
            return principal_for_user(session, session.get_one(User, self.users[name]))


def build_world(engine: Engine) -> QWorld:
    """Two vendors (A, B) with two labelers each, gold and regular items, staff users with tokens."""
    tag = uuid.uuid4().hex[:6]
    users: dict[str, int] = {}
    tokens: dict[str, str] = {}
    with Session(engine, expire_on_commit=False) as session, session.begin():
        va = create_vendor(session, SYSTEM, f"Vendor A {tag}")
        vb = create_vendor(session, SYSTEM, f"Vendor B {tag}")
        site_a = create_site(session, SYSTEM, va.id, "Dhaka")
        labelers = {}
        for name, vendor, site in (("a1", va, site_a.id), ("a2", va, None), ("b1", vb, None), ("b2", vb, None)):
            lab = create_labeler(session, SYSTEM, vendor.id, f"{name}-{tag}", name=name, site_id=site)
            labelers[name] = lab.id
            users[name] = lab.user_id or 0
        for name, role, vendor in (
            ("ops", Role.OPS_MANAGER, None),
            ("qa1", Role.QA_REVIEWER, None),
            ("qa2", Role.QA_REVIEWER, None),
            ("expert", Role.POLICY_EXPERT, None),
            ("lead_a", Role.VENDOR_MANAGER, va.id),
            ("lead_b", Role.VENDOR_MANAGER, vb.id),
            ("requester", Role.REQUESTER, None),
        ):
            users[name] = create_user(session, SYSTEM, f"{name}-{tag}", role, vendor_id=vendor).id
        for name, uid in users.items():
            tokens[name] = create_token(session, session.get_one(User, uid), "t")[0]
        spec = ProjectSpec(
            name=f"quality-{tag}",
            taxonomy=DEMO_TAXONOMY,
            overlap=3,
            vendors=[va.name, vb.name],
            reporting_tz="America/New_York",
        )
        project = create_project(session, SYSTEM, spec)
        project.qa_rate = 0.5
        from safetyops.projects.models import ProjectMember

        for qa in ("qa1", "qa2", "requester"):
            session.add(ProjectMember(project_id=project.id, user_id=users[qa]))
        items = {}
        for ext in [*GOLD, *REGULAR]:
            item = Item(
                project_id=project.id,
                external_id=ext,
                content_text=f"text {ext}",
                is_gold=ext in GOLD,
                open_slots=0,
                label_count=3,
            )
            session.add(item)
            session.flush()
            items[ext] = item.id
        for ext, answer in GOLD.items():
            session.add(GoldAnswer(project_id=project.id, item_id=items[ext], answer={"abuse": answer}))
        rows: list[dict[str, Any]] = []
        for lab, answers in GOLD_LABELS.items():
            for ext, value in answers.items():
                rows.append(_label(project.id, items[ext], labelers[lab], value, T_DAY1, True))
        for ext, answers in REGULAR.items():
            for lab, value in answers.items():
                rows.append(_label(project.id, items[ext], labelers[lab], value, T_DAY2, False))
        session.execute(insert(Label), rows)
        first = session.scalar(select(Label.id).where(Label.item_id == items["g4"], Label.labeler_id == labelers["a2"]))
        correction = _label(project.id, items["g4"], labelers["a2"], "0", T_DAY1, True)
        session.execute(insert(Label), [{**correction, "supersedes_id": first}])
    return QWorld(engine, project.id, va.id, vb.id, labelers, items, users, tokens)


def _label(project: int, item: int, labeler: int, value: str, at: datetime, gold: bool) -> dict[str, Any]:
    return {
        "project_id": project,
        "item_id": item,
        "labeler_id": labeler,
        "answer": {"abuse": value},
        "guideline_version": "1.0",
        "idempotency_key": uuid.uuid4().hex,
        "is_gold": gold,
        "time_spent_ms": 1000,
        "created_at": at,
    }


@pytest.fixture
def world(engine: Engine) -> QWorld:
    return build_world(engine)


def _rates(rows: list[dict[str, Any]]) -> dict[Any, tuple[int, int]]:
    return {r["name"]: (r["correct"], r["n"]) for r in rows}


# ------------------------------------------------------------------------------------------------ accuracy


def test_accuracy_against_gold_groups_and_isolation(world: QWorld) -> None:
    with Session(world.engine) as s:
        ops = world.principal("ops")
        res = service.accuracy(s, ops, world.project_id)
        # the correction of a2 on g4 counts (latest label per item and labeler)
        assert _rates(res["groups"]) == {"a1": (4, 4), "a2": (4, 4), "b1": (2, 4), "b2": (1, 4)}
        assert res["overall"]["n"] == 16 and res["overall"]["correct"] == 11
        assert 0 < res["overall"]["ci_low"] < 11 / 16 < res["overall"]["ci_high"] < 1
        vendors = service.accuracy(s, ops, world.project_id, group_by="vendor")["groups"]
        assert {r["key"]: (r["correct"], r["n"]) for r in vendors} == {world.vendor_a: (8, 8), world.vendor_b: (3, 8)}
        sites = _rates(service.accuracy(s, ops, world.project_id, group_by="site")["groups"])
        assert sites == {"Dhaka": (4, 4), "(no site)": (7, 12)}
        policy = service.accuracy(s, ops, world.project_id, group_by="policy", method="clopper-pearson")
        assert _rates(policy["groups"]) == {"harassment.abuse": (11, 16)}
        assert policy["overall"]["method"] == "clopper-pearson"
        days = service.accuracy(s, ops, world.project_id, group_by="day")["groups"]
        assert [(r["key"], r["n"]) for r in days] == [("2026-11-20", 16)]  # cut in New York time
        assert service.accuracy(s, ops, world.project_id, date_from=DAY2, date_to=DAY2)["overall"]["n"] == 0
        # per class: gold "-3" (g3) was labeled "-3" twice and "-2" twice
        cm = np.array(res["confusion"])
        assert cm[LEVELS.index("-3"), LEVELS.index("-2")] == 2 and cm.sum() == 16
        minus3 = next(c for c in res["per_class"] if c["class"] == "-3")
        assert minus3["recall"] == 0.5 and minus3["precision"] == 1.0 and minus3["f1"] == pytest.approx(2 / 3)

        lead_a = service.accuracy(s, world.principal("lead_a"), world.project_id)
        assert set(_rates(lead_a["groups"])) == {"a1", "a2"}
        assert lead_a["overall"]["n"] == 8
        by_vendor = service.accuracy(s, world.principal("lead_a"), world.project_id, group_by="vendor")
        assert [r["key"] for r in by_vendor["groups"]] == [world.vendor_a]
        own = service.accuracy(s, world.principal("b1"), world.project_id)
        assert set(_rates(own["groups"])) == {"b1"}
        with pytest.raises(Forbidden):
            service.accuracy(s, world.principal("requester"), world.project_id)
        with pytest.raises(InvalidInput):
            service.accuracy(s, ops, world.project_id, question="rationale")
        with pytest.raises(InvalidInput):
            service.accuracy(s, ops, world.project_id, date_from=DAY2, date_to=DAY1)


# ------------------------------------------------------------------------------------------------ agreement


def test_agreement_matches_pure_functions_and_respects_vendors(world: QWorld) -> None:
    with Session(world.engine) as s:
        res = service.agreement(s, world.principal("ops"), world.project_id, date_from=DAY2, date_to=DAY2)
        counts = np.array([[sum(v == c for v in answers.values()) for c in LEVELS] for answers in REGULAR.values()])
        assert res["level"] == "ordinal" and res["n_items"] == 6 and res["n_labelers"] == 4
        assert res["percent"]["value"] == pytest.approx(ag.percent_agreement(counts))
        assert res["fleiss"]["value"] == pytest.approx(ag.fleiss_kappa(counts, bootstrap=0).value)
        alpha = ag.krippendorff_alpha_counts(counts, np.arange(5.0), "ordinal", bootstrap=0).value
        assert res["alpha"]["value"] == pytest.approx(alpha)
        assert res["ac1"]["value"] == pytest.approx(ag.gwet_ac1(counts).value)
        for key in ("fleiss", "alpha", "ac1"):
            assert res[key]["percent_agreement"] == pytest.approx(res["percent"]["value"])
        pairs = {(p["rater_a"], p["rater_b"]): p for p in res["pairwise"]}
        assert pairs[("a1", "a2")]["n"] == 3 and pairs[("a1", "a2")]["percent_agreement"] == pytest.approx(2 / 3)

        lead = service.agreement(s, world.principal("lead_a"), world.project_id, date_from=DAY2, date_to=DAY2)
        assert lead["n_labelers"] == 2
        assert {(p["rater_a"], p["rater_b"]) for p in lead["pairwise"]} == {("a1", "a2")}


# ------------------------------------------------------------------------------------------------ aggregation


def test_aggregation_runs_store_final_labels_and_review_queue(world: QWorld) -> None:
    ops, expert = world.principal("ops"), world.principal("expert")
    with Session(world.engine) as s, s.begin():
        mv = service.run_aggregation(s, ops, world.project_id, method="mv", date_from=DAY2, date_to=DAY2)
        assert mv["n_items"] == 6 and mv["n_labels"] == 18 and mv["n_review"] == 1  # i4: three-way tie
        queue = service.review_queue(s, expert, world.project_id)
        assert [(r["item_id"], r["reason"], r["proposed_label"]) for r in queue] == [(world.items["i4"], "tie", None)]
        sev = service.run_aggregation(s, ops, world.project_id, method="mv", tie="severity", date_from=DAY2)
        labels = final_labels(s, latest_run(s, world.project_id))
        assert sev["n_review"] == 0 and labels[world.items["i4"]][0] == "-1"  # most severe of the tied
        ds = service.run_aggregation(s, expert, world.project_id, method="ds", threshold=0.99)
        assert ds["iterations"] >= 1 and ds["log_likelihood"] is not None and ds["n_items"] == 10
        labels = final_labels(s, latest_run(s, world.project_id))
        assert {labels[world.items[g]][0] for g in GOLD} == set(GOLD.values())  # gold clamped
        assert all(labels[world.items[g]][1] == 1.0 for g in GOLD)
        weighted = service.run_aggregation(s, ops, world.project_id, method="weighted")
        assert weighted["weights_from"] == "gold"
        with pytest.raises(Forbidden):
            service.run_aggregation(s, world.principal("lead_a"), world.project_id)
        with pytest.raises(InvalidInput):
            service.run_aggregation(s, ops, world.project_id, question="target", tie="severity")
    with Session(world.engine) as s, s.begin():
        review_id = s.scalar(
            select(ExpertReview.id).where(ExpertReview.item_id == world.items["i4"]).order_by(ExpertReview.id).limit(1)
        )
        assert review_id is not None
        with pytest.raises(Forbidden):
            service.resolve_review(s, world.principal("a1"), review_id, "0")
        with pytest.raises(InvalidInput):
            service.resolve_review(s, expert, review_id, "maybe")
        service.resolve_review(s, expert, review_id, "0", "context makes it ambiguous")
        service.resolve_review(s, world.principal("qa1"), review_id, "-1", "second look")  # append-only; newest wins
        resolved = service.review_queue(s, expert, world.project_id, include_resolved=True)
        assert next(r for r in resolved if r["review_id"] == review_id)["resolved_label"] == "-1"
        assert all(r["review_id"] != review_id for r in service.review_queue(s, expert, world.project_id))
        first_run = s.get_one(ExpertReview, review_id).run_id
        from safetyops.quality.models import AggregationRun

        assert final_labels(s, s.get_one(AggregationRun, first_run))[world.items["i4"]] == ("-1", 1.0)


def test_aggregation_smoothing_reaches_dawid_skene(world: QWorld) -> None:
    ops = world.principal("ops")
    with Session(world.engine) as s, s.begin():
        plain = service.run_aggregation(s, ops, world.project_id, method="ds", smoothing=0.0)
        default = service.run_aggregation(s, ops, world.project_id, method="ds")
        assert (plain["smoothing"], default["smoothing"]) == (0.0, DS_SMOOTHING)
        # 0 is the plain maximum-likelihood fit: its likelihood is the higher one
        assert plain["log_likelihood"] > default["log_likelihood"]
        audit = s.scalars(select(AuditEntry).where(AuditEntry.action == "quality.aggregate").order_by(AuditEntry.id))
        assert [e.detail["smoothing"] for e in audit] == [0.0, DS_SMOOTHING]
        assert service.run_aggregation(s, ops, world.project_id, method="mv")["smoothing"] is None
        for bad in (-0.5, float("nan"), float("inf")):
            with pytest.raises(InvalidInput) as err:
                service.run_aggregation(s, ops, world.project_id, method="ds", smoothing=bad)
            assert [p.field for p in err.value.problems] == ["smoothing"]


# ------------------------------------------------------------------------------------------------ QA review


def test_qa_blind_review_verdicts_disputes_and_scores(world: QWorld) -> None:
    ops, qa1, qa2 = world.principal("ops"), world.principal("qa1"), world.principal("qa2")
    with Session(world.engine) as s, s.begin():
        plan = review.create_plan(s, qa1, world.project_id, DAY2, seed=1)  # project qa_rate 0.5
        sizes = {r["labeler_id"]: (r["population"], r["sample"]) for r in plan["labelers"]}
        assert sizes[world.labelers["a1"]] == (5, 3) and sizes[world.labelers["b2"]] == (4, 2)
        assert s.scalar(select(func.count()).select_from(QaTask)) == 10
        # gold labels are never sampled; a margin plan on day 1 finds nothing to sample
        margin = review.create_plan(s, ops, world.project_id, DAY1, mode="margin", margin=0.1)
        assert all(r["sample"] == 0 for r in margin["labelers"])
        with pytest.raises(Forbidden):
            review.create_plan(s, world.principal("lead_a"), world.project_id, DAY2)

    done: list[int] = []
    with Session(world.engine) as s, s.begin():
        for verdict in ("technical", "false_positive", "correct"):
            task = review.next_review(s, qa1, world.project_id)
            assert task is not None and set(task) >= {"task_id", "item"}
            assert "original" not in task and "labeler_id" not in task and task["stage"] == "answer"
            with pytest.raises(Conflict):  # blind: no verdict before the reviewer's own answer
                review.submit_verdict(s, qa1, task["task_id"], correct=True)
            with pytest.raises(Forbidden):  # someone else's task
                review.submit_answer(s, qa2, task["task_id"], {"abuse": "1"})
            assert "original" not in review.get_task(s, qa1, task["task_id"])
            revealed = review.submit_answer(s, qa1, task["task_id"], {"abuse": "1"})
            assert revealed["original"]["answer"]["abuse"] in LEVELS and revealed["stage"] == "verdict"
            if verdict == "correct":
                review.submit_verdict(s, qa1, task["task_id"], correct=True, feedback="good call")
            else:
                review.submit_verdict(
                    s, qa1, task["task_id"], correct=False, error_type=verdict, feedback=f"{verdict} here"
                )
            done.append(task["task_id"])
        with pytest.raises(Conflict):
            review.submit_verdict(s, qa1, done[0], correct=True)
        with pytest.raises(InvalidInput):
            review.submit_answer(s, qa2, review.next_review(s, qa2, world.project_id)["task_id"], {"abuse": "x"})

    with Session(world.engine) as s:
        tasks = [s.get_one(QaTask, t) for t in done]
    labeler_of = {t.id: t.labeler_id for t in tasks}
    name_of = {v: k for k, v in world.labelers.items()}
    wrong_owner = name_of[labeler_of[done[1]]]
    with Session(world.engine) as s, s.begin():
        scores = review.qa_scores(s, ops, world.project_id)
        assert scores["technical_excluded"] == 1
        assert scores["overall"]["n"] == 2 and scores["overall"]["correct"] == 1
        inbox = review.feedback_inbox(s, world.principal(wrong_owner))
        mine = next(v for v in inbox if v["task_id"] == done[1])
        assert mine["error_type"] == "false_positive" and mine["feedback"] == "false_positive here"
        assert "reviewer_id" not in mine
        other = next(n for n in ("a1", "a2", "b1", "b2") if n != wrong_owner)
        with pytest.raises(NotFound):
            review.open_dispute(s, world.principal(other), mine["verdict_id"], "not mine")
        dispute = review.open_dispute(s, world.principal(wrong_owner), mine["verdict_id"], "the context was a joke")
        with pytest.raises(Forbidden):  # the first reviewer cannot decide
            review.decide_dispute(s, qa1, dispute["dispute_id"], "upheld")
        review.decide_dispute(s, qa2, dispute["dispute_id"], "overturned", "agreed")
        with pytest.raises(Conflict):
            review.decide_dispute(s, ops, dispute["dispute_id"], "upheld")
    with Session(world.engine) as s:
        scores = review.qa_scores(s, ops, world.project_id)
        assert scores["overall"]["correct"] == 2 and scores["overturned"] == 1
        inbox = review.feedback_inbox(s, world.principal(wrong_owner))
        assert next(v for v in inbox if v["task_id"] == done[1])["dispute"]["outcome"] == "overturned"
        lead_a = review.qa_scores(s, world.principal("lead_a"), world.project_id)
        vendor_b_labelers = {world.labelers["b1"], world.labelers["b2"]}
        assert not {r["key"] for r in lead_a["per_labeler"]} & vendor_b_labelers
        assert {r["key"] for r in lead_a["per_vendor"]} <= {world.vendor_a}
        with pytest.raises(Forbidden):
            review.feedback_inbox(s, ops)


def test_margin_plan_uses_the_audit_sample_size(world: QWorld) -> None:
    with Session(world.engine) as s, s.begin():
        plan = review.create_plan(s, world.principal("ops"), world.project_id, DAY2, mode="margin", margin=0.3)
        for row in plan["labelers"]:
            assert row["sample"] == audit_sample_size(0.9, 0.3, population=row["population"])
        with pytest.raises(InvalidInput):
            review.create_plan(s, world.principal("ops"), world.project_id, DAY2, mode="margin", margin=1.5)


# ------------------------------------------------------------------------------------------------ calibration


def test_calibration_session_blind_answers_key_results_and_outcome(world: QWorld) -> None:
    expert = world.principal("expert")
    with Session(world.engine) as s, s.begin():
        disputed = calibration.create_session(s, expert, world.project_id, disputed_from=DAY2, count=2)
        assert disputed["item_ids"][0] == world.items["i4"] and len(disputed["item_ids"]) == 2
        manual = calibration.create_session(
            s, expert, world.project_id, item_ids=[world.items["i1"], world.items["i4"]], title="week 47"
        )
        sid = manual["session_id"]
        with pytest.raises(Forbidden):
            calibration.create_session(s, world.principal("a1"), world.project_id, item_ids=[world.items["i1"]])
        with pytest.raises(InvalidInput):
            calibration.create_session(s, expert, world.project_id, item_ids=[10**9])
        for name, answers in (("a1", ("1", "0")), ("b1", ("1", "-1")), ("qa1", ("1", "-3"))):
            p = world.principal(name)
            view = calibration.session_items(s, p, sid)
            assert all("key" not in i for i in view["items"])
            for item, answer in zip(("i1", "i4"), answers, strict=True):
                calibration.submit_answer(s, p, sid, world.items[item], answer)
        with pytest.raises(Conflict):
            calibration.submit_answer(s, world.principal("a1"), sid, world.items["i1"], "1")
        with pytest.raises(Forbidden):
            calibration.key_item(s, world.principal("ops"), sid, world.items["i1"], "1")
        calibration.key_item(s, expert, sid, world.items["i1"], "1", "plainly fine")
        calibration.key_item(s, expert, sid, world.items["i4"], "-1", "insult in context")
        with pytest.raises(Forbidden):
            calibration.results(s, world.principal("a1"), sid)
        res = calibration.results(s, expert, sid)
        people = {p["user_id"]: (p["correct"], p["n"]) for p in res["people"]}
        assert people == {world.users["a1"]: (1, 2), world.users["b1"]: (2, 2), world.users["qa1"]: (1, 2)}
        assert res["items"][0]["item_id"] == world.items["i4"]
        assert res["items"][0]["split"] == {"0": 1, "-1": 1, "-3": 1} and res["items"][0]["key"] == "-1"
        assert res["items"][1]["agreement"] == 1.0
        assert res["group"]["percent"]["value"] is not None and res["group"]["alpha"]["variant"] == "ordinal"
        calibration.add_note(s, expert, sid, kind="note", text="i4 needs the conversation context")
        outcome = calibration.add_note(
            s,
            expert,
            sid,
            kind="outcome",
            text="Insults aimed at the agent in context count as mild abuse",
            item_id=world.items["i4"],
            example_kind="not_allowed",
            example_rationale="context",
        )
        assert outcome["proposed_example"] is True
        # the project has no guideline version rows here, so the proposal stays on the outcome, with the reason
        assert outcome["guideline_example_ref"] is not None or outcome["kept_in_calibration_because"]
        from safetyops.guidelines.service import create_version

        create_version(s, SYSTEM, world.project_id, "1.1", "draft text")
        handed = calibration.add_note(
            s,
            expert,
            sid,
            kind="outcome",
            text="Mild insult example",
            example_kind="borderline",
            example_version="1.1",
            example_rationale="insult without a target",
        )
        assert handed["guideline_example_ref"] is not None and handed["kept_in_calibration_because"] is None
        notes = calibration.results(s, expert, sid)["notes"]
        assert [n["kind"] for n in notes] == ["note", "outcome", "outcome"]
        assert notes[1]["proposed_example"]["kind"] == "not_allowed"
        with pytest.raises(Forbidden):
            calibration.add_note(s, expert, sid, kind="note", text="x", example_kind="allowed", example_rationale="r")
        with pytest.raises(InvalidInput):
            calibration.add_note(s, expert, sid, kind="outcome", text="x", example_kind="allowed")


# ------------------------------------------------------------------------------------------------ report


def test_project_report_and_vendor_isolation(world: QWorld) -> None:
    with Session(world.engine) as s, s.begin():
        service.run_aggregation(s, world.principal("ops"), world.project_id, method="ds")
        rep = project_report(s, world.principal("ops"), world.project_id, date_from=DAY1, date_to=DAY2)
        assert rep["n_labels"] == 34 and rep["n_labelers"] == 4
        assert rep["accuracy"]["overall"]["n"] == 16 and rep["accuracy"]["overall"]["correct"] == 11
        assert len(rep["accuracy"]["per_vendor"]) == 2
        assert rep["agreement"]["n_items"] == 6  # gold items left out of agreement
        for key in ("percent", "fleiss", "alpha", "ac1"):
            assert rep["agreement"][key]["percent_agreement"] is not None
        assert rep["aggregation"]["method"] == "ds" and rep["aggregation"]["n_items"] == 10
        lead = project_report(s, world.principal("lead_b"), world.project_id)
        assert {r["name"] for r in lead["accuracy"]["per_labeler"]} == {"b1", "b2"}
        assert [r["key"] for r in lead["accuracy"]["per_vendor"]] == [world.vendor_b]
        assert lead["n_labelers"] == 2
        with pytest.raises(Forbidden):
            project_report(s, world.principal("requester"), world.project_id)
