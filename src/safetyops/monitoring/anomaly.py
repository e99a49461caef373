"""Anomalies in daily metrics: the right test per metric type, control charts for lasting shifts, and one false-alarm
budget for all the slices a project watches.

Per series (a metric on a slice, one value per local day), every day u is tested against a baseline fitted on the
`history_days` before it (a rolling baseline: yesterday's data count for today), with `baseline.weekday_levels`
(counts, log durations) or `baseline.rate_level` (proportions); fewer than `min_history_days` days: no test.
The tests, in the metric's bad direction:
  - proportion (gold accuracy, QA pass rate): successes out of trials against a beta-binomial with the history's
    rate and overdispersion (binomial when there is none); gate: at least `min_n` trials, so 5 gold items never
    alarm;
  - count (labels done): negative binomial (Poisson when not overdispersed) with the weekday level times the day's
    hours/24; gate: at least `min_n` expected;
  - duration (handling time, seconds): Student t on the log scale against the weekday level of log values;
    gate: at least `min_n` items behind the value.
  A level's own error (a median of n days is off by √((π/2)/n) σ) widens counts and durations.
The day's z is Φ⁻¹ of its mid-p cumulative probability. Because each day's baseline is refitted from the days
before it, successive z are (nearly) independent recursive residuals, N(0, 1) when nothing changed: the device
of Hawkins' self-starting CUSUM (1987), without which the error of a baseline shared by a whole window reads as
a lasting shift and the charts cry wolf.

Alarms on day t, within a false-alarm budget of `alarms_per_week` for everything passed to one call:
  - the point test of day t, with Benjamini–Hochberg across all series at `fdr` (when nothing changed at all,
    about `fdr` false alarms a day in all);
  - tabular CUSUM (k = 0.5) and EWMA (λ = 0.2) over the z of the `window_days` ending on t, their limits set from
    their exact in-control ARLs (`chart_limits`): ARL₀ = 7 · series / share of the budget, never below 370; half
    the budget is held back for the error of the model itself. An alarm needs the chart's first signal in the
    window to fall on day t, in the bad direction.
  Western Electric rules do not raise alarms: all four together signal every 92 in-control days (Champ & Woodall),
  one false alarm a day per 92 slices. They are reported in `rules` when they fire with an alarm.
  PELT on the z of the last two windows dates a level shift (`since`) when its last change falls in the window.

Days without data: a count with no row is 0 (nothing was done: that is what an outage looks like); a proportion
or duration with no row has no observation and is skipped (charts carry over). Days before the slice's
`active_from` are not data. A day's `hours` (23 or 25 on DST days, other on a change of reporting time zone; see
`day_hours`) scales the expected count; rates and durations do not depend on it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import numpy.typing as npt
from scipy import stats

from safetyops.monitoring import baseline, control
from safetyops.monitoring.checks import invalid, require

FloatArray = npt.NDArray[np.float64]


class Kind(StrEnum):
    PROPORTION = "proportion"
    COUNT = "count"
    DURATION = "duration"


class Bad(StrEnum):
    """Which direction of change is bad for the metric."""

    LOW = "low"
    HIGH = "high"
    BOTH = "both"


Slice = tuple[tuple[str, str], ...]


def slice_text(s: Slice) -> str:
    """`vendor=V3&site=DAC`, or `all` for the whole project."""
    return "&".join(f"{k}={v}" for k, v in s) or "all"


@dataclass(frozen=True)
class Metric:
    """A metric: `min_n` is the least trials (proportion), expected events (count) or items (duration) a day
    needs before it is tested."""

    name: str
    kind: Kind
    bad: Bad
    min_n: float = 30.0

    def __post_init__(self) -> None:
        require(bool(self.name), "metric.name", "must not be empty")
        require(math.isfinite(self.min_n) and self.min_n >= 1, "metric.min_n", f"must be >= 1, got {self.min_n}")


@dataclass(frozen=True)
class Day:
    """One local day: `value` is successes (proportion), events (count) or the day's typical seconds (duration);
    `n` is trials (proportion) or items (duration); `hours` the length of the local day."""

    day: date
    value: float
    n: float = 0.0
    hours: float = 24.0


@dataclass(frozen=True)
class Series:
    metric: Metric
    slice: Slice
    days: tuple[Day, ...]
    active_from: date | None = None


@dataclass(frozen=True)
class Settings:
    history_days: int = 42
    window_days: int = 14
    min_history_days: int = 14
    fdr: float = 0.01
    alarms_per_week: float = 1.0
    cusum_k: float = 0.5
    ewma_lambda: float = 0.2
    min_arl: float = 370.0

    def __post_init__(self) -> None:
        require(self.window_days >= 1, "window_days", "must be >= 1")
        require(self.history_days >= self.min_history_days >= 2, "min_history_days", "need 2 <= min <= history")
        require(0 < self.fdr < 1, "fdr", "must be in (0, 1)")
        require(self.alarms_per_week > 0, "alarms_per_week", "must be > 0")


@dataclass(frozen=True)
class Evidence:
    """The numbers behind a verdict: observed and expected (a rate, a count or seconds), the 99 % band of a normal
    day (computed for days that may alarm, else None), the sample size, z, the day's p-value and its
    Benjamini–Hochberg q-value, and the start of a level shift."""

    observed: float
    expected: float
    band_low: float | None
    band_high: float | None
    n: float
    z: float
    p_value: float
    q_value: float | None
    since: date | None
    baseline_days: int


@dataclass(frozen=True)
class Anomaly:
    metric: str
    kind: Kind
    slice: Slice
    day: date
    direction: str
    severity: str
    rules: tuple[str, ...]
    evidence: Evidence

    def as_dict(self) -> dict[str, Any]:
        body = asdict(self)
        body["slice"] = dict(self.slice)
        body["slice_text"] = slice_text(self.slice)
        body["day"] = self.day.isoformat()
        ev = body["evidence"]
        ev["since"] = self.evidence.since.isoformat() if self.evidence.since else None
        return body


@dataclass(frozen=True)
class Score:
    """A series' verdict material for one day; `status` says why there is none ("ok" when there is)."""

    series: Series
    day: date
    status: str
    evidence: Evidence | None = None
    persistent: tuple[str, ...] = ()
    annotations: tuple[str, ...] = ()


