"""What quality statistics are computed over, as plain data: a categorical question of the taxonomy, a period of
reporting days, and the labels on that question as integer arrays (a LabelFrame). Pure: no database."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import NDArray

from safetyops.errors import InvalidInput, Problem
from safetyops.guidelines.enums import QuestionType
from safetyops.guidelines.taxonomy import Question, Taxonomy

IntArray = NDArray[np.int64]


# ------------------------------------------------------------------------------------------------ question


@dataclass(frozen=True)
class QuestionInfo:
    """A categorical question: its choices in taxonomy order, their policies, and the severity order."""

    key: str
    type: str
    classes: tuple[str, ...]
    policies: tuple[str | None, ...]
    severities: tuple[int | None, ...]

    @property
    def level(self) -> str:
        return "ordinal" if self.type == QuestionType.ORDINAL.value else "nominal"

    def severity_order(self) -> list[int] | None:
        """Class codes from most to least severe (severity field first, else ordinal position), or None."""
        n = len(self.classes)
        if any(s is not None for s in self.severities):
            return sorted(range(n), key=lambda i: (-(self.severities[i] or 0), -i))
        if self.type == QuestionType.ORDINAL.value:
            return list(range(n - 1, -1, -1))
        return None

    def positive(self, policy: str) -> NDArray[np.bool_]:
        """Per class: does this choice mean the content violates `policy` (its policy, severity above 0)?"""
        return np.array(
            [p == policy and (s is None or s > 0) for p, s in zip(self.policies, self.severities, strict=True)]
        )


def question_info(taxonomy: Mapping[str, Any], key: str | None) -> QuestionInfo:
    """The question `key` of a project's taxonomy (its first categorical question when None), checked to be
    single-choice or ordinal: the statistics count answers among a fixed list of choices."""
    parsed = Taxonomy.model_validate(taxonomy)
    categorical = (QuestionType.SINGLE_CHOICE, QuestionType.ORDINAL)
    q: Question | None
    if key is None:
        q = next((q for q in parsed.questions if q.type in categorical), None)
        if q is None:
            raise InvalidInput("this project has no single-choice or ordinal question to measure")
    else:
        q = parsed.question(key)
        if q is None:
            keys = ", ".join(q.key for q in parsed.questions)
            raise InvalidInput(f"no question '{key}' in this project (questions: {keys})", [Problem("", "question")])
        if q.type not in categorical:
            raise InvalidInput(
                f"question '{key}' is {q.type.value}; quality statistics need a single-choice or ordinal question",
                [Problem("not categorical", "question")],
            )
    return QuestionInfo(
        q.key,
        q.type.value,
        tuple(c.value for c in q.choices),
        tuple(c.policy for c in q.choices),
        tuple(c.severity for c in q.choices),
    )


# ------------------------------------------------------------------------------------------------ period


def period_bounds(tz: str, date_from: date | None, date_to: date | None) -> tuple[datetime | None, datetime | None]:
    """UTC bounds [from 00:00, to + 1 day 00:00) of a period of days cut in the project's reporting zone."""
    zone = ZoneInfo(tz or "UTC")
    if date_from and date_to and date_to < date_from:
        raise InvalidInput(
            f"the period ends ({date_to}) before it starts ({date_from})", [Problem("before 'from'", "to")]
        )
    start = datetime.combine(date_from, time(), zone).astimezone(UTC) if date_from else None
    end = datetime.combine(date_to + timedelta(days=1), time(), zone).astimezone(UTC) if date_to else None
    return start, end


def local_days(times: list[datetime], tz: str) -> list[str]:
    """The reporting-zone day (ISO date) of each time."""
    zone = ZoneInfo(tz or "UTC")
    return [t.astimezone(zone).date().isoformat() for t in times]


# ------------------------------------------------------------------------------------------------ labels


@dataclass(frozen=True, eq=False)
class LabelFrame:
    """The latest label per (item, labeler) as parallel integer arrays, sorted by (item, labeler);
    `codes` index `question.classes`."""

    question: QuestionInfo
    items: IntArray
    labelers: IntArray
    codes: IntArray
    unanswered: int = 0
    times: list[datetime] | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return len(self.items)

    def item_codes(self) -> tuple[IntArray, IntArray]:
        """Distinct item ids and each row's index into them (items are sorted: one pass, no sort)."""
        return sorted_codes(self.items)

    def labeler_codes(self) -> tuple[IntArray, IntArray]:
        """Distinct labeler ids and each row's index into them."""
        return small_codes(self.labelers)

    def without(self, rows: NDArray[np.bool_]) -> LabelFrame:
        """The same frame less the rows where `rows` is true (times dropped)."""
        keep = ~rows
        return LabelFrame(self.question, self.items[keep], self.labelers[keep], self.codes[keep])


def sorted_codes(values: IntArray) -> tuple[IntArray, IntArray]:
    """np.unique(values, return_inverse=True) for an already sorted array, in O(n)."""
    if len(values) == 0:
        return values.copy(), np.zeros(0, np.int64)
    starts = np.empty(len(values), bool)
    starts[0] = True
    np.not_equal(values[1:], values[:-1], out=starts[1:])
    return values[starts], np.cumsum(starts, dtype=np.int64) - 1


def small_codes(values: IntArray) -> tuple[IntArray, IntArray]:
    """np.unique(values, return_inverse=True) for non-negative ids of moderate size, by counting (no sort)."""
    if len(values) == 0:
        return values.copy(), np.zeros(0, np.int64)
    if values.min() < 0 or values.max() > 8 * len(values) + 1_000_000:
        uniq, inv = np.unique(values, return_inverse=True)
        return uniq, inv.reshape(-1).astype(np.int64)
    ids = np.flatnonzero(np.bincount(values)).astype(np.int64)
    lookup = np.zeros(int(ids[-1]) + 1, np.int64)
    lookup[ids] = np.arange(len(ids))
    return ids, lookup[values]


def on_gold(frame: LabelFrame, gold: Mapping[int, int]) -> tuple[NDArray[np.bool_], IntArray]:
    """Which rows label a gold item, and the gold class of each of those rows (in row order)."""
    gold_ids = np.array(sorted(gold), np.int64)
    gold_codes = np.array([gold[i] for i in gold_ids.tolist()], np.int64)
    pos = np.searchsorted(gold_ids, frame.items)
    hit = np.zeros(len(frame), bool)
    if len(gold_ids):
        hit = (pos < len(gold_ids)) & (gold_ids[np.minimum(pos, len(gold_ids) - 1)] == frame.items)
    return hit, gold_codes[pos[hit]]
