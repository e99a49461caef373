"""Laying a training plan's modules out on working days before a project starts.

Pure: dates and dataclasses only. Modules run one after another; the last one ends on the last working
day before the project's start, so the whole plan is scheduled backwards from go-live.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

WEEKDAYS = frozenset({0, 1, 2, 3, 4})  # Monday to Friday


@dataclass(frozen=True)
class ModuleSpec:
    key: str
    kind: str
    days: int
    title: str = ""


@dataclass(frozen=True)
class Slot:
    """A module placed on the calendar: first and last working day (inclusive)."""

    key: str
    kind: str
    title: str
    days: int
    start: date
    end: date
    # working days from the module's first day to the project start (e.g. 6 = six working days before)
    workdays_before_start: int


def is_workday(day: date, workdays: frozenset[int] = WEEKDAYS) -> bool:
    return day.weekday() in workdays


def previous_workday(day: date, workdays: frozenset[int] = WEEKDAYS) -> date:
    """The last working day strictly before `day`."""
    if not workdays:
        raise ValueError("a week needs at least one working day")
    day -= timedelta(days=1)
    while not is_workday(day, workdays):
        day -= timedelta(days=1)
    return day


def lay_out(modules: Sequence[ModuleSpec], project_start: date, workdays: frozenset[int] = WEEKDAYS) -> list[Slot]:
    """Each module's dates, in plan order, ending the working day before `project_start`."""
    for m in modules:
        if m.days < 1:
            raise ValueError(f"module '{m.key}' must last at least one working day")
    slots: list[Slot] = []
    cursor = project_start  # the day after the next module (walking backwards) must end
    before = 0
    for m in reversed(modules):
        end = previous_workday(cursor, workdays)
        start = end
        for _ in range(m.days - 1):
            start = previous_workday(start, workdays)
        before += m.days
        slots.append(Slot(m.key, m.kind, m.title or m.key, m.days, start, end, before))
        cursor = start
    slots.reverse()
    return slots


def training_starts(slots: Sequence[Slot]) -> date | None:
    return slots[0].start if slots else None


def is_late(slot: Slot, done: bool, today: date) -> bool:
    """A module is late when its last day has passed and it is not done."""
    return not done and today > slot.end
