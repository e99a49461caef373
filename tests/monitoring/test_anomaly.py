"""Anomaly detection: exact per-type tests, gates, day lengths, multiple testing against statsmodels, the false-alarm
rate on simulated operations with no incident, and detection of injected incidents."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests

from safetyops.monitoring import anomaly, control
from safetyops.monitoring.anomaly import Bad, Day, Kind, Metric, Series
from safetyops.monitoring.checks import MonitoringInputError
from tests.support import daily_series as sim

MONDAY = date(2026, 1, 5)
ACC = Metric("gold_accuracy", Kind.PROPORTION, Bad.LOW, min_n=30)
DONE = Metric("labels_done", Kind.COUNT, Bad.LOW, min_n=20)
AHT = Metric("handling_time", Kind.DURATION, Bad.BOTH, min_n=20)
LABELER: anomaly.Slice = (("labeler", "L1"),)


def _series(
    metric: Metric, values: list[tuple[float, float]], first: date = MONDAY, active_from: date | None = None
) -> Series:
    days = tuple(Day(first + timedelta(days=i), v, n) for i, (v, n) in enumerate(values))
    return Series(metric, LABELER, days, active_from)


# ---------------------------------------------------------------- multiple testing


@pytest.mark.parametrize("seed", range(5))
def test_benjamini_hochberg_matches_statsmodels(seed: int) -> None:
    rng = np.random.default_rng(seed)
    p = np.concatenate([rng.uniform(size=200), rng.uniform(0, 1e-4, 20), [0.0, 1.0, 0.5, 0.5]])
    rng.shuffle(p)
    expected = multipletests(p, method="fdr_bh")[1]
    assert np.allclose(anomaly.benjamini_hochberg(p), expected, rtol=0, atol=1e-12)
    assert anomaly.benjamini_hochberg([]).tolist() == []
    with pytest.raises(MonitoringInputError, match="p-values"):
        anomaly.benjamini_hochberg([0.1, 1.5])


# ---------------------------------------------------------------- the exact test of each type


def test_proportion_day_is_a_binomial_test_when_the_history_is_not_overdispersed() -> None:
    history = [(90.0, 100.0)] * 42
    s = _series(ACC, [*history, (80.0, 100.0)])
    sc = anomaly.score_series(s, MONDAY + timedelta(days=42), anomaly.Settings())
    assert sc.status == "ok" and sc.evidence is not None
    # P(X <= 80 | n = 100, p = 0.9), read as a Student t on the 41 degrees of freedom of the history
    exact = stats.binom.cdf(80, 100, 0.9)
    assert sc.evidence.p_value == pytest.approx(stats.t.cdf(stats.norm.ppf(exact), 41), rel=1e-9)
    assert sc.evidence.observed == 0.8 and sc.evidence.expected == pytest.approx(0.9)


def test_count_day_is_a_negative_binomial_test_scaled_by_the_day_length() -> None:
    s = _series(DONE, [(100.0, 0.0)] * 42)
    short = Series(DONE, LABELER, (*s.days, Day(MONDAY + timedelta(days=42), 40.0, 0.0, hours=12.0)))
    sc = anomaly.score_series(short, MONDAY + timedelta(days=42), anomaly.Settings())
    assert sc.evidence is not None
    assert sc.evidence.expected == pytest.approx(50.0)  # 100 a day, half a day
    phi = 1.0 + np.pi / 2 / 42  # Poisson history; the level is a median of 42 days
    exact = stats.nbinom.cdf(40, 50 / (phi - 1), 1 / phi)
    assert sc.evidence.p_value == pytest.approx(stats.t.cdf(stats.norm.ppf(exact), 41), rel=1e-9)


def test_duration_day_is_a_t_test_on_the_log_scale() -> None:
    rng = np.random.default_rng(1)
    history = [(30.0 * float(np.exp(rng.normal(0, 0.1))), 100.0) for _ in range(42)]
    s = _series(AHT, [*history, (15.0, 100.0)])
    sc = anomaly.score_series(s, MONDAY + timedelta(days=42), anomaly.Settings())
    assert sc.evidence is not None
    assert sc.evidence.expected == pytest.approx(30.0, rel=0.05)
    assert sc.evidence.z < -4 and sc.evidence.p_value < 1e-4  # halving the handling time is far out


# ---------------------------------------------------------------- gates and days without data


def test_five_gold_items_never_alarm() -> None:
    history = [(54.0, 60.0)] * 42
    s = _series(ACC, [*history, (0.0, 5.0)])  # 0 of 5 right
    det = anomaly.detect([s], MONDAY + timedelta(days=42))
    assert det.anomalies == () and det.scores[0].status == "sample too small"


def test_short_history_and_missing_days() -> None:
    s = _series(ACC, [(54.0, 60.0)] * 5)
    assert anomaly.score_series(s, MONDAY + timedelta(days=4), anomaly.Settings()).status == "history too short"
    gap = Series(ACC, LABELER, tuple(d for d in _series(ACC, [(54.0, 60.0)] * 50).days if d.day.day != 20))
    assert anomaly.score_series(gap, date(2026, 2, 20), anomaly.Settings()).status == "no data"


def test_a_count_without_a_row_is_zero_an_outage() -> None:
    rng = np.random.default_rng(2)
    s = _series(DONE, [(float(rng.poisson(300)), 0.0) for _ in range(50)])
    gone = Series(DONE, LABELER, s.days[:-1])  # nothing recorded on the last day
    det = anomaly.detect([gone], s.days[-1].day)
    assert [a.rules[0] for a in det.anomalies] == ["point"]
    assert det.anomalies[0].evidence.observed == 0.0 and det.anomalies[0].severity == "high"


def test_days_before_active_from_are_not_data() -> None:
    rng = np.random.default_rng(3)
    values = [(0.0, 0.0)] * 20 + [(float(rng.poisson(300)), 0.0) for _ in range(30)]
    s = _series(DONE, values, active_from=MONDAY + timedelta(days=20))
    sc = anomaly.score_series(s, MONDAY + timedelta(days=49), anomaly.Settings())
    assert sc.evidence is not None and sc.evidence.expected > 250  # the zeros before the start do not count


# ---------------------------------------------------------------- day lengths and bad input


def test_day_hours() -> None:
    assert anomaly.day_hours(date(2026, 3, 8), "America/New_York") == 23.0
    assert anomaly.day_hours(date(2026, 11, 1), "America/New_York") == 25.0
    assert anomaly.day_hours(date(2026, 3, 9), "America/New_York") == 24.0
    # the reporting zone moves from Dhaka (UTC+6) to UTC on this day: it lasts 30 hours
    assert anomaly.day_hours(date(2026, 5, 1), "UTC", previous_zone="Asia/Dhaka") == 30.0
    with pytest.raises(MonitoringInputError, match=r"zone.*Mars/Base"):
        anomaly.day_hours(date(2026, 5, 1), "Mars/Base")
    with pytest.raises(MonitoringInputError, match=r"previous_zone.*Asia/Nowhere"):
        anomaly.day_hours(date(2026, 5, 1), "UTC", previous_zone="Asia/Nowhere")


def test_a_long_day_is_not_an_anomaly() -> None:
    rng = np.random.default_rng(4)
    s = _series(DONE, [(float(rng.poisson(240)), 0.0) for _ in range(42)])
    day = MONDAY + timedelta(days=42)
    # a 30-hour day (the zone change above) does 30 hours of work: expected 300, not 240
    long = Series(DONE, LABELER, (*s.days, Day(day, 300.0, 0.0, hours=30.0)))
    sc = anomaly.score_series(long, day, anomaly.Settings())
    assert sc.evidence is not None and sc.evidence.expected == pytest.approx(300, rel=0.05)
    assert abs(sc.evidence.z) < 2


@pytest.mark.parametrize(
    ("days", "match"),
    [
        ((Day(MONDAY, 1.0, 2.0), Day(MONDAY, 1.0, 2.0)), "in order and appear once"),
        ((Day(MONDAY + timedelta(days=1), 1.0, 2.0), Day(MONDAY, 1.0, 2.0)), "in order"),
        ((Day(MONDAY, float("nan"), 2.0),), "finite"),
        ((Day(MONDAY, 3.0, 2.0),), "3.0 successes out of 2.0 trials"),
        ((Day(MONDAY, 1.0, 2.0, hours=0.0),), "hours"),
    ],
)
def test_bad_series_are_named(days: tuple[Day, ...], match: str) -> None:
    with pytest.raises(MonitoringInputError, match=match) as err:
        anomaly.check_series(Series(ACC, LABELER, days))
    assert "gold_accuracy [labeler=L1] 2026-01-0" in str(err.value)


def test_a_zero_duration_is_refused() -> None:
    with pytest.raises(MonitoringInputError, match="must be > 0 seconds"):
        anomaly.check_series(Series(AHT, LABELER, (Day(MONDAY, 0.0, 5.0),)))


# ---------------------------------------------------------------- budget, false alarms and detection


def test_chart_limits_meet_the_budget() -> None:
    st = anomaly.Settings()
    h, lim = anomaly.chart_limits(100, st)
    share = (st.alarms_per_week / 2 - 7 * st.fdr) / 2
    assert control.cusum_arl(0.5, h, states=60) == pytest.approx(7 * 100 / share, rel=1e-3)
    assert control.ewma_arl(0.2, lim, states=61) == pytest.approx(7 * 100 / share, rel=1e-3)
    h1, _ = anomaly.chart_limits(1, st)
    assert control.cusum_arl(0.5, h1, states=60) == pytest.approx(370, rel=1e-3)  # never below the 3σ standard


def test_at_most_one_false_alarm_per_project_per_week() -> None:
    # three simulated projects (34 slices × 3 metrics each), four weeks each, after eight weeks of history
    alarms, weeks = 0, 0
    for seed in (101, 202, 303):
        rng = np.random.default_rng(seed)
        series = sim.simulate(rng, sim.project_slices(), MONDAY, 84)
        days = [MONDAY + timedelta(days=d) for d in range(56, 84)]
        alarms += sum(len(det.anomalies) for det in anomaly.detect_days(series, days))
        weeks += 4
    assert alarms / weeks <= 1.0


def test_injected_incidents_are_found_within_two_days() -> None:
    slices = sim.project_slices()
    plan = [
        ("gold_accuracy", 2.5, slices[1]),  # a vendor's error rate 2.5× (accuracy ~0.90 -> ~0.75)
        ("gold_accuracy", 2.5, slices[2]),
        ("handling_time", 0.5, slices[5]),  # a labeler rushes
        ("handling_time", 0.5, slices[6]),
        ("handling_time", 1.8, slices[7]),  # a labeler slows down
        ("labels_done", 0.2, slices[8]),  # a labeler's throughput collapses
        ("labels_done", 0.3, slices[9]),
        ("labels_done", 0.2, slices[0]),  # the project's throughput collapses (outage)
        ("handling_time", 0.55, slices[10]),
        ("labels_done", 0.3, slices[11]),
    ]
    incidents = tuple(sim.Incident(m, sl, MONDAY + timedelta(days=60 + 2 * i), f) for i, (m, f, sl) in enumerate(plan))
    series = sim.simulate(np.random.default_rng(7), slices, MONDAY, 84, incidents)
    dets = anomaly.detect_days(series, [MONDAY + timedelta(days=d) for d in range(60, 84)])
    found = 0
    for inc in incidents:
        days = [a.day for det in dets for a in det.anomalies if (a.metric, a.slice) == (inc.metric, inc.slice)]
        found += any(inc.start <= d <= inc.start + timedelta(days=1) for d in days)
    assert found / len(incidents) >= 0.9


def test_a_small_lasting_shift_is_caught_by_the_charts_and_dated() -> None:
    # a labeler's handling time goes up 15 % (1.7σ a day): a CUSUM/EWMA alarm within a week
    rng = np.random.default_rng(8)
    start = MONDAY + timedelta(days=60)
    values = [(30.0 * float(np.exp(rng.normal(0, 0.08))) * (1.15 if i >= 60 else 1.0), 200.0) for i in range(80)]
    s = _series(Metric("handling_time", Kind.DURATION, Bad.HIGH, min_n=20), values)
    dets = anomaly.detect_days([s], [MONDAY + timedelta(days=d) for d in range(56, 80)])
    alarms = [a for det in dets for a in det.anomalies]
    assert alarms and start <= alarms[0].day <= start + timedelta(days=7)
    assert {"cusum", "ewma"} & set(alarms[0].rules)
    since = alarms[0].evidence.since  # PELT's estimate of the start: within a week for a 1.5σ shift
    assert since is not None and abs((since - start).days) <= 7 and since <= alarms[0].day


def test_western_electric_alone_never_alarms() -> None:
    rng = np.random.default_rng(9)
    values = [(float(rng.normal(0.9, 0.0) * 100), 100.0) for _ in range(42)]
    s = _series(ACC, [*values, (84.0, 100.0), (90.0, 100.0), (84.0, 100.0)])
    det = anomaly.detect([s], MONDAY + timedelta(days=44))
    assert det.anomalies == () and det.scores[0].annotations == ()  # 2 of 3 beyond 2σ is noted only with an alarm


def test_anomaly_as_dict_is_plain() -> None:
    rng = np.random.default_rng(10)
    s = _series(DONE, [(float(rng.poisson(300)), 0.0) for _ in range(50)])
    gone = Series(DONE, LABELER, s.days[:-1])
    body = anomaly.detect([gone], s.days[-1].day).anomalies[0].as_dict()
    assert body["slice"] == {"labeler": "L1"} and body["slice_text"] == "labeler=L1"
    assert body["day"] == s.days[-1].day.isoformat() and body["evidence"]["band_low"] is not None
