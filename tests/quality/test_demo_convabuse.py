"""ConvAbuse end to end, on SQLite and PostgreSQL: the demo project's 11,131 historical labels by 8 annotators.

Per-annotator accuracy against the aggregated (Dawid–Skene) label, pairwise agreement, Krippendorff's α on the
5-level scale (ordinal and nominal, checked against the `krippendorff` package) and stored final labels.
Data: ConvAbuse — Cercas Curry, Abercrombie & Rieser, EMNLP 2021, CC BY 4.0.
"""

from __future__ import annotations

import krippendorff
import numpy as np
import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

import safetyops.auth.service as auth_service
from safetyops.auth.principal import SYSTEM as OPS
from safetyops.demo import ABUSE_LEVELS, load_demo, read_convabuse
from safetyops.projects.models import Project
from safetyops.quality import agreement as ag
from safetyops.quality import service
from safetyops.quality.frame import question_info
from safetyops.quality.loading import load_labels
from safetyops.quality.models import FinalLabel
from safetyops.quality.report import project_report

LEVELS = [v for v, *_ in ABUSE_LEVELS]  # least → most severe, as the taxonomy lists them


def _reference_matrix(overlap: int = 3) -> tuple[np.ndarray, list[str]]:
    """Annotators × items matrix of level codes (NaN: not rated), as the demo stores them."""
    items = read_convabuse()
    annotators = sorted({a for it in items for a in it.labels}, key=lambda a: int(a.removeprefix("Annotator")))
    col = {a: n for n, a in enumerate(annotators)}
    data = np.full((len(annotators), len(items)), np.nan)
    for j, it in enumerate(items):
        for annotator, answer in list(it.labels.items())[:overlap]:
            data[col[annotator], j] = LEVELS.index(answer["abuse"])
    return data, annotators


def test_convabuse_end_to_end(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    # the demo signs in 14 people; a cheap hasher keeps the test about statistics, not password hashing
    monkeypatch.setattr(auth_service, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    demo = load_demo(engine)
    assert demo["items"] == 4059 and demo["labels"] == 11131
    pid = demo["project_id"]
    reference, annotators = _reference_matrix()

    with Session(engine) as s, s.begin():
        project = s.get_one(Project, pid)
        q = question_info(project.taxonomy, "abuse")
        frame = load_labels(s, project, q)
        assert len(frame) == 11131
        counts = ag.count_matrix(np.unique(frame.items, return_inverse=True)[1].reshape(-1), frame.codes, 4059, 5)
        for level in ("ordinal", "nominal"):
            ours = ag.krippendorff_alpha_counts(counts, np.arange(5.0), level, bootstrap=0).value
            theirs = krippendorff.alpha(reliability_data=reference, level_of_measurement=level)
            assert ours == pytest.approx(theirs, abs=1e-9)

        res = service.agreement(s, OPS, pid, bootstrap=200)
        assert res["level"] == "ordinal" and res["n_labelers"] == 8 and res["n_items"] == 4059
        assert res["alpha"]["value"] == pytest.approx(
            krippendorff.alpha(reliability_data=reference, level_of_measurement="ordinal"), abs=1e-9
        )
        assert res["alpha"]["ci_low"] < res["alpha"]["value"] < res["alpha"]["ci_high"]
        assert 0.7 < res["percent"]["value"] < 0.85  # every statistic is shown with percent agreement beside it
        pairs = {(p["rater_a"], p["rater_b"]): p for p in res["pairwise"]}
        a, b = annotators[0], annotators[1]
        both = ~np.isnan(reference[0]) & ~np.isnan(reference[1])
        expected = float((reference[0][both] == reference[1][both]).mean())
        assert pairs[(a, b)]["n"] == int(both.sum()) and pairs[(a, b)]["percent_agreement"] == pytest.approx(expected)

        run = service.run_aggregation(s, OPS, pid, method="ds", threshold=0.6)
        assert run["converged"] and run["iterations"] > 1 and run["log_likelihood"] < 0
        stored = s.scalar(select(func.count()).select_from(FinalLabel).where(FinalLabel.run_id == run["run_id"]))
        assert stored == 4059
        acc = service.accuracy(s, OPS, pid, against="final")
        per = {r["name"]: r for r in acc["groups"]}
        assert set(per) == set(annotators)
        assert sum(r["n"] for r in per.values()) == 11131
        for row in per.values():
            assert row["ci_low"] < row["accuracy"] < row["ci_high"] and 0.6 < row["accuracy"] <= 1.0

        rep = project_report(s, OPS, pid)
        assert "CC BY 4.0" in rep["data_credit"]
        assert rep["aggregation"]["run_id"] == run["run_id"]
        assert rep["agreement"]["alpha"]["value"] == pytest.approx(res["alpha"]["value"])
