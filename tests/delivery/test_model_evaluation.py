"""Model evaluation over the database, on SQLite and PostgreSQL: predictions are imported all or nothing and
compared with the final human labels of the quality area's newest aggregation (the quality test world)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from safetyops.delivery import service as delivery
from safetyops.delivery.models import ModelPrediction, ModelRun
from safetyops.errors import Forbidden, InvalidInput
from safetyops.quality import service
from tests.quality.test_service import DAY2, QWorld, world  # noqa: F401  (fixture)


def test_model_predictions_all_or_nothing_and_evaluation(world: QWorld) -> None:  # noqa: F811
    ops = world.principal("ops")
    bad = b"external_id,policy,score\ni1,harassment.abuse,0.2\nnope,harassment.abuse,0.3\n"
    bad += b"i2,spam,0.1\ni3,harassment.abuse,1.7\n"
    with Session(world.engine) as s, s.begin():
        with pytest.raises(InvalidInput) as err:
            delivery.import_predictions(s, ops, world.project_id, bad, "preds.csv")
        where = {(p.line, p.field) for p in err.value.problems}
        assert where == {(3, "external_id"), (4, "policy"), (5, "score")}
        assert all(p.file == "preds.csv" for p in err.value.problems)
        with pytest.raises(InvalidInput) as err:
            delivery.import_predictions(s, ops, world.project_id, b'{"external_id": "i1"}\nnot json\n', "p.jsonl")
        assert {(p.line, p.field) for p in err.value.problems} == {(1, "policy"), (2, None)}
        with pytest.raises(InvalidInput):
            delivery.import_predictions(s, ops, world.project_id, b"id,score\n1,0.5\n", "p.csv")
        with pytest.raises(InvalidInput) as err:
            delivery.import_predictions(
                s, ops, world.project_id, b"external_id,policy,label\ni1,harassment.abuse,maybe\n", "p.csv"
            )
        assert [(p.line, p.field) for p in err.value.problems] == [(2, "label")]
        with pytest.raises(Forbidden):
            delivery.import_predictions(s, world.principal("lead_a"), world.project_id, b"", "p.csv")
    with Session(world.engine) as s:
        assert s.scalar(select(func.count()).select_from(ModelRun)) == 0
        assert s.scalar(select(func.count()).select_from(ModelPrediction)) == 0
    scores = {"i1": 0.1, "i2": 0.8, "i3": 0.95, "i4": 0.6, "i5": 0.4, "i6": 0.05}
    lines = "\n".join(
        f'{{"external_id": "{k}", "policy": "harassment.abuse", "score": {v}}}' for k, v in scores.items()
    )
    with Session(world.engine) as s, s.begin(), pytest.raises(InvalidInput):  # evaluation needs final labels
        run = delivery.import_predictions(s, ops, world.project_id, lines.encode(), "m.jsonl", "v1")
        delivery.evaluate_model(s, ops, run["model_run_id"])
    with Session(world.engine) as s, s.begin():
        service.run_aggregation(s, ops, world.project_id, method="mv", tie="severity", date_from=DAY2)
        run = delivery.import_predictions(s, ops, world.project_id, lines.encode(), "m.jsonl", "v1")
        res = delivery.evaluate_model(s, ops, run["model_run_id"])
        pol = res["policies"][0]
        # humans (MV, severity ties): i1 "1", i2 "-1", i3 "-3", i4 "-1", i5 "-2", i6 "1" → positives i2 i3 i4 i5
        assert pol["n_compared"] == 6 and pol["confusion"] == {"tp": 3, "fp": 0, "fn": 1, "tn": 2}
        assert pol["precision"] == 1.0 and pol["recall"] == 0.75
        assert pol["threshold_for_target"] == {"threshold": 0.4, "precision": 1.0, "recall": 1.0}
        assert pol["disagreements"][0]["external_id"] == "i5"
        assert pol["pr_curve"]["thresholds"] == [0.95, 0.8, 0.6, 0.4, 0.1, 0.05]
