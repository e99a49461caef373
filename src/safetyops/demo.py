"""The demo: users, a vendor, labelers and a project built from the ConvAbuse data shipped in the package."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session

from safetyops.auth.enums import Role
from safetyops.auth.principal import SYSTEM
from safetyops.auth.service import create_token, create_user
from safetyops.data import convabuse_rows
from safetyops.db.base import utcnow
from safetyops.guidelines import service as guidelines
from safetyops.projects.models import Batch, Item, Project
from safetyops.projects.schemas import DataCredit, ProjectSpec
from safetyops.projects.service import create_project
from safetyops.work.enums import AssignmentStatus
from safetyops.work.models import Assignment, Label
from safetyops.workforce.service import create_labeler, create_site, create_vendor

DEMO_PROJECT = "ConvAbuse demo"
DEMO_PASSWORD = "safetyops-demo"
# The demo project carries this credit as data (migration 0007 gives it to demo projects loaded before).
DATA_CREDIT = DataCredit(
    source="ConvAbuse — Cercas Curry, Abercrombie & Rieser, EMNLP 2021",
    link="https://aclanthology.org/2021.emnlp-main.587/",
    licence="CC BY 4.0",
    licence_link="https://creativecommons.org/licenses/by/4.0/",
)
CREDIT = DATA_CREDIT.text()
# The 5-level ConvAbuse scale, least to most severe, as an ordinal question: value, label (en, zh-Hans, bn),
# severity, exposure tier.
ABUSE_LEVELS = [
    ("1", ("Not abusive", "不具辱骂性", "অপমানজনক নয়"), 0, 0),
    ("0", ("Ambiguous", "难以判断", "অস্পষ্ট"), 1, 1),
    ("-1", ("Mildly abusive", "轻度辱骂", "সামান্য অপমানজনক"), 2, 1),
    ("-2", ("Strongly abusive", "严重辱骂", "তীব্রভাবে অপমানজনক"), 3, 2),
    ("-3", ("Very strongly abusive", "极其严重的辱骂", "অত্যন্ত তীব্রভাবে অপমানজনক"), 4, 3),
]
TYPES = ["ableism", "homophobic", "intellectual", "racist", "sexist", "sex_harassment", "transphobic"]
TARGETS = ["generalised", "individual", "system"]
# What labelers read, in English, Simplified Chinese and Bengali (guidelines/texts.py): the words of the
# ConvAbuse annotation scheme (Cercas Curry et al. 2021), never the raw keys.
_LANGS = ("en", "zh-Hans", "bn")
_TYPE_LABELS = {
    "ableism": ("Ableism", "歧视残障人士", "প্রতিবন্ধিতা-বিদ্বেষ"),
    "homophobic": ("Homophobic", "恐同", "সমকামী-বিদ্বেষী"),
    "intellectual": ("Mocks intelligence", "贬低智力", "বুদ্ধি নিয়ে বিদ্রূপ"),
    "racist": ("Racist", "种族歧视", "বর্ণবাদী"),
    "sexist": ("Sexist", "性别歧视", "লিঙ্গবৈষম্যমূলক"),
    "sex_harassment": ("Sexual harassment", "性骚扰", "যৌন হয়রানি"),
    "transphobic": ("Transphobic", "歧视跨性别者", "ট্রান্সজেন্ডার-বিদ্বেষী"),
}
_TARGET_LABELS = {
    "generalised": ("A group of people", "某个群体（泛指）", "একটি জনগোষ্ঠী (সাধারণভাবে)"),
    "individual": ("The agent or one person", "对话助手或某个人", "এজেন্ট বা নির্দিষ্ট কোনো ব্যক্তি"),
    "system": ("The system itself", "系统本身", "সিস্টেম নিজেই"),
}


def _texts(*texts: str) -> dict[str, str]:
    return dict(zip(_LANGS, texts, strict=True))


DEMO_TAXONOMY: dict[str, Any] = {
    "questions": [
        {
            "key": "abuse",
            "type": "ordinal",
            "prompt": _texts(
                "How abusive is the user's turn?", "用户这句话的辱骂程度如何？", "ব্যবহারকারীর এই কথাটি কতটা অপমানজনক?"
            ),
            "help": _texts(
                "Label the user's last turn; read the earlier turns as context.",
                "请标注用户的最后一句话，前面的对话仅作为上下文参考。",
                "ব্যবহারকারীর শেষ কথাটি লেবেল করুন; আগের কথাগুলো প্রসঙ্গ হিসেবে পড়ুন।",
            ),
            "choices": [
                {
                    "value": v,
                    "label": _texts(*labels),
                    "severity": sev,
                    "exposure_tier": tier,
                    "policy": "harassment.abuse",
                }
                for v, labels, sev, tier in ABUSE_LEVELS
            ],
        },
        {
            "key": "type",
            "type": "multi_choice",
            "prompt": _texts("Type of abuse", "辱骂类型", "অপমানের ধরন"),
            "required": False,
            "choices": [{"value": t, "label": _texts(*_TYPE_LABELS[t])} for t in TYPES],
        },
        {
            "key": "target",
            "type": "single_choice",
            "prompt": _texts("Who is targeted?", "针对的是谁？", "কাকে লক্ষ্য করা হয়েছে?"),
            "required": False,
            "choices": [{"value": t, "label": _texts(*_TARGET_LABELS[t])} for t in TARGETS],
        },
        {
            "key": "rationale",
            "type": "free_text",
            "prompt": _texts("Why (optional)", "理由（选填）", "কারণ (ঐচ্ছিক)"),
            "required": False,
            "max_length": 1000,
        },
    ]
}


DEMO_GUIDELINE = f"""# Abuse towards conversational agents — guideline 1.0

