"""The load generator's own arithmetic: percentiles, and the worst second that shows a short stall."""

from __future__ import annotations

import numpy as np

from tests.support.loadtest import percentile, worst_second


def test_a_short_stall_shows_in_the_worst_second_but_not_in_the_runs_p99() -> None:
    # 10 seconds of 500 calls at 5 ms; in second 6, 40 calls waited 200 ms (a whole-server pause).
    started = [100.0 + i / 500 for i in range(5000)]
    latencies = [200.0 if 3000 <= i < 3040 else 5.0 for i in range(5000)]
    assert percentile(latencies, 99) == 5.0  # 40 of 5,000 is 0.8 %: hidden at the 99th percentile...
    assert worst_second(started, latencies) == 200.0  # ...but 8 % of its own second
    assert worst_second(started, [5.0] * 5000) == 5.0


def test_the_worst_second_is_the_highest_per_second_percentile() -> None:
    rng = np.random.default_rng(7)
    started = sorted(rng.uniform(0, 3, 3000).tolist())
    latencies = rng.exponential(10, 3000).tolist()
    by_second = [
        np.percentile([ms for at, ms in zip(started, latencies, strict=True) if int(at - started[0]) == s], 99)
        for s in range(3)
    ]
    assert worst_second(started, latencies) == round(float(max(by_second)), 2)
    assert worst_second([], []) is None
