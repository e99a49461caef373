"""Named patterns: each matches its story and nothing else."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from safetyops.monitoring.anomaly import Anomaly, Evidence, Kind, Slice
from safetyops.monitoring.checks import MonitoringInputError
from safetyops.monitoring.patterns import Context, GuidelineChange, PlatformIssue, match_patterns

DAY = date(2026, 3, 10)


def _a(
    metric: str,
    sl: Slice,
    direction: str,
    kind: Kind,
    observed: float,
    expected: float,
    day: date = DAY,
    since: date | None = None,
) -> Anomaly:
    evidence = Evidence(observed, expected, None, None, 100, -5.0, 1e-6, 1e-5, since, 42)
    return Anomaly(metric, kind, sl, day, direction, "high", ("point",), evidence)


L7: Slice = (("labeler", "L7"),)


def test_rushing_needs_both_falls_on_one_labeler() -> None:
    fast = _a("handling_time", L7, "low", Kind.DURATION, 12.0, 30.0)
    wrong = _a("gold_accuracy", L7, "low", Kind.PROPORTION, 0.71, 0.9, DAY + timedelta(days=1))
    (p,) = match_patterns([fast, wrong])
    assert p.name == "rushing" and p.slices == (L7,)
    assert "handling_time 12.0 s against 30.0 s" in p.explanation and "71.0%" in p.explanation
    other = _a("gold_accuracy", (("labeler", "L8"),), "low", Kind.PROPORTION, 0.71, 0.9)
    assert match_patterns([fast, other]) == []
    slow = _a("handling_time", L7, "high", Kind.DURATION, 60.0, 30.0)
    assert match_patterns([slow, wrong]) == []


def test_guideline_change_on_its_policy_only() -> None:
    sl: Slice = (("site", "DAC"), ("policy", "hate"))
    fall = _a("gold_accuracy", sl, "low", Kind.PROPORTION, 0.78, 0.9, since=DAY - timedelta(days=2))
    changes = [GuidelineChange(DAY - timedelta(days=3), "hate", "v7"), GuidelineChange(DAY, "spam", "v2")]
    (p,) = match_patterns([fall], Context(guideline_changes=changes))
    assert p.name == "guideline change" and "guideline v7 of hate" in p.explanation
    old = [GuidelineChange(DAY - timedelta(days=9), "hate", "v6")]  # 7 days before the fall began
    assert match_patterns([fall], Context(guideline_changes=old)) == []
    assert match_patterns([fall], Context(guideline_changes=old, guideline_days=7))
    other_policy = [GuidelineChange(DAY - timedelta(days=2), "spam", "v3")]
    assert match_patterns([fall], Context(guideline_changes=other_policy)) == []


def test_new_hire_cohort() -> None:
    found = [
        _a("gold_accuracy", (("labeler", "N1"),), "low", Kind.PROPORTION, 0.7, 0.9),
        _a("gold_accuracy", (("labeler", "N2"),), "low", Kind.PROPORTION, 0.72, 0.9),
        _a("gold_accuracy", (("labeler", "OLD"),), "low", Kind.PROPORTION, 0.72, 0.9),
    ]
    (p,) = match_patterns(found, Context(tenure_days={"N1": 5, "N2": 12, "OLD": 400}))
    assert p.name == "new-hire dip" and len(p.slices) == 2 and "N1 (5 days)" in p.explanation


def test_outage_by_breadth_or_platform_issue() -> None:
    down = [_a("labels_done", (("labeler", f"L{i}"),), "low", Kind.COUNT, 10, 300) for i in range(5)]
    (p,) = match_patterns(down, Context(throughput_slices=10))
    assert p.name == "outage" and "5 of 10" in p.explanation
    assert match_patterns(down[:2], Context(throughput_slices=10)) == []
    issue = PlatformIssue(DAY, DAY, "content will not load")
    (p,) = match_patterns(down[:1], Context(throughput_slices=10, platform_issues=[issue]))
    assert "content will not load" in p.explanation


def test_mix_shift_from_the_rate_and_mix_effects() -> None:
    sl: Slice = (("vendor", "V3"),)
    fall = _a("gold_accuracy", sl, "low", Kind.PROPORTION, 0.84, 0.9)
    (p,) = match_patterns([fall], Context(mix={("gold_accuracy", sl, DAY): (-0.01, -0.05)}))
    assert p.name == "mix shift" and "83%" in p.explanation
    assert match_patterns([fall], Context(mix={("gold_accuracy", sl, DAY): (-0.05, -0.01)})) == []


def test_bad_context() -> None:
    with pytest.raises(MonitoringInputError, match="outage_share"):
        Context(outage_share=0)
