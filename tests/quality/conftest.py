"""Shared fixtures and published data sets for the quality-engine tests."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from safetyops.data import convabuse_csv

# Published data sets kept with the tests (tests/data/README.md says what each is and under which licence).
DATA = Path(__file__).resolve().parents[1] / "data"
NAN = np.nan

# Krippendorff (2011) / Wikipedia reliability matrices: rows are coders, columns are units.
KRIPP_A = [[0, 1, 0, 0, 0, 0, 0, 0, 1, 0], [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]]
KRIPP_B = [[1, 1, 2, 2, 4, 3, 3, 3, 5, 4, 4, 1], [2, 1, 2, 2, 2, 3, 3, 3, 5, 4, 4, 4]]
KRIPP_C = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, NAN, NAN, NAN],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NAN, 3],
    [NAN, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NAN],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NAN],
]
KRIPP_D = [
    [NAN, NAN, NAN, NAN, NAN, 3, 4, 1, 2, 1, 1, 3, 3, NAN, 3],
    [1, NAN, 2, 1, 3, 3, 4, 3, NAN, NAN, NAN, NAN, NAN, NAN, NAN],
    [NAN, NAN, 2, 1, 3, 4, 4, NAN, 2, 1, 1, 3, 3, NAN, 4],
]

# Fleiss (1971) Table 1: the six ratings of each of 30 patients, diagnoses 1..5.
# fmt: off
FLEISS_1971 = [
    [4, 4, 4, 4, 4, 4], [2, 2, 2, 5, 5, 5], [2, 3, 3, 3, 3, 5], [5, 5, 5, 5, 5, 5], [2, 2, 2, 4, 4, 4],
    [1, 1, 3, 3, 3, 3], [3, 3, 3, 3, 5, 5], [1, 1, 3, 3, 3, 4], [1, 1, 4, 4, 4, 4], [5, 5, 5, 5, 5, 5],
    [1, 4, 4, 4, 4, 4], [1, 2, 4, 4, 4, 4], [2, 2, 2, 3, 3, 3], [1, 4, 4, 4, 4, 4], [2, 2, 4, 4, 4, 5],
    [3, 3, 3, 3, 3, 5], [1, 1, 1, 4, 5, 5], [1, 1, 1, 1, 1, 2], [2, 2, 4, 4, 4, 4], [1, 3, 3, 5, 5, 5],
    [5, 5, 5, 5, 5, 5], [2, 4, 4, 4, 4, 4], [2, 2, 4, 5, 5, 5], [1, 1, 4, 4, 4, 4], [1, 4, 4, 4, 4, 5],
    [2, 2, 2, 2, 2, 4], [1, 1, 1, 1, 5, 5], [2, 2, 4, 4, 4, 4], [1, 3, 3, 3, 3, 3], [5, 5, 5, 5, 5, 5],
]
FLEISS_WIKI = [
    [0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7],
]
# fmt: on


def fleiss_1971_counts() -> np.ndarray:
    ratings = np.asarray(FLEISS_1971)
    return np.stack([(ratings == k).sum(axis=1) for k in range(1, 6)], axis=1)


@pytest.fixture(scope="session")
def convabuse() -> dict[str, np.ndarray]:
    """ConvAbuse (Cercas Curry, Abercrombie & Rieser, EMNLP 2021; CC BY 4.0) as integer-coded arrays.

    An item is one user turn in its context (conv_id, prev_agent, prev_user, agent, user): 4,185 items,
    each labeled by 2–7 annotators; repeat annotations by the same annotator are dropped (first kept).
    The 5-level abuse scale is one-hot in is_abuse.{1,0,-1,-2,-3}.
    """
    pd = pytest.importorskip("pandas")
    frame = pd.read_csv(io.BytesIO(convabuse_csv()))  # the copy the package ships
    keys = ["conv_id", "prev_agent", "prev_user", "agent", "user"]
    item = frame.groupby(keys, dropna=False, sort=True).ngroup().to_numpy()
    levels = [1, 0, -1, -2, -3]
    onehot = frame[[f"is_abuse.{v}" for v in levels]].to_numpy()
    assert (onehot.sum(axis=1) == 1).all()
    score = np.asarray(levels)[onehot.argmax(axis=1)]
    rater = frame["annotator_id"].str.replace("Annotator", "").astype(int).to_numpy() - 1
    first = np.sort(np.unique(item * 8 + rater, return_index=True)[1])
    return {"item": item[first], "rater": rater[first], "score": score[first], "n_items": int(item.max() + 1)}
