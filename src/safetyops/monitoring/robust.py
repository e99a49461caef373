"""Robust location and scale shared by the monitoring modules: one median, one MAD-based σ."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

MAD_SIGMA = 1.4826  # σ of a normal distribution per unit of median absolute deviation


def median(x: npt.NDArray[np.float64]) -> float:
    """np.median without its overhead (the baselines call it some 20 times per fitted day): sort, take the middle.
    0 for an empty array."""
    if len(x) == 0:
        return 0.0
    v = np.sort(x)
    n = len(v)
    return float(0.5 * (v[(n - 1) // 2] + v[n // 2]))


def mad_sigma(x: npt.NDArray[np.float64]) -> float:
    """1.4826 · median |x − median(x)|: σ for normal data, unmoved by a minority of outliers (0 when empty)."""
    return MAD_SIGMA * median(np.abs(x - median(x))) if len(x) else 0.0
