"""A project with gold items and answers, labelers in training, for training and guideline tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from safetyops.projects.models import GoldAnswer, Item
from safetyops.workforce.models import Labeler
from tests.world import QueueWorld, add_gold, make_world

GOLD_ANSWERS = ["1", "0", "-1", "-2", "-3"]


@dataclass
class TrainingWorld:
    queue: QueueWorld
    labeler_ids: list[int]
    gold: dict[int, str]  # item id -> the right value of 'abuse'

    @property
    def engine(self) -> Engine:
        return self.queue.engine

    @property
    def project_id(self) -> int:
        return self.queue.project_id

    def right_answers(self, item_ids: list[int]) -> list[dict[str, str]]:
        return [{"abuse": self.gold[i]} for i in item_ids]

    def wrong_answers(self, item_ids: list[int]) -> list[dict[str, str]]:
        return [{"abuse": "1" if self.gold[i] != "1" else "0"} for i in item_ids]


def training_world(engine: Engine, *, labelers: int = 2, gold: int = 10, status: str = "training") -> TrainingWorld:
    world = make_world(engine, labelers=labelers, items=5)
    add_gold(world, gold)
    with Session(engine) as session, session.begin():
        gold_ids = list(
            session.scalars(select(Item.id).where(Item.project_id == world.project_id, Item.is_gold).order_by(Item.id))
        )
        answers = {iid: GOLD_ANSWERS[n % len(GOLD_ANSWERS)] for n, iid in enumerate(gold_ids)}
        session.add_all(
            GoldAnswer(project_id=world.project_id, item_id=iid, answer={"abuse": value})
            for iid, value in answers.items()
        )
        ids = [p.labeler_id for p in world.principals if p.labeler_id is not None]
        session.execute(update(Labeler).where(Labeler.id.in_(ids)).values(status=status))
    return TrainingWorld(world, ids, answers)


MONDAY = date(2026, 12, 7)