Label the **user's last turn**, reading the earlier turns as context.

| level | meaning |
|---|---|
| 1 — not abusive | no abuse, including rude but non-abusive language |
| 0 — ambiguous | could be abusive or not; the context does not decide it |
| −1 — mildly abusive | mild insults, dismissive or belittling language |
| −2 — strongly abusive | strong insults, slurs aimed at the agent or a group, sexual remarks |
| −3 — very strongly abusive | threats, sustained sexual harassment, hate towards a protected group |

When the turn is abusive, also mark the **type** (sexist, racist, …) and the **target**
(the agent or an individual, a generalised group, or the system itself).

Data: {CREDIT}. The texts are abusive by design; take the breaks your wellbeing settings offer.
"""


@dataclass
class DemoItem:
    external_id: str
    text: str
    context: list[dict[str, str]]
    source: str
    labels: dict[str, dict[str, Any]] = field(default_factory=dict)


def read_convabuse() -> list[DemoItem]:
    """One item per (conversation, user turn); one label per annotator (repeat annotations dropped)."""
    items: dict[str, DemoItem] = {}
    for row in convabuse_rows():
        key = f"{row['conv_id']}|{row['user']}"
        item = items.get(key)
        if item is None:
            context = [
                {"speaker": "agent", "text": row["prev_agent"]},
                {"speaker": "user", "text": row["prev_user"]},
                {"speaker": "agent", "text": row["agent"]},
            ]
            item = DemoItem(f"convabuse-{len(items) + 1:05d}", row["user"], context, row["bot"])
            items[key] = item
        item.labels.setdefault(row["annotator_id"], _answer(row))
    return list(items.values())


def _answer(row: dict[str, str]) -> dict[str, Any]:
    level = next((v for v, *_ in ABUSE_LEVELS if row.get(f"is_abuse.{v}") == "1"), "1")
    answer: dict[str, Any] = {"abuse": level}
    types = [t for t in TYPES if row.get(f"type.{t}") == "1"]
    if types:
        answer["type"] = types
    target = next((t for t in TARGETS if row.get(f"target.{t}") == "1"), None)
    if target:
        answer["target"] = target
    return answer


def demo_exists(engine: Engine) -> bool:
    with Session(engine) as session:
        return session.scalar(select(Project.id).where(Project.name == DEMO_PROJECT)) is not None


def load_demo(engine: Engine, overlap: int = 3) -> dict[str, Any]:
    """Create the demo in one transaction; returns the sign-in names and an ops token."""
    demo_items = read_convabuse()
    annotators = sorted({a for it in demo_items for a in it.labels}, key=lambda a: int(a.removeprefix("Annotator")))
    with Session(engine, expire_on_commit=False) as session, session.begin():
        # The demo is loaded from the command line, so the system creates it (auth.principal.SYSTEM).
        create_user(session, SYSTEM, "admin", Role.ADMIN, password=DEMO_PASSWORD)
        ops = create_user(session, SYSTEM, "ops", Role.OPS_MANAGER, password=DEMO_PASSWORD)
        vendor = create_vendor(session, SYSTEM, "Demo BPO", ["EU"])
        site = create_site(session, SYSTEM, vendor.id, "Edinburgh", country="GB", timezone="Europe/London")
        create_user(session, SYSTEM, "vendor.lead", Role.VENDOR_MANAGER, password=DEMO_PASSWORD, vendor_id=vendor.id)
        create_user(session, SYSTEM, "qa", Role.QA_REVIEWER, password=DEMO_PASSWORD)
        create_user(session, SYSTEM, "policy", Role.POLICY_EXPERT, password=DEMO_PASSWORD)
        create_user(session, SYSTEM, "requester", Role.REQUESTER, password=DEMO_PASSWORD)
        labelers = {
            name: create_labeler(
                session,
                SYSTEM,
                vendor.id,
                name.lower(),
                password=DEMO_PASSWORD,
                name=name,
                languages=["en"],
                markets=["GB"],
                site_id=site.id,
            ).id
            for name in annotators
        }
        spec = ProjectSpec(
            name=DEMO_PROJECT,
            description=f"Abuse in conversations with chat agents. Data: {CREDIT}.",
            taxonomy=DEMO_TAXONOMY,
            overlap=overlap,
            gold_rate=0.0,
            lease_minutes=30,
            languages=["en"],
            markets=["GB"],
            vendors=[vendor.name],
            reporting_tz="Europe/London",
            data_credit=DATA_CREDIT,
        )
        project = create_project(session, SYSTEM, spec)
        version = guidelines.create_version(session, SYSTEM, project.id, "1.0", DEMO_GUIDELINE)
        version.published_at = utcnow()
        counts = _insert_items_and_labels(session, project, demo_items, labelers, overlap)
        ops_token, _ = create_token(session, ops, "demo")
    final = _aggregate(engine, project.id)
    return {"project_id": project.id, "ops_token": ops_token, "labelers": list(labelers), **counts, **final}


def _aggregate(engine: Engine, project_id: int) -> dict[str, Any]:
    """Dawid–Skene final labels for the historical annotations; unsure items go to expert review."""
    from safetyops.quality.service import run_aggregation

    with Session(engine) as session, session.begin():
        run = run_aggregation(session, SYSTEM, project_id, method="ds", threshold=0.6)
    return {"aggregation": run}


def _insert_items_and_labels(
    session: Session, project: Project, demo_items: list[DemoItem], labelers: dict[str, int], overlap: int
) -> dict[str, int]:
    """Historical ConvAbuse annotations become labels; items still short of the overlap stay open."""
    batch = Batch(project_id=project.id, kind="items", filename="ConvAbuseEMNLPfull.csv.gz", file_format="csv")
    session.add(batch)
    session.flush()
    now = utcnow()
    rows = []
    for it in demo_items:
        done = min(len(it.labels), overlap)
        rows.append(
            {
                "project_id": project.id,
                "batch_id": batch.id,
                "external_id": it.external_id,
                "content_text": it.text,
                "context": it.context,
                "source": it.source,
                "language": "en",
                "market": "GB",
                "priority": 0,
                "is_gold": False,
                "open_slots": overlap - done,
                "label_count": done,
                "created_at": now,
            }
        )
    session.execute(insert(Item), rows)
    ids = dict(session.execute(select(Item.external_id, Item.id).where(Item.project_id == project.id)).all())
    per_item: dict[int, list[tuple[int, dict[str, Any]]]] = defaultdict(list)
    for it in demo_items:
        for annotator, answer in list(it.labels.items())[:overlap]:
            per_item[ids[it.external_id]].append((labelers[annotator], answer))
    assignments = [
        {
            "project_id": project.id,
            "item_id": item_id,
            "labeler_id": lab,
            "is_gold": False,
            "status": AssignmentStatus.SUBMITTED.value,
            "leased_at": now,
            "expires_at": now,
            "finished_at": now,
        }
        for item_id, pairs in per_item.items()
        for lab, _ in pairs
    ]
    session.execute(insert(Assignment), assignments)
    lease_ids = {
        (r.item_id, r.labeler_id): r.id
        for r in session.execute(
            select(Assignment.id, Assignment.item_id, Assignment.labeler_id).where(Assignment.project_id == project.id)
        )
    }
    labels = [
        {
            "project_id": project.id,
            "item_id": item_id,
            "labeler_id": lab,
            "assignment_id": lease_ids[(item_id, lab)],
            "answer": answer,
            "time_spent_ms": 0,
            "guideline_version": project.guideline_version,
            "idempotency_key": f"convabuse-{item_id}-{lab}",
            "is_gold": False,
            "created_at": now,
        }
        for item_id, pairs in per_item.items()
        for lab, answer in pairs
    ]
    session.execute(insert(Label), labels)
    batch.rows_read = batch.rows_added = len(rows)
    return {"items": len(rows), "labels": len(labels)}