@dataclass(frozen=True)
class Detection:
    anomalies: tuple[Anomaly, ...]
    scores: tuple[Score, ...]
    cusum_h: float
    ewma_limit: float


# ---------------------------------------------------------------- input checks and day lengths


def day_hours(day: date, zone: str, previous_zone: str | None = None) -> float:
    """Hours in the local `day`: from its midnight in `previous_zone` (the zone in force before a change, if the
    reporting zone changed on this day) to the next midnight in `zone`. 24, or 23/25 on DST days."""
    after = _zone(zone, "zone")
    before = _zone(previous_zone, "previous_zone") if previous_zone else after
    start = datetime.combine(day, time(0), before).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), after).astimezone(UTC)
    # in UTC: aware datetimes of one zone subtract as wall-clock times, which would hide the DST hour
    return (end - start).total_seconds() / 3600.0


def _zone(name: str, field: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise invalid(field, f"unknown time zone {name!r}") from None


def check_series(series: Series) -> None:
    """Days strictly increasing, values finite and >= 0, successes <= trials, hours in (0, 48]."""
    where = f"{series.metric.name} [{slice_text(series.slice)}]"
    previous: date | None = None
    for d in series.days:
        at = f"{where} {d.day.isoformat()}"
        if previous is not None and d.day <= previous:
            raise invalid("days", f"{at}: days must be in order and appear once (after {previous.isoformat()})")
        previous = d.day
        for name, v in (("value", d.value), ("n", d.n)):
            if not (math.isfinite(v) and v >= 0):
                raise invalid(name, f"{at}: {name} must be a finite number >= 0, got {v}")
        if not (math.isfinite(d.hours) and 0 < d.hours <= 48):
            raise invalid("hours", f"{at}: a day lasts more than 0 and at most 48 hours, got {d.hours}")
        if series.metric.kind is Kind.PROPORTION and d.value > d.n:
            raise invalid("value", f"{at}: {d.value} successes out of {d.n} trials")
        if series.metric.kind is Kind.DURATION and d.n > 0 and d.value <= 0:
            raise invalid("value", f"{at}: a duration over {d.n} items must be > 0 seconds")


# ---------------------------------------------------------------- per-type day tests


@dataclass(frozen=True, eq=False)
class _Baselines:
    """Per day of a span: whether it has a test, and the test's numbers (rolling baselines, vectorised)."""

    first: date
    valid: npt.NDArray[np.bool_]
    observed: FloatArray
    expected: FloatArray
    n: FloatArray
    cdf_low: FloatArray  # P(X <= x)
    cdf_high: FloatArray  # P(X >= x)
    z: FloatArray
    history: npt.NDArray[np.int64]  # days behind each baseline
    params: list[tuple[Any, ...] | None]  # scipy distribution and arguments of each day (for the band)

    def at(self, day: date) -> int:
        return (day - self.first).days


def _tests(series: Series, first: date, last: date, st: Settings) -> _Baselines:
    """Every day from `first` to `last` tested against the `history_days` before it."""
    metric = series.metric
    cal = _calendar(series, first - timedelta(days=st.history_days), last)
    span = (last - first).days + 1
    valid = np.zeros(span, dtype=bool)
    observed, expected, n = np.zeros(span), np.zeros(span), np.zeros(span)
    cdf_low, cdf_high, mid = np.zeros(span), np.zeros(span), np.full(span, 0.5)
    history = np.zeros(span, dtype=np.int64)
    params: list[tuple[Any, ...] | None] = [None] * span
    # per kind: collect the days with a test and their distribution's arguments, then one scipy call per kind
    rows: list[tuple[int, float, tuple[float, ...]]] = []
    for i in range(span):
        d = cal[st.history_days + i]
        if d is None:
            continue
        past = [x for x in cal[i : st.history_days + i] if x is not None]
        fitted = _fit_day(metric, past, d, st)
        if fitted is None:
            continue
        history[i], stat, args, exp, size = fitted
        valid[i], observed[i], expected[i], n[i] = True, _observed(metric, d), exp, size
        rows.append((i, stat, args))
    if rows:
        idx = np.array([r[0] for r in rows])
        x = np.array([r[1] for r in rows])
        if metric.kind is Kind.DURATION:
            centre, scale, dof = (np.array([r[2][j] for r in rows]) for j in range(3))
            u = (x - centre) / scale
            cdf_low[idx], cdf_high[idx] = stats.t.cdf(u, dof), stats.t.sf(u, dof)
            mid[idx] = cdf_low[idx]
            for i, r in zip(idx, rows, strict=True):
                params[i] = ("t",) + r[2]
        else:
            for rv, group in _discrete_groups(metric, rows):
                gi = np.array([idx[j] for j in group])
                k = x[group]
                cols = tuple(np.array([rows[j][2][a] for j in group]) for a in range(len(rows[group[0]][2])))
                at = rv.pmf(k, *cols)
                below = np.where(k > 0, rv.cdf(k - 1, *cols), 0.0)
                cdf_low[gi] = np.clip(below + at, 0.0, 1.0)
                cdf_high[gi] = np.clip(1.0 - below, 0.0, 1.0)
                mid[gi] = np.clip(below + at / 2.0, 0.0, 1.0)
                for j in group:
                    params[idx[j]] = (rv, *rows[j][2])
    z = np.asarray(stats.norm.ppf(np.clip(mid, 1e-300, 1.0 - 1e-16)), dtype=np.float64)
    if metric.kind is not Kind.DURATION:
        # the dispersion (φ, ρ) is itself estimated from the history's days: read z as a Student t on that many
        # degrees of freedom, as the durations' test does, so that its error does not fatten the tails
        dof = np.maximum(history - 1, 1)
        z = np.where(valid, stats.norm.isf(np.clip(stats.t.sf(z, dof), 1e-300, 1.0 - 1e-16)), z)
        for tail in (cdf_low, cdf_high):
            tail[valid] = stats.t.cdf(stats.norm.ppf(np.clip(tail[valid], 1e-300, 1.0)), dof[valid])
    return _Baselines(first, valid, observed, expected, n, cdf_low, cdf_high, z, history, params)


def _observed(metric: Metric, d: Day) -> float:
    return d.value / d.n if metric.kind is Kind.PROPORTION else d.value


def _fit_day(
    metric: Metric, past: list[Day], d: Day, st: Settings
) -> tuple[int, float, tuple[float, ...], float, float] | None:
    """(history days, the day's statistic, its distribution's arguments, expected value, sample size), or None
    when the day cannot be tested (too little history, below the sample gate)."""
    if metric.kind is Kind.PROPORTION:
        rl = baseline.rate_level([x.value for x in past], [x.n for x in past], min_days=2)
        if rl is None or rl.days < st.min_history_days or d.n < metric.min_n:
            return None
        trials = float(round(d.n))
        if rl.rho > 0 and 0 < rl.rate < 1:
            a = rl.rate * (1 - rl.rho) / rl.rho
            return rl.days, float(round(d.value)), (trials, a, (1 - rl.rate) * (1 - rl.rho) / rl.rho), rl.rate, d.n
        return rl.days, float(round(d.value)), (trials, rl.rate), rl.rate, d.n
    if len(past) < st.min_history_days:
        return None
    dates = [x.day for x in past]
    if metric.kind is Kind.COUNT:
        fit = baseline.fit_weekdays(dates, [x.value * 24.0 / x.hours for x in past])
        level = fit.level(d.day.weekday())
        mu = max(level.centre, 0.0) * d.hours / 24.0
        if mu < metric.min_n:
            return None
        phi = baseline.count_dispersion(fit) * level.predictive
        if phi > 1.0:  # negative binomial with mean μ and variance φμ
            return len(past), float(round(d.value)), (mu / (phi - 1.0), 1.0 / phi), mu, d.value
        return len(past), float(round(d.value)), (mu,), mu, d.value
    if d.n < metric.min_n or d.value <= 0:
        return None
    fit = baseline.fit_weekdays(dates, np.log([x.value for x in past]))
    level = fit.level(d.day.weekday())
    scale = max(level.scale, 0.01) * math.sqrt(level.predictive)
    return len(past), math.log(d.value), (level.centre, scale, float(level.dof)), math.exp(level.centre), d.n


def _discrete_groups(metric: Metric, rows: list[tuple[int, float, tuple[float, ...]]]) -> list[tuple[Any, list[int]]]:
    """Rows grouped by the scipy distribution their arguments call for."""
    if metric.kind is Kind.PROPORTION:
        beta = [j for j, r in enumerate(rows) if len(r[2]) == 3]
        plain = [j for j, r in enumerate(rows) if len(r[2]) == 2]
        return [(g, m) for g, m in ((stats.betabinom, beta), (stats.binom, plain)) if m]
    nb = [j for j, r in enumerate(rows) if len(r[2]) == 2]
    po = [j for j, r in enumerate(rows) if len(r[2]) == 1]
    return [(g, m) for g, m in ((stats.nbinom, nb), (stats.poisson, po)) if m]


def _band(metric: Metric, params: tuple[Any, ...]) -> tuple[float | None, float | None]:
    """The 99 % range of a normal day (in the metric's units: a rate, a count, seconds)."""
    if params[0] == "t":
        _, centre, scale, dof = params
        q = float(stats.t.isf(0.005, dof)) * scale
        return math.exp(centre - q), math.exp(centre + q)
    rv, *args = params
    unit = 1.0 / args[0] if metric.kind is Kind.PROPORTION else 1.0
    return float(rv.ppf(0.005, *args)) * unit, float(rv.ppf(0.995, *args)) * unit


def _p_value(cdf_low: float, cdf_high: float, bad: Bad) -> float:
    if bad is Bad.LOW:
        return min(cdf_low, 1.0)
    if bad is Bad.HIGH:
        return min(cdf_high, 1.0)
    return min(1.0, 2.0 * min(cdf_low, cdf_high))


def benjamini_hochberg(p_values: npt.ArrayLike) -> FloatArray:
    """Benjamini–Hochberg adjusted p-values (q-values), in the input order."""
    p = np.asarray(p_values, dtype=np.float64)
    if p.ndim != 1:
        raise invalid("p_values", "must be a 1-D array")
    if len(p) == 0:
        return p.copy()
    if ((p < 0) | (p > 1) | ~np.isfinite(p)).any():
        raise invalid("p_values", "p-values must lie in [0, 1]")
    m = len(p)
    order = np.argsort(p, kind="stable")
    ranked = p[order] * m / np.arange(1, m + 1)
    q_sorted = np.minimum.accumulate(ranked[::-1])[::-1]
    q = np.empty(m)
    q[order] = np.minimum(q_sorted, 1.0)
    return q


# ---------------------------------------------------------------- one series, one day


def _calendar(series: Series, first: date, last: date) -> list[Day | None]:
    """Every calendar day from first to last: the series' day, 0 for a count without a row, None otherwise."""
    by_day = {d.day: d for d in series.days}
    out: list[Day | None] = []
    for i in range((last - first).days + 1):
        day = first + timedelta(days=i)
        if series.active_from is not None and day < series.active_from:
            out.append(None)
            continue
        d = by_day.get(day)
        if d is None and series.metric.kind is Kind.COUNT:
            d = Day(day, 0.0)
        elif d is not None and series.metric.kind is not Kind.COUNT and d.n <= 0:
            d = None
        out.append(d)
    return out


def score_series(series: Series, day: date, settings: Settings, cusum_h: float = 4.0, ewma_limit: float = 3.0) -> Score:
    """One series on one day: the test, persistent-shift signals and rule annotations (no multiple testing)."""
    return _scores(series, [day], settings, cusum_h, ewma_limit)[0]


def _scores(series: Series, days: Sequence[date], st: Settings, cusum_h: float, ewma_limit: float) -> list[Score]:
    check_series(series)
    first = min(days) - timedelta(days=2 * st.window_days - 1)
    tests = _tests(series, first, max(days), st)
    bad = series.metric.bad
    sign = {Bad.LOW: -1, Bad.HIGH: 1, Bad.BOTH: 0}[bad]
    scored = [tests.at(day) for day in days if tests.valid[tests.at(day)]]
    # every scored day's window as one row, right-aligned and padded with zeros, so each chart runs once for all
    windows = np.zeros((len(scored), st.window_days))
    for r, i in enumerate(scored):
        lo = i - st.window_days + 1
        z = tests.z[lo : i + 1][tests.valid[lo : i + 1]]
        windows[r, st.window_days - len(z) :] = z
    first_today = {}
    for name, chart in (
        ("cusum", control.Cusum(st.cusum_k, cusum_h)),
        ("ewma", control.Ewma(st.ewma_lambda, ewma_limit)),
    ):
        codes = control.run_charts(chart, windows)
        hits = (codes != 0) & ((np.sign(codes) == sign) | (sign == 0))
        # the chart's first signal in the window falls on the day itself (else it was raised before)
        first_today[name] = hits[:, -1] & ~hits[:, :-1].any(axis=1)
    we = control.run_charts(control.WesternElectric(), windows[:, -8:])[:, -1]  # a rule looks back 8 points
    row = {i: r for r, i in enumerate(scored)}
    by_day = {x.day: x for x in series.days}
    out = []
    for day in days:
        i = tests.at(day)
        if i not in row:
            d = by_day.get(day)
            has_data = d is not None and (series.metric.kind is Kind.COUNT or d.n > 0)
            if not has_data and series.metric.kind is not Kind.COUNT:
                out.append(Score(series, day, "no data"))
            elif not _enough_history(series, day, st):
                out.append(Score(series, day, "history too short"))
            else:
                out.append(Score(series, day, "sample too small"))
            continue
        r = row[i]
        persistent = tuple(name for name in ("cusum", "ewma") if first_today[name][r])
        p = _p_value(float(tests.cdf_low[i]), float(tests.cdf_high[i]), bad)
        alarming = bool(persistent) or p <= st.fdr  # the BH q-value is never below p
        since = _since(tests, i, st.window_days, sign) if alarming else None
        params = tests.params[i]
        band = _band(series.metric, params) if alarming and params is not None else (None, None)
        ev = Evidence(
            float(tests.observed[i]),
            float(tests.expected[i]),
            band[0],
            band[1],
            float(tests.n[i]),
            float(tests.z[i]),
            p,
            None,
            since,
            int(tests.history[i]),
        )
        annotations = (f"western electric {abs(int(we[r]))}",) if we[r] != 0 else ()
        out.append(Score(series, day, "ok", ev, persistent, annotations))
    return out


def _enough_history(series: Series, day: date, st: Settings) -> bool:
    start = day - timedelta(days=st.history_days)
    if series.metric.kind is Kind.COUNT:
        begin = max(start, series.active_from) if series.active_from else start
        return (day - begin).days >= st.min_history_days
    return sum(1 for d in series.days if start <= d.day < day and d.n > 0) >= st.min_history_days


def _since(tests: _Baselines, i: int, window: int, sign: int) -> date | None:
    """Start of the last level shift (PELT on the z of the last two windows) if it falls in the window, bad way."""
    lo = max(i - 2 * window + 1, 0)
    idx = lo + np.flatnonzero(tests.valid[lo : i + 1])
    if len(idx) < 8:
        return None
    values = tests.z[idx]
    changes = control.pelt_mean_changes(values, sigma=1.0)
    if not changes:
        return None
    start = changes[-1]
    shift = float(values[start:].mean() - values[:start].mean())
    if idx[start] <= i - window or (sign != 0 and np.sign(shift) != sign):
        return None
    return tests.first + timedelta(days=int(idx[start]))


def _severity(z: float, expected: float, observed: float) -> str:
    rel = abs(observed - expected) / expected if expected > 0 else math.inf
    if abs(z) >= 5 or rel >= 0.3:
        return "high"
    if abs(z) >= 3.5 or rel >= 0.15:
        return "medium"
    return "low"


def chart_limits(series_count: int, settings: Settings) -> tuple[float, float]:
    """CUSUM h and EWMA L whose in-control ARLs keep the charts within the false-alarm budget for this many
    series. Half the budget is held back for model error (a day's z is only nearly normal: its baseline comes
    from a few weeks); each chart gets half of what the point test (about 7·fdr a week) leaves of the other half,
    and at least an eighth of the budget."""
    st = settings
    share = max(st.alarms_per_week / 2.0 - 7.0 * st.fdr, st.alarms_per_week / 4.0) / 2.0
    arl0 = max(st.min_arl, 7.0 * max(series_count, 1) / share)
    return control.cusum_h_for_arl(round(arl0), st.cusum_k), control.ewma_limit_for_arl(round(arl0), st.ewma_lambda)


def detect(series: Sequence[Series], day: date, settings: Settings | None = None) -> Detection:
    """Anomalies of `day` over every series a project watches (the false-alarm budget is shared by all)."""
    return detect_days(series, [day], settings)[0]


def detect_days(series: Sequence[Series], days: Sequence[date], settings: Settings | None = None) -> list[Detection]:
    """`detect` for several days at once: each series' rolling baselines are fitted once for the whole span."""
    st = settings or Settings()
    require(len(days) > 0, "days", "give at least one day")
    h, lim = chart_limits(len(series), st)
    per_series = [_scores(s, days, st, h, lim) for s in series]
    return [_decide([scores[j] for scores in per_series], day, st, h, lim) for j, day in enumerate(days)]


def _decide(scores: list[Score], day: date, st: Settings, h: float, lim: float) -> Detection:
    tested = [(i, sc.evidence) for i, sc in enumerate(scores) if sc.evidence is not None]
    q = benjamini_hochberg([ev.p_value for _, ev in tested])
    anomalies = []
    for (i, found), qv in zip(tested, q, strict=True):
        sc = scores[i]
        ev = replace(found, q_value=float(qv))
        scores[i] = replace(sc, evidence=ev)
        rules = (("point",) if qv <= st.fdr else ()) + sc.persistent
        if not rules:
            continue
        bad = sc.series.metric.bad
        direction = bad.value if bad is not Bad.BOTH else ("low" if ev.z < 0 else "high")
        anomalies.append(
            Anomaly(
                sc.series.metric.name,
                sc.series.metric.kind,
                sc.series.slice,
                day,
                direction,
                _severity(ev.z, ev.expected, ev.observed),
                rules + sc.annotations,
                ev,
            )
        )
    order = {"high": 0, "medium": 1, "low": 2}
    anomalies.sort(key=lambda a: (order[a.severity], a.evidence.p_value))
    return Detection(tuple(anomalies), tuple(scores), h, lim)
