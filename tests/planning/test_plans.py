"""The pure manpower-plan core on hand-computed cases, scenarios, live queues and the XLSX output."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import openpyxl
import pytest

from safetyops.errors import InvalidInput
from safetyops.planning import plans
from safetyops.planning.plan_xlsx import write_plan_xlsx

JAN_FEB = plans.Period(date(2027, 1, 1), date(2027, 2, 28))  # 21 + 20 = 41 working days, 59 calendar days
NO_ATTRITION = plans.PlanParams(monthly_attrition=0.0)


def one_line(
    volume: float = 10_000, roster: float = 1.0, periods: list[plans.Period] | None = None
) -> plans.PlanInputs:
    periods = periods or [JAN_FEB]
    return plans.PlanInputs(
        periods=periods,
        cells=[plans.Cell("EU BPO", "Dhaka", "BD", "bn")],
        roster=np.array([roster]),
        line_cell=np.array([0]),
        line_volume=np.full((1, len(periods)), volume),
        line_handling_s=np.array([36.0]),
        line_overlap=np.array([2.0]),
        line_gold=np.array([0.1]),
        line_qa=np.array([0.1]),
    )


def test_periods() -> None:
    year = plans.split_periods(date(2027, 1, 1), date(2027, 12, 31))
    assert [(p.start, p.end) for p in year][:2] == [
        (date(2027, 1, 1), date(2027, 2, 28)),
        (date(2027, 3, 1), date(2027, 4, 30)),
    ]
    assert len(year) == 6 and year[-1].end == date(2027, 12, 31)
    assert JAN_FEB.working_days == 41 and JAN_FEB.calendar_days == 59
    odd = plans.split_periods(date(2027, 1, 31), date(2027, 5, 15), months=1)
    # anchored on the 31st, clamped to short months; the last period is cut at the end
    assert [p.end for p in odd] == [date(2027, 2, 27), date(2027, 3, 30), date(2027, 4, 29), date(2027, 5, 15)]
    with pytest.raises(InvalidInput):
        plans.split_periods(date(2027, 2, 1), date(2027, 1, 1))


def test_hand_computed_plan() -> None:
    r = plans.compute_plan(one_line(), NO_ATTRITION)
    # (10,000 × 2 × 1.1 × 36 s + 0.1 × 10,000 × 60 s) / 3600 = 236.667 h
    assert r.workload_hours[0, 0] == pytest.approx(852_000 / 3600)
    # 41 days × 8 h × (1 − 0.30) × 0.85 = 195.16 h per FTE
    assert r.productive_hours_per_fte[0] == pytest.approx(195.16)
    assert r.required_fte[0, 0] == pytest.approx(852_000 / 3600 / 195.16)
    assert r.gap_fte[0, 0] == pytest.approx(852_000 / 3600 / 195.16 - 1)
    # a hire's mean productivity over 8 weeks: (0.5 + 0.7 + 0.85 + 0.95 + 4 × 1) / 8 = 0.875 → 0.2127 / 0.875 → 1
    assert r.hires[0, 0] == 1
    assert r.start_hiring_by[0] == date(2026, 12, 1)  # 1 January − (21 + 10) days
    row = r.rows()[0]
    assert row["method"] == "workload" and row["start_hiring_by"] == date(2026, 12, 1)


def test_attrition_and_later_hires() -> None:
    periods = plans.split_periods(date(2027, 1, 1), date(2027, 6, 30))
    params = plans.PlanParams(monthly_attrition=0.05)
    r = plans.compute_plan(one_line(volume=40_000, roster=5, periods=periods), params)
    # roster at each period's middle: 5 × 0.95^(months from the plan start)
    assert r.roster_fte[0, 0] == pytest.approx(5 * 0.95 ** (29 / (365.25 / 12)))
    assert np.all(np.diff(r.roster_fte[0]) < 0)
    # hires of the first period keep working later: later periods hire only for the extra shortfall
    assert r.hires[0, 0] > 0
    covered = r.hires[0, 0] * 0.95**2
    assert r.hires[0, 1] <= max(np.ceil(r.gap_fte[0, 1] - covered + 1e-9), 0) + 1


def test_scenarios_side_by_side() -> None:
    scenarios = [plans.parse_scenario("volume+20%"), plans.parse_scenario("shrinkage=0.35")]
    base, more, shrink = plans.compute_scenarios(one_line(), NO_ATTRITION, scenarios)
    assert [r.scenario for r in (base, more, shrink)] == ["base", "volume+20%", "shrinkage=0.35"]
    assert more.required_fte[0, 0] == pytest.approx(1.2 * base.required_fte[0, 0])
    assert shrink.productive_hours_per_fte[0] == pytest.approx(41 * 8 * 0.65 * 0.85)
    summary = plans.summary([base, more])
    assert [s["scenario"] for s in summary] == ["base", "volume+20%"]
    assert summary[1]["required_fte"] == pytest.approx(1.2 * summary[0]["required_fte"])


@pytest.mark.parametrize(
    ("text", "key", "value"),
    [
        ("volume+20%", "volume_factor", 1.2),
        ("volume-10%", "volume_factor", 0.9),
        ("shrinkage=0.35", "shrinkage", 0.35),
        ("shrinkage35%", "shrinkage", 0.35),
        ("shrinkage+10%", "shrinkage", 0.33),
        ("attrition=0.05", "monthly_attrition", 0.05),
        ("handling+15%", "handling_factor", 1.15),
        ("hours=7.5", "hours_per_day", 7.5),
    ],
)
def test_parse_scenario(text: str, key: str, value: float) -> None:
    sc = plans.parse_scenario(text)
    assert sc.name == text and sc.overrides[key] == pytest.approx(value)


@pytest.mark.parametrize("bad", ["volume+", "speed+20%", "twenty"])
def test_bad_scenarios_are_refused(bad: str) -> None:
    with pytest.raises(InvalidInput) as err:
        plans.parse_scenario(bad)
    assert err.value.problems[0].field == "scenario"


def test_impossible_parameters_are_refused() -> None:
    with pytest.raises(InvalidInput) as err:
        plans.compute_plan(one_line(), plans.PlanParams(occupancy=1.2))
    assert err.value.problems[0].field == "occupancy"
    with pytest.raises(InvalidInput) as err:
        plans.compute_plan(one_line(), plans.PlanParams(shrinkage=1.0))
    assert err.value.problems[0].field == "shrinkage"


def live_inputs(patience: float | None) -> plans.PlanInputs:
    empty = one_line(volume=0, roster=0)
    line = plans.LiveLine(
        cell=0,
        arrivals_per_hour=200,  # 100 per 30 minutes × 180 s = 10 Erlang
        handling_s=180,
        target_sl=0.8,
        within_s=20,
        open_hours_per_day=24,
        active=np.array([1.0]),
        patience_s=patience,
    )
    return plans.PlanInputs(**{**empty.__dict__, "live": [line]})


def test_live_queue_with_erlang_c_reproduces_the_reference() -> None:
    r = plans.compute_plan(live_inputs(None), NO_ATTRITION)
    assert r.live_agents[0, 0] == 14  # Call Centre Helper worked example
    # 14 agents × 24 h × 59 days / (41 days × 8 h × (1 − 0.30))
    assert r.live_fte[0, 0] == pytest.approx(14 * 24 * 59 / (41 * 8 * 0.7))
    assert r.rows()[0]["method"] == "erlang_c"


def test_live_queue_with_abandonment_uses_erlang_a() -> None:
    c = plans.compute_plan(live_inputs(None), NO_ATTRITION)
    a = plans.compute_plan(live_inputs(300), NO_ATTRITION)
    assert a.rows()[0]["method"] == "erlang_a"
    assert 0 < a.live_agents[0, 0] <= c.live_agents[0, 0]


def test_backlog_volume_uses_the_capacity_rule() -> None:
    # work 300, 375, 350 per day, deadline 2 days: least capacity max(mean, window sums / (length + 1)) = 1025 / 3;
    # FIFO: day 1 works the 300 that arrived, days 2 and 3 work at capacity, the rest after the plan's last day
    days = np.array([0, 0, 0])
    done = plans.backlog_volume([300, 375, 350], 2, days, 1, repeating=True)
    assert done[0] == pytest.approx(300 + 2 * 1025 / 3)
    # as a one-off, the last item may finish a day after the plan: capacity 1025 / 4 (the whole window)
    once = plans.backlog_volume([300, 375, 350], 2, days, 1)
    assert once[0] == pytest.approx(3 * 1025 / 4)
    # all of a batch due in 10 days: 1/10 of it every day
    split = plans.backlog_volume([1000, 0, 0, 0, 0], 10, np.array([0, 0, 1, 1, 1]), 2)
    assert split.tolist() == pytest.approx([200, 300])


def test_backlog_volume_many_matches_backlog_py_row_by_row() -> None:
    rng = np.random.default_rng(7)
    periods = plans.split_periods(date(2027, 1, 1), date(2027, 6, 30))
    days = plans.working_dates(periods[0].start, periods[-1].end)
    day_period = plans.period_index(days, periods)
    arrivals = rng.poisson(50, size=(12, days.size)).astype(float) * (rng.random((12, days.size)) < 0.3)
    arrivals[0] = 0.0
    arrivals[1] = 0.0
    arrivals[1, 40] = 10_000  # a one-off batch
    deadlines = rng.integers(1, 30, size=12)
    repeating = np.arange(12) % 2 == 0
    many = plans.backlog_volume_many(arrivals, deadlines, day_period, len(periods), repeating)
    for i in range(12):
        one = plans.backlog_volume(
            arrivals[i], int(deadlines[i]), day_period, len(periods), repeating=bool(repeating[i])
        )
        assert many[i] == pytest.approx(one, abs=1e-6)
    assert many[1].sum() == pytest.approx(10_000)


def test_xlsx_is_readable_with_numbers_as_numbers(tmp_path: Path) -> None:
    results = plans.compute_scenarios(one_line(), NO_ATTRITION, [plans.parse_scenario("volume+20%")])
    rows = [row for r in results for row in r.rows()]
    path = tmp_path / "plan.xlsx"
    write_plan_xlsx(path, rows, plans.summary(results), plans.SERVICE_LEVEL_DEFINITION, ["a note"])
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["summary", "base", "volume+20%"]
    sheet = wb["volume+20%"]
    header = [c.value for c in sheet[1]]
    values = dict(zip(header, [c.value for c in sheet[2]], strict=True))
    assert isinstance(values["required_fte"], float)
    assert values["required_fte"] == pytest.approx(1.2 * results[0].required_fte[0, 0])
    assert values["hires"] == 1 and values["vendor"] == "EU BPO"
    summary = wb["summary"]
    assert summary["A1"].value == "scenario" and isinstance(summary["D2"].value, float)
    texts = [c.value for c in summary["A"]]
    assert "service level" in texts and "note" in texts
