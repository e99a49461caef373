"""The training timeline on a hand-computed case (pure, no database)."""

from __future__ import annotations

from datetime import date

import pytest

from safetyops.workforce.timeline import ModuleSpec, is_late, lay_out, previous_workday, training_starts

MODULES = [
    ModuleSpec("read", "read_guideline", 1),
    ModuleSpec("examples", "study_examples", 1),
    ModuleSpec("quiz", "quiz", 1),
    ModuleSpec("shadowing", "shadowing", 2),
    ModuleSpec("calibration", "calibration", 1),
]


def test_modules_end_the_working_day_before_go_live_skipping_weekends() -> None:
    # Project starts Monday 7 Dec 2026. Backwards on working days:
    # calibration Fri 4; shadowing Wed 2 - Thu 3; quiz Tue 1; examples Mon 30 Nov; read Fri 27 Nov.
    slots = lay_out(MODULES, date(2026, 12, 7))
    got = [(s.key, s.start, s.end, s.workdays_before_start) for s in slots]
    assert got == [
        ("read", date(2026, 11, 27), date(2026, 11, 27), 6),
        ("examples", date(2026, 11, 30), date(2026, 11, 30), 5),
        ("quiz", date(2026, 12, 1), date(2026, 12, 1), 4),
        ("shadowing", date(2026, 12, 2), date(2026, 12, 3), 3),
        ("calibration", date(2026, 12, 4), date(2026, 12, 4), 1),
    ]
    assert training_starts(slots) == date(2026, 11, 27)


def test_a_module_spanning_a_weekend_and_a_weekend_start() -> None:
    # Start Saturday 12 Dec: last working day before is Fri 11; a 3-day module runs Wed 9 - Fri 11,
    # and a 2-day module before it Mon 7 - Tue 8.
    slots = lay_out([ModuleSpec("a", "quiz", 2), ModuleSpec("b", "shadowing", 3)], date(2026, 12, 12))
    assert [(s.start, s.end) for s in slots] == [
        (date(2026, 12, 7), date(2026, 12, 8)),
        (date(2026, 12, 9), date(2026, 12, 11)),
    ]
    # a 4-day module ending Tue 8 Dec starts Thu 3 Dec (Thu, Fri, Mon, Tue)
    slots = lay_out([ModuleSpec("c", "quiz", 4)], date(2026, 12, 9))
    assert (slots[0].start, slots[0].end) == (date(2026, 12, 3), date(2026, 12, 8))


def test_lateness_and_bad_input() -> None:
    slot = lay_out([ModuleSpec("q", "quiz", 1)], date(2026, 12, 7))[0]
    assert not is_late(slot, done=False, today=date(2026, 12, 4))
    assert is_late(slot, done=False, today=date(2026, 12, 5))
    assert not is_late(slot, done=True, today=date(2026, 12, 5))
    assert previous_workday(date(2026, 12, 7)) == date(2026, 12, 4)
    with pytest.raises(ValueError, match="at least one working day"):
        lay_out([ModuleSpec("x", "quiz", 0)], date(2026, 12, 7))
    assert lay_out([], date(2026, 12, 7)) == []
