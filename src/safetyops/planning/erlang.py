"""Erlang B, C and A queueing formulas and the staffing searches built on them."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from safetyops.errors import InvalidInput, Problem

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_EPS = 1e-9  # slack for ceilings of ratios such as 14 / 0.7 = 20.000000000000004
_TAIL = 1e-12  # probability mass the Erlang A truncation may drop
_MAX_STATES = 5_000_000


class InvalidParameter(InvalidInput, ValueError):
    """An impossible planning parameter; `problems[0].field` names it (also a ValueError)."""


def invalid(field: str, message: str) -> InvalidParameter:
    """The error for one bad parameter, its name leading the message."""
    return InvalidParameter(f"{field}: {message}", [Problem(message, field=field)])


def _check(ok: bool, field: str, message: str) -> None:
    if not ok:
        raise invalid(field, message)


def _check_common(traffic: float, aht: float, within: float | None = None) -> None:
    _check(math.isfinite(traffic) and traffic >= 0, "traffic", "must be a finite number >= 0")
    _check(math.isfinite(aht) and aht > 0, "aht", "average handling time must be > 0")
    if within is not None:
        _check(math.isfinite(within) and within >= 0, "within", "answer-time threshold must be >= 0")


def _check_targets(target_sl: float, max_occupancy: float | None, shrinkage: float) -> None:
    _check(0 < target_sl < 1, "target_sl", "service-level target must be in (0, 1)")
    if max_occupancy is not None:
        _check(0 < max_occupancy <= 1, "max_occupancy", "must be in (0, 1]")
    _check(0 <= shrinkage < 1, "shrinkage", "must be in [0, 1)")


def _check_agents(agents: int) -> None:
    _check(agents >= 0, "agents", "must be >= 0")


def rostered(agents: int, shrinkage: float) -> int:
    """Agents to roster so that `agents` are productive after `shrinkage`: ceil(N / (1 - s))."""
    _check(0 <= shrinkage < 1, "shrinkage", "must be in [0, 1)")
    return math.ceil(agents / (1 - shrinkage) - _EPS)


# ---------------------------------------------------------------- Erlang B


def erlang_b(agents: int, traffic: float) -> float:
    """Blocking probability of M/M/N/N by the recurrence B(n) = A·B(n−1) / (n + A·B(n−1))."""
    _check_agents(agents)
    _check(math.isfinite(traffic) and traffic >= 0, "traffic", "must be a finite number >= 0")
    b = 1.0
    for n in range(1, agents + 1):
        b = traffic * b / (n + traffic * b)
    return b


@dataclass(frozen=True)
class ErlangBResult:
    """Servers for a blocking target and the blocking they give."""

    agents: int
    traffic: float
    blocking: float


def staff_erlang_b(traffic: float, blocking: float) -> ErlangBResult:
    """Smallest N with Erlang B(N, A) ≤ `blocking`."""
    _check(math.isfinite(traffic) and traffic >= 0, "traffic", "must be a finite number >= 0")
    _check(0 < blocking < 1, "blocking", "blocking target must be in (0, 1)")
    b, n = 1.0, 0
    while b > blocking:
        n += 1
        b = traffic * b / (n + traffic * b)
    return ErlangBResult(agents=n, traffic=traffic, blocking=b)


# ---------------------------------------------------------------- Erlang C


@dataclass(frozen=True)
class ErlangCResult:
    """Erlang C measures for one staffing level; asa is inf when agents ≤ traffic."""

    agents: int
    rostered: int
    traffic: float
    p_wait: float
    service_level: float
    asa: float
    occupancy: float


def _c_from_b(n: FloatArray | float, a: FloatArray | float, b: FloatArray | float) -> FloatArray:
    n, a, b = np.asarray(n, float), np.asarray(a, float), np.asarray(b, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        c = n * b / (n - a * (1 - b))
    return np.where(n > a, c, np.where(a > 0, 1.0, 0.0))


def _measures(
    n: FloatArray, a: FloatArray, p_wait: FloatArray, aht: FloatArray, within: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    stable = n > a
    gap = np.where(stable, n - a, 1.0)
    sl = np.where(stable, 1 - p_wait * np.exp(-gap * within / aht), 0.0)
    asa = np.where(stable, p_wait * aht / gap, np.inf)
    with np.errstate(divide="ignore", invalid="ignore"):
        occ = np.where(n > 0, np.minimum(a / n, 1.0), 0.0)
    return sl, asa, occ


def erlang_c(agents: int, traffic: float) -> float:
    """Probability an arrival waits (M/M/N): C = N·B / (N − A(1 − B)); 1 when N ≤ A > 0."""
    b = erlang_b(agents, traffic)
    return float(_c_from_b(float(agents), traffic, b))


def service_level(agents: int, traffic: float, aht: float, within: float) -> float:
    """P(wait ≤ t) = 1 − C·exp(−(N − A)·t / AHT); 0 when N ≤ A."""
    return evaluate_erlang_c(agents, traffic, aht, within).service_level


def average_speed_of_answer(agents: int, traffic: float, aht: float) -> float:
    """Mean wait over all arrivals, C·AHT / (N − A), in the unit of `aht`; inf when N ≤ A."""
    return evaluate_erlang_c(agents, traffic, aht, 0.0).asa


def occupancy(agents: int, traffic: float) -> float:
    """Share of agent time busy, A / N (capped at 1)."""
    _check_agents(agents)
    return min(traffic / agents, 1.0) if agents else 0.0


def evaluate_erlang_c(agents: int, traffic: float, aht: float, within: float, shrinkage: float = 0.0) -> ErlangCResult:
    """All Erlang C measures for a given number of agents."""
    _check_agents(agents)
    _check_common(traffic, aht, within)
    c = _c_from_b(float(agents), traffic, erlang_b(agents, traffic))
    one = np.ones(1)
    sl, asa, occ = _measures(agents * one, traffic * one, c * one, aht * one, within * one)
    return ErlangCResult(
        agents=agents,
        rostered=rostered(agents, shrinkage),
        traffic=traffic,
        p_wait=float(c),
        service_level=float(sl[0]),
        asa=float(asa[0]),
        occupancy=float(occ[0]),
    )


@dataclass(frozen=True)
class StaffingPlan:
    """Erlang C staffing of many intervals at once: one array entry per interval."""

    traffic: FloatArray
    agents: IntArray
    rostered: IntArray
    p_wait: FloatArray
    service_level: FloatArray
    asa: FloatArray
    occupancy: FloatArray


def _least_agents(a: FloatArray, max_occupancy: float | None) -> FloatArray:
    low = np.floor(a) + 1
    if max_occupancy is not None:
        low = np.maximum(low, np.ceil(a / max_occupancy - _EPS))
    return np.where(a > 0, low, 0.0)


def _search(
    a: FloatArray, h: FloatArray, low: FloatArray, target_sl: float, within: float
) -> tuple[IntArray, FloatArray]:
    """One Erlang B recurrence for all pending intervals; an interval leaves once N ≥ low and SL ≥ target."""
    agents = np.zeros(a.size, dtype=np.int64)
    p_wait = np.zeros(a.size)
    idx = np.flatnonzero(a > 0)
    a_p, h_p, low_p = a[idx], h[idx], low[idx]
    b = np.ones(idx.size)
    n, first = 0, low_p.min(initial=0.0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        while idx.size:
            n += 1
            ab = a_p * b
            b = ab / (n + ab)
            if n < first:
                continue
            c = n * b / (n - a_p * (1 - b))  # meaningless where n ≤ A, masked by n ≥ low > A
            ok = (n >= low_p) & (1 - c * np.exp((a_p - n) * within / h_p) >= target_sl)
            if ok.any():
                agents[idx[ok]], p_wait[idx[ok]] = n, c[ok]
                keep = ~ok
                idx, a_p, h_p, low_p, b = idx[keep], a_p[keep], h_p[keep], low_p[keep], b[keep]
                first = low_p.min(initial=0.0)
    return agents, p_wait


def staff_erlang_c_many(
    traffic: npt.ArrayLike,
    aht: npt.ArrayLike,
    target_sl: float,
    within: float,
    max_occupancy: float | None = None,
    shrinkage: float = 0.0,
) -> StaffingPlan:
    """Smallest N per interval with SL ≥ target (and A/N ≤ max_occupancy); one B recurrence for all."""
    a = np.atleast_1d(np.asarray(traffic, dtype=float))
    h = np.broadcast_to(np.asarray(aht, dtype=float), a.shape)
    _check(bool(np.all(np.isfinite(a)) and np.all(a >= 0)), "traffic", "must be finite numbers >= 0")
    _check(bool(np.all(np.isfinite(h)) and np.all(h > 0)), "aht", "average handling time must be > 0")
    _check(math.isfinite(within) and within >= 0, "within", "answer-time threshold must be >= 0")
    _check_targets(target_sl, max_occupancy, shrinkage)
    agents, p_wait = _search(a.ravel(), h.ravel(), _least_agents(a, max_occupancy).ravel(), target_sl, within)
    agents, p_wait = agents.reshape(a.shape), p_wait.reshape(a.shape)
    nf = agents.astype(float)
    sl, asa, occ = _measures(nf, a, p_wait, h, np.full(a.shape, within))
    sl = np.where(a == 0, 1.0, sl)
    asa = np.where(a == 0, 0.0, asa)
    rost = np.ceil(nf / (1 - shrinkage) - _EPS).astype(np.int64)
    return StaffingPlan(a, agents, rost, p_wait, sl, asa, occ)


def staff_erlang_c(
    traffic: float,
    aht: float,
    target_sl: float,
    within: float,
    max_occupancy: float | None = None,
    shrinkage: float = 0.0,
) -> ErlangCResult:
    """Smallest N with Erlang C service level ≥ target (and occupancy ≤ cap), plus rostered headcount."""
    _check_common(traffic, aht, within)
    plan = staff_erlang_c_many([traffic], aht, target_sl, within, max_occupancy, shrinkage)
    return ErlangCResult(
        agents=int(plan.agents[0]),
        rostered=int(plan.rostered[0]),
        traffic=traffic,
        p_wait=float(plan.p_wait[0]),
        service_level=float(plan.service_level[0]),
        asa=float(plan.asa[0]),
        occupancy=float(plan.occupancy[0]),
    )


# ---------------------------------------------------------------- Erlang A


@dataclass(frozen=True)
class ErlangAResult:
    """Erlang A (M/M/N+M) measures for one staffing level.

    p_wait: P(an arrival finds all agents busy). p_abandon: P(an arrival hangs up before service).
    service_level: P(answered within t) over ALL arrivals — abandoned calls count as not answered.
    asa: mean wait of answered arrivals (0 for those answered at once). mean_wait: mean time in queue
    over all arrivals, abandoned included (Little's law: E[Q] / λ). occupancy: answered traffic / N.
    """

    agents: int
    rostered: int
    traffic: float
    p_wait: float
    p_abandon: float
    service_level: float
    asa: float
    mean_wait: float
    occupancy: float


def _queue_log_weights(agents: int, traffic: float, aht: float, patience: float) -> tuple[float, FloatArray]:
    """Log of stationary weights: (log Σ_{n<N} w_n, log w_{N+j} for j = 0..J), w_n ∝ P(n in system)."""
    from scipy.special import gammaln, logsumexp  # on first use: server workers need not carry SciPy

    n = np.arange(agents, dtype=float)
    log_a = math.log(traffic)
    log_below = float(logsumexp(n * log_a - gammaln(n + 1))) if agents else -math.inf
    log_at_n = agents * log_a - float(gammaln(agents + 1.0))
    nu, beta = agents * patience / aht, traffic * patience / aht  # Nμ/θ and λ/θ
    size = max(64, int(2 * max(beta - nu, 0.0)) + 64)
    while True:
        m = np.arange(1, size, dtype=float)  # w_{N+m} / w_{N+m-1} = λ / (Nμ + mθ) = A / (N + m·AHT/patience)
        steps = np.log(traffic / (agents + m * aht / patience))
        log_q = log_at_n + np.concatenate(([0.0], np.cumsum(steps)))
        ratio = beta / (nu + size)  # next weight / last weight; falls further as j grows
        if ratio < 1:
            log_total = float(np.logaddexp(log_below, logsumexp(log_q)))
            log_tail = float(log_q[-1]) + math.log(ratio / (1 - ratio))
            if log_tail - log_total < math.log(_TAIL):
                return log_below, log_q
        _check(size < _MAX_STATES, "patience", "too long for this traffic; use Erlang C instead")
        size *= 2


def erlang_a(
    agents: int, traffic: float, aht: float, patience: float, within: float, shrinkage: float = 0.0
) -> ErlangAResult:
    """Erlang A (Palm; Garnett, Mandelbaum & Reiman 2002) with exponential patience of mean `patience`.

    Birth–death stationary law in log space, truncated where the tail mass is below 1e-12. An arrival
    finding j others queued is served with probability Nμ/(Nμ + (j+1)θ); given service, its wait is
    −ln(U)/θ with U ~ Beta(Nμ/θ + 1, j + 1), so P(answered within t) uses the regularised beta.
    """
    from scipy.special import betaincc, logsumexp  # on first use: server workers need not carry SciPy

    _check_agents(agents)
    _check_common(traffic, aht, within)
    _check(math.isfinite(patience) and patience > 0, "patience", "mean patience must be > 0")
    if traffic == 0:
        return ErlangAResult(agents, rostered(agents, shrinkage), 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0)
    log_below, log_q = _queue_log_weights(agents, traffic, aht, patience)
    log_total = float(np.logaddexp(log_below, logsumexp(log_q)))
    q = np.exp(log_q - log_total)
    p_below = math.exp(log_below - log_total)
    norm = p_below + float(q.sum())  # renormalise away the rounding of the log-space sum
    q, p_below = q / norm, p_below / norm
    if agents == 0:
        return ErlangAResult(0, 0, traffic, 1.0, 1.0, 0.0, 0.0, patience, 0.0)
    mu, theta = 1 / aht, 1 / patience
    j = np.arange(q.size, dtype=float)
    nu = agents * mu / theta
    served = agents * mu / (agents * mu + (j + 1) * theta)
    within_t = betaincc(nu + 1, j + 1, math.exp(-theta * within))
    wait_if_served = np.cumsum(1 / (agents * mu + (j + 1) * theta))
    p_served = p_below + float(np.sum(q * served))
    p_abandon = max(1 - p_served, 0.0)
    return ErlangAResult(
        agents=agents,
        rostered=rostered(agents, shrinkage),
        traffic=traffic,
        p_wait=min(float(q.sum()), 1.0),
        p_abandon=p_abandon,
        service_level=p_below + float(np.sum(q * served * within_t)),
        asa=float(np.sum(q * served * wait_if_served)) / p_served,
        mean_wait=float(np.sum(q * j)) * aht / traffic,
        occupancy=min(traffic * p_served / agents, 1.0),
    )


def staff_erlang_a(
    traffic: float,
    aht: float,
    patience: float,
    target_sl: float,
    within: float,
    max_occupancy: float | None = None,
    shrinkage: float = 0.0,
) -> ErlangAResult:
    """Smallest N whose Erlang A service level meets the target (and occupancy ≤ cap); bisection on N."""
    _check_common(traffic, aht, within)
    _check_targets(target_sl, max_occupancy, shrinkage)

    def good(n: int) -> bool:
        r = erlang_a(n, traffic, aht, patience, within)
        cap_ok = max_occupancy is None or r.occupancy <= max_occupancy + 1e-12
        return r.service_level >= target_sl and cap_ok

    if traffic == 0:
        return erlang_a(0, traffic, aht, patience, within, shrinkage)
    high = max(1, math.ceil(traffic))
    while not good(high):
        high *= 2
    low = 0  # good(low) is false: no agent answers nothing
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (low, mid) if good(mid) else (mid, high)
    return erlang_a(high, traffic, aht, patience, within, shrinkage)
