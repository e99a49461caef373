"""Simulated daily metric series of one project with no incident (or with injected ones), for the anomaly tests.

Per slice (a labeler, or a vendor or the project at 10× or 30× a labeler's volume; each slice drawn on its own):
a throughput count with a weekday rhythm (Saturday 50 %, Sunday 20 %) and negative-binomial noise (day-to-day
variance 2× the Poisson); gold accuracy on 15 % of the labels with a slice rate in 0.85–0.95 and a daily rate drawn
around it (beta-binomial, ρ = 0.005); a median handling time of ~20–40 s, log-normal from day to day (σ = 0.08).
Injected incidents change one metric of one slice from a given day by a given factor.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from safetyops.monitoring.anomaly import Bad, Day, Kind, Metric, Series, Slice

THROUGHPUT = Metric("labels_done", Kind.COUNT, Bad.LOW, min_n=20)
ACCURACY = Metric("gold_accuracy", Kind.PROPORTION, Bad.LOW, min_n=30)
HANDLING = Metric("handling_time", Kind.DURATION, Bad.BOTH, min_n=20)
RHYTHM = np.array([1.0, 1.0, 1.0, 1.0, 1.0, 0.5, 0.2])


@dataclass(frozen=True)
class Incident:
    metric: str
    slice: Slice
    start: date
    factor: float  # multiplies the count, the handling time, or the error rate (1 − accuracy)


def simulate(
    rng: np.random.Generator, slices: list[Slice], start: date, days: int, incidents: tuple[Incident, ...] = ()
) -> list[Series]:
    out: list[Series] = []
    for sl in slices:
        scale = 30.0 if sl == () else 10.0 if sl[0][0] == "vendor" else 1.0
        volume = rng.uniform(150, 600) * scale
        accuracy = rng.uniform(0.85, 0.95)
        seconds = rng.uniform(20, 40)
        counts, gold, aht = [], [], []
        for i in range(days):
            day = start + timedelta(days=i)
            f = {m: 1.0 for m in ("labels_done", "gold_accuracy", "handling_time")}
            for inc in incidents:
                if inc.slice == sl and day >= inc.start:
                    f[inc.metric] = inc.factor
            mu = volume * RHYTHM[day.weekday()] * f["labels_done"]
            count = rng.negative_binomial(mu, 0.5) if mu > 0 else 0  # mean mu, variance 2·mu
            counts.append(Day(day, float(count)))
            n = int(rng.binomial(count, 0.15))
            err = min((1 - accuracy) * f["gold_accuracy"], 0.99)
            rho = 0.005
            p = rng.beta((1 - err) * (1 - rho) / rho, err * (1 - rho) / rho)
            gold.append(Day(day, float(rng.binomial(n, p)), float(n)))
            aht.append(Day(day, float(seconds * f["handling_time"] * np.exp(rng.normal(0, 0.08))), float(count)))
        out += [
            Series(THROUGHPUT, sl, tuple(counts)),
            Series(ACCURACY, sl, tuple(gold)),
            Series(HANDLING, sl, tuple(aht)),
        ]
    return out


def project_slices(labelers: int = 30, vendors: int = 3) -> list[Slice]:
    out: list[Slice] = [()]
    out += [(("vendor", f"V{v + 1}"),) for v in range(vendors)]
    out += [(("labeler", f"L{i + 1:02d}"),) for i in range(labelers)]
    return out
