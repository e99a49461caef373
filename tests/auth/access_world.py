"""One of every resource, and one person of every role tied to it the way the role is meant to be.

Built through the services as the system principal (and, for a labeler's or reviewer's own acts, as that
person), so the world is what the product makes. Every role's person relates to project P as the design says:
the vendor manager's vendor serves P and employs the labeler, the QA reviewer and the requester are members,
the requester filed request R, the policy expert and staff see everything.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.orm import Session

from safetyops.auth.enums import USER_ROLES, Role
from safetyops.auth.models import ApiToken, User
from safetyops.auth.principal import SYSTEM, Principal
from safetyops.auth.service import create_token, create_user, hash_password, principal_for_user
from safetyops.delivery import service as delivery
from safetyops.demo import DEMO_TAXONOMY
from safetyops.guidelines import service as guidelines
from safetyops.guidelines.models import GuidelineNotice
from safetyops.intake import service as intake
from safetyops.intake.schemas import RequestSpec
from safetyops.planning import service as planning
from safetyops.planning.schemas import PlanIn
from safetyops.projects.models import GoldAnswer, Item, Project
from safetyops.projects.schemas import ProjectSpec
from safetyops.projects.service import add_member, create_project
from safetyops.quality import calibration, review
from safetyops.quality import service as quality
from safetyops.quality.models import ExpertReview, QaTask
from safetyops.work import service as work
from safetyops.work.models import Label
from safetyops.workforce import training_service as training
from safetyops.workforce.service import create_labeler, create_vendor

PASSWORD = "long-enough-pw"
ROLES: tuple[str, ...] = tuple(r.value for r in USER_ROLES)


@dataclass
class AccessWorld:
    engine: Engine
    tag: str
    tokens: dict[str, str]  # role (and helpers) -> bearer token
    usernames: dict[str, str]
    user_ids: dict[str, int]
    ids: dict[str, int] = field(default_factory=dict)  # resource name -> id
    extra: dict[str, Any] = field(default_factory=dict)

    def principal(self, who: str) -> Principal:
        with Session(self.engine) as session:
            return principal_for_user(session, session.get_one(User, self.user_ids[who]))

    def token(self, who: str, name: str = "extra") -> str:
        with Session(self.engine) as session, session.begin():
            return create_token(session, session.get_one(User, self.user_ids[who]), name)[0]


@cache
def _password_hash() -> str:
    return hash_password(PASSWORD)


def _label(project_id: int, item_id: int, labeler_id: int, value: str, at: datetime) -> dict[str, Any]:
    return {
        "project_id": project_id,
        "item_id": item_id,
        "labeler_id": labeler_id,
        "answer": {"abuse": value},
        "guideline_version": "1.0",
        "idempotency_key": uuid.uuid4().hex,
        "is_gold": False,
        "time_spent_ms": 1000,
        "created_at": at,
    }


def build(engine: Engine) -> AccessWorld:
    tag = uuid.uuid4().hex[:6]
    usernames: dict[str, str] = {}
    user_ids: dict[str, int] = {}
    tokens: dict[str, str] = {}
    ids: dict[str, int] = {}
    now = datetime.now(UTC)
    with Session(engine, expire_on_commit=False) as session, session.begin():
        vendor_a = create_vendor(session, SYSTEM, f"Vendor A {tag}")
        vendor_b = create_vendor(session, SYSTEM, f"Vendor B {tag}")
        ids.update(vendor_a=vendor_a.id, vendor_b=vendor_b.id)
        people = {
            "admin": (Role.ADMIN, None),
            "ops_manager": (Role.OPS_MANAGER, None),
            "vendor_manager": (Role.VENDOR_MANAGER, vendor_a.id),
            "qa_reviewer": (Role.QA_REVIEWER, None),
            "policy_expert": (Role.POLICY_EXPERT, None),
            "requester": (Role.REQUESTER, None),
            "qa_helper": (Role.QA_REVIEWER, None),  # gives the verdicts the role users dispute and decide
        }
        for who, (role, vendor) in people.items():
            user = create_user(session, SYSTEM, f"{who}-{tag}", role, vendor_id=vendor)
            usernames[who], user_ids[who] = user.username, user.id
        labelers = {}
        for who, vendor in (("labeler", vendor_a), ("a2", vendor_a), ("a3", vendor_a), ("b1", vendor_b)):
            lab = create_labeler(session, SYSTEM, vendor.id, f"{who}-{tag}", languages=["en"])
            labelers[who] = lab.id
            usernames[who], user_ids[who] = lab.external_id, lab.user_id or 0
        ids.update({f"labeler_{k}": v for k, v in labelers.items()})
        # one argon2 hash for everyone (each costs ~0.2 s of CPU): the same password signs any of them in
        session.execute(update(User).where(User.id.in_(user_ids.values())).values(password_hash=_password_hash()))
        for who, uid in user_ids.items():
            tokens[who] = create_token(session, session.get_one(User, uid), "access")[0]
        ids["helper_token"] = session.scalars(
            select(ApiToken.id).where(ApiToken.user_id == user_ids["qa_helper"])
        ).one()
        project = create_project(
            session,
            SYSTEM,
            ProjectSpec(name=f"access-{tag}", taxonomy=DEMO_TAXONOMY, overlap=3, vendors=[vendor_a.name]),
        )
        project.qa_rate = 1.0
        ids["project"] = project.id
        for who in ("qa_reviewer", "requester", "qa_helper"):
            add_member(session, SYSTEM, project.id, user_ids[who])

        items: dict[str, int] = {}
        for n in range(1, 13):
            item = Item(project_id=project.id, external_id=f"r{n}", content_text=f"text {n}", open_slots=3)
            session.add(item)
            session.flush()
            items[f"r{n}"] = item.id
        for n, value in enumerate(["1", "0", "-1", "-2", "-3", "0"], start=1):
            gold = Item(project_id=project.id, external_id=f"g{n}", content_text=f"gold {n}", is_gold=True)
            session.add(gold)
            session.flush()
            session.add(GoldAnswer(project_id=project.id, item_id=gold.id, answer={"abuse": value}))
            items[f"g{n}"] = gold.id
        ids.update({f"item_{k}": v for k, v in items.items()})
        votes = {
            "r1": {"labeler": "-1", "a2": "-1", "a3": "0"},
            "r2": {"labeler": "-2", "a2": "-2", "a3": "-2"},
            "r3": {"a2": "0", "a3": "-1"},
            "r4": {"a2": "1", "a3": "1"},
        }
        rows = [_label(project.id, items[i], labelers[w], v, now) for i, vs in votes.items() for w, v in vs.items()]
        session.execute(insert(Label), rows)
        for ext, vs in votes.items():
            session.execute(
                update(Item).where(Item.id == items[ext]).values(label_count=len(vs), open_slots=3 - len(vs))
            )
        ids["label_own"] = session.scalars(
            select(Label.id).where(Label.item_id == items["r1"], Label.labeler_id == labelers["labeler"])
        ).one()

    world = AccessWorld(engine, tag, tokens, usernames, user_ids, ids)
    _guidelines_and_training(world)
    _quality(world)
    _queue(world)
    _intake_and_planning(world)
    return world


def _guidelines_and_training(world: AccessWorld) -> None:
    pid = world.ids["project"]
    with Session(world.engine, expire_on_commit=False) as session, session.begin():
        guidelines.create_version(session, SYSTEM, pid, "1.0", "# Guideline 1.0")
        guidelines.publish_version(session, SYSTEM, pid, "1.0")
        guidelines.create_version(session, SYSTEM, pid, "1.1", "# Guideline 1.1")
        world.ids["proposal"] = guidelines.propose_example(
            session, pid, "1.1", "a borderline turn", "borderline", "sarcasm", "access-test"
        ).id
        labeler_id = world.ids["labeler_labeler"]
        world.ids["notice"] = session.scalars(select(GuidelineNotice.id).where(GuidelineNotice.project_id == pid)).one()
        spec = training.PlanSpec(project_start=date.today() + timedelta(days=14), quiz_size=3, require_for_queue=False)
        training.set_plan(session, SYSTEM, pid, spec)
        from safetyops.workforce.models import Labeler

        view = training.start_quiz(session, session.get_one(Project, pid), session.get_one(Labeler, labeler_id))
        world.ids["quiz_attempt"] = view.attempt_id


def _quality(world: AccessWorld) -> None:
    pid = world.ids["project"]
    helper = world.principal("qa_helper")
    labeler = world.principal("labeler")
    with Session(world.engine, expire_on_commit=False) as session, session.begin():
        run = quality.run_aggregation(session, SYSTEM, pid, method="mv", threshold=0.99)
        world.ids["aggregation_run"] = run["run_id"]
        world.ids["review_item"] = session.scalars(
            select(ExpertReview.id).where(ExpertReview.run_id == run["run_id"]).order_by(ExpertReview.id).limit(1)
        ).one()
        review.create_plan(session, SYSTEM, pid, datetime.now(UTC).date(), rate=1.0, seed=0)
        own = session.scalars(
            select(QaTask.id).where(QaTask.labeler_id == world.ids["labeler_labeler"]).order_by(QaTask.id)
        ).all()
        verdicts = []
        for task_id in own[:2]:
            review.submit_answer(session, helper, task_id, {"abuse": "-3"})
            verdicts.append(
                review.submit_verdict(session, helper, task_id, correct=False, error_type="false_positive")[
                    "verdict_id"
                ]
            )
        world.ids["verdict_open"], world.ids["verdict_disputed"] = verdicts
        world.ids["dispute"] = review.open_dispute(session, labeler, verdicts[1], "I followed rule 2")["dispute_id"]
        world.ids["qa_task"] = session.scalars(
            select(QaTask.id)
            .where(QaTask.project_id == pid, QaTask.reviewer_id.is_(None), QaTask.labeler_id != labeler.labeler_id)
            .order_by(QaTask.id.desc())
            .limit(1)
        ).one()
        cal = calibration.create_session(
            session, SYSTEM, pid, item_ids=[world.ids["item_r1"], world.ids["item_r3"]], title="access"
        )
        world.ids["calibration"] = cal["session_id"]
        csv = b"external_id,policy,score\nr1,harassment.abuse,0.9\nr2,harassment.abuse,0.8\nr4,harassment.abuse,0.1\n"
        world.ids["model_run"] = delivery.import_predictions(session, SYSTEM, pid, csv, "model.csv")["model_run_id"]


def _queue(world: AccessWorld) -> None:
    """Leases the labeler holds: for the API's submit, skip and release and the workbench's submit and skip."""
    labeler = world.principal("labeler")
    for name in ("lease_submit", "lease_skip", "lease_release", "lease_web_submit", "lease_web_skip"):
        task = work.next_task(world.engine, labeler, world.ids["project"])
        assert task is not None
        world.ids[name] = task["assignment_id"]


def _intake_and_planning(world: AccessWorld) -> None:
    with Session(world.engine, expire_on_commit=False) as session, session.begin():
        request = intake.file_request(
            session, world.principal("requester"), request_spec(world.tag), intake.load_rules()
        )
        world.ids["request"] = request.id
        today = date.today()
        doc = planning.create_plan(
            session, SYSTEM, PlanIn.model_validate({"from": today, "to": today + timedelta(days=30)})
        )
        world.ids["plan"] = doc["id"]


def request_spec(tag: str) -> RequestSpec:
    today = date.today()
    return RequestSpec.model_validate(
        {
            "title": f"request {tag}",
            "purpose": "evaluation",
            "policies": ["hate_speech"],
            "markets": ["GB"],
            "languages": ["en"],
            "volume": 100,
            "start": (today + timedelta(days=7)).isoformat(),
            "deadline": (today + timedelta(days=60)).isoformat(),
            "handling_time_s": 20,
        }
    )
