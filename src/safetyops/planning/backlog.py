"""Deferred work: the least constant capacity that clears each slot's work within a deadline."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from safetyops.planning.erlang import invalid

FloatArray = npt.NDArray[np.float64]

_TOL = 1e-9


def _validate(work: npt.ArrayLike, deadline: int) -> FloatArray:
    w = np.asarray(work, dtype=float).ravel()
    if w.size == 0:
        raise invalid("work", "needs at least one slot")
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise invalid("work", "must be finite numbers >= 0")
    if isinstance(deadline, bool) or not isinstance(deadline, int | np.integer) or deadline < 1:
        raise invalid("deadline", "must be a whole number of slots >= 1")
    return w


def least_capacity(work: npt.ArrayLike, deadline: int) -> float:
    """max(mean W, max over u ≤ s of Σᵢ₌ᵤˢ Wᵢ / (s − u + D)).

    Work Wᵢ arrives in slot i and must be done by the end of slot i + D − 1. The window term makes
    every run of slots u..s finishable in its s − u + D slots; the mean term keeps a repeating pattern
    from piling up. O(n²) time over window lengths with O(n) memory: fine for n up to a few thousand.
    """
    w = _validate(work, deadline)
    cum = np.concatenate(([0.0], np.cumsum(w)))
    n = w.size
    best = float(w.mean())
    for lag in range(n):  # windows u..s with s − u = lag
        sums = cum[lag + 1 :] - cum[: n - lag]
        best = max(best, float(sums.max()) / (lag + deadline))
    return best


@dataclass(frozen=True)
class BacklogPlan:
    """A constant capacity and the first-in-first-out schedule it gives, one entry per slot."""

    capacity: float
    deadline: int
    work: FloatArray
    processed: FloatArray
    backlog: FloatArray
    late: float


def schedule(work: npt.ArrayLike, deadline: int, capacity: float) -> BacklogPlan:
    """First-in-first-out schedule at a constant capacity: each slot processes min(capacity, open work).

    It runs over the n arrival slots plus D − 1 drain slots; `late` is the most work still open past
    its deadline at the end of any slot (0 up to rounding when the capacity is enough).
    """
    w = _validate(work, deadline)
    if not math.isfinite(capacity) or capacity < 0:
        raise invalid("capacity", "must be a finite number >= 0")
    horizon = w.size + deadline - 1
    arrivals = np.concatenate((w, np.zeros(deadline - 1)))
    due = np.zeros(horizon)
    due[deadline - 1 : deadline - 1 + w.size] = w
    processed = np.zeros(horizon)
    backlog = np.zeros(horizon)
    open_work = done = due_so_far = late = 0.0
    for t in range(horizon):
        open_work += arrivals[t]
        step = min(capacity, open_work)
        processed[t], open_work, done = step, open_work - step, done + step
        backlog[t] = open_work
        due_so_far += due[t]
        late = max(late, due_so_far - done)
    late = late if late > _TOL * max(1.0, math.fsum(w)) else 0.0
    return BacklogPlan(capacity, deadline, w, processed, backlog, late)


def plan_backlog(work: npt.ArrayLike, deadline: int) -> BacklogPlan:
    """The least capacity of `least_capacity` and the schedule it gives."""
    return schedule(work, deadline, least_capacity(work, deadline))
