"""Manpower formulas: workload hours, productive hours, FTE, ramp-up, attrition, hiring dates, gaps."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import numpy.typing as npt

from safetyops.planning.erlang import invalid

FloatArray = npt.NDArray[np.float64]
Number = float | FloatArray

WEEKS_PER_MONTH = 52 / 12


def _arr(value: npt.ArrayLike, field: str) -> FloatArray:
    a = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(a)):
        raise invalid(field, "must be a finite number")
    return a


def _out(value: FloatArray) -> Number:
    return float(value) if value.ndim == 0 else value


def _at_least(value: npt.ArrayLike, field: str, low: float, *, strict: bool = False) -> FloatArray:
    a = _arr(value, field)
    bad = a <= low if strict else a < low
    if np.any(bad):
        raise invalid(field, f"must be {'>' if strict else '>='} {low:g}")
    return a


def _fraction(value: npt.ArrayLike, field: str, *, closed_top: bool, open_bottom: bool) -> FloatArray:
    a = _arr(value, field)
    low_bad = a <= 0 if open_bottom else a < 0
    high_bad = a > 1 if closed_top else a >= 1
    if np.any(low_bad | high_bad):
        interval = f"{'(' if open_bottom else '['}0, 1{']' if closed_top else ')'}"
        raise invalid(field, f"must be in {interval}")
    return a


def workload_hours(
    volume: npt.ArrayLike,
    handling_time_s: npt.ArrayLike,
    overlap: npt.ArrayLike = 1,
    gold_rate: npt.ArrayLike = 0.0,
    qa_rate: npt.ArrayLike = 0.0,
    review_time_s: npt.ArrayLike = 0.0,
) -> Number:
    """Hours = (volume·overlap·(1 + gold_rate)·handling_time + qa_rate·volume·review_time) / 3600."""
    v = _at_least(volume, "volume", 0)
    aht = _at_least(handling_time_s, "handling_time_s", 0, strict=True)
    ov = _at_least(overlap, "overlap", 1)
    gold = _fraction(gold_rate, "gold_rate", closed_top=False, open_bottom=False)
    qa = _fraction(qa_rate, "qa_rate", closed_top=True, open_bottom=False)
    review = _at_least(review_time_s, "review_time_s", 0)
    return _out((v * ov * (1 + gold) * aht + qa * v * review) / 3600)


def productive_hours_per_fte(
    working_days: npt.ArrayLike,
    hours_per_day: npt.ArrayLike,
    shrinkage: npt.ArrayLike,
    occupancy: npt.ArrayLike,
) -> Number:
    """Hours one FTE labels in the period: working_days × hours_per_day × (1 − shrinkage) × occupancy."""
    days = _at_least(working_days, "working_days", 0, strict=True)
    hours = _at_least(hours_per_day, "hours_per_day", 0, strict=True)
    if np.any(hours > 24):
        raise invalid("hours_per_day", "must be <= 24")
    shrink = _fraction(shrinkage, "shrinkage", closed_top=False, open_bottom=False)
    occ = _fraction(occupancy, "occupancy", closed_top=True, open_bottom=True)
    return _out(days * hours * (1 - shrink) * occ)


def fte_required(workload: npt.ArrayLike, productive_hours: npt.ArrayLike) -> Number:
    """FTE = workload hours / productive hours per FTE."""
    work = _at_least(workload, "workload_hours", 0)
    prod = _at_least(productive_hours, "productive_hours", 0, strict=True)
    return _out(work / prod)


def _ramp(ramp: Sequence[float]) -> FloatArray:
    r = _arr(list(ramp), "ramp")
    if np.any((r < 0) | (r > 1)):
        raise invalid("ramp", "each week's productivity must be in [0, 1]")
    return r


def _survival(weeks: FloatArray, monthly_attrition: float) -> FloatArray:
    if not 0 <= monthly_attrition < 1:
        raise invalid("monthly_attrition", "must be in [0, 1)")
    return np.asarray((1 - monthly_attrition) ** (weeks / WEEKS_PER_MONTH), dtype=float)


def retained(headcount: npt.ArrayLike, monthly_attrition: float, months: float) -> Number:
    """Headcount left after `months` at a constant monthly attrition rate: h·(1 − r)^months."""
    h = _at_least(headcount, "headcount", 0)
    if months < 0:
        raise invalid("months", "must be >= 0")
    return _out(h * _survival(np.asarray(months * WEEKS_PER_MONTH), monthly_attrition))


def cohort_effective_fte(
    headcount: float,
    ramp: Sequence[float],
    period_weeks: int,
    start_tenure_weeks: int = 0,
    monthly_attrition: float = 0.0,
) -> float:
    """Mean effective FTE of a cohort over a period of whole weeks.

    Week w of tenure produces ramp[w] (1.0 once past the ramp); the cohort shrinks by monthly attrition
    counted from the period start (mid-week survival).
    """
    if headcount < 0:
        raise invalid("headcount", "must be >= 0")
    if period_weeks < 1:
        raise invalid("period_weeks", "must be >= 1")
    if start_tenure_weeks < 0:
        raise invalid("start_tenure_weeks", "must be >= 0")
    r = _ramp(ramp)
    tenure = np.arange(start_tenure_weeks, start_tenure_weeks + period_weeks)
    productivity = np.append(r, 1.0)[np.minimum(tenure, r.size)]
    alive = _survival(np.arange(period_weeks, dtype=np.float64) + 0.5, monthly_attrition)
    return float(headcount * np.mean(productivity * alive))


def start_hiring_by(need_date: date, hiring_lead: timedelta, training_lead: timedelta) -> date:
    """Last day to open hiring: need date − (hiring lead + training lead)."""
    if hiring_lead < timedelta(0):
        raise invalid("hiring_lead", "must be >= 0 days")
    if training_lead < timedelta(0):
        raise invalid("training_lead", "must be >= 0 days")
    return need_date - (hiring_lead + training_lead)


@dataclass(frozen=True)
class Gap:
    """Required FTE against the roster: gap > 0 is a shortfall, < 0 a surplus."""

    required: Number
    roster: Number
    gap: Number
    shortfall: Number
    surplus: Number


def staffing_gap(required: npt.ArrayLike, roster: npt.ArrayLike) -> Gap:
    """Gap = required − roster, split into shortfall (≥ 0) and surplus (≥ 0)."""
    req = _at_least(required, "required_fte", 0)
    ros = _at_least(roster, "roster_fte", 0)
    gap = req - ros
    return Gap(_out(req), _out(ros), _out(gap), _out(np.maximum(gap, 0)), _out(np.maximum(-gap, 0)))
