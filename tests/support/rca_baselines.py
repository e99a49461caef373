"""Two published root-cause localisation methods, written from their papers for comparison (not product code).

Adtributor — Bhagwan et al., "Adtributor: Revenue debugging in advertising systems", NSDI 2014. Per dimension,
  each value's surprise (Jensen–Shannon term between its forecast share p and real share q) and explanatory power
  EP = (A_j − F_j)/(A − F); values sorted by surprise are taken while each explains > T_EEP = 0.1, until together
  they explain > T_EP = 0.67; the n = 3 dimensions with the largest total surprise are the answer. Derived
  measures m = a/b use the paper's partial-derivative EP, (ΔA_a·F_b − ΔA_b·F_a)/(F_b·(F_b + ΔA_b)) over ΔM, and
  the sum of a's and b's surprise. Root causes of one dimension only, by design.

Squeeze — Li et al., "Generic and Robust Localization of Multi-Dimensional Root Causes", ISSRE 2019.
  Deviation score d = 2(f − v)/(f + v) per leaf; leaves below the knee of the sorted |d| curve are normal; the
  abnormal leaves' scores are clustered by the valleys of their kernel density (one cluster per root-cause
  magnitude, the generalized ripple effect); per cluster and per cuboid (1–3 dimensions) elements are sorted by
  their descendant ratio (cluster leaves under the element over its non-zero leaves), the top-k set that maximises
  the generalized potential score GPS = 1 − (mean_{S1}|v − a| + mean_{S2}|v − f|)/(mean_{S1}|v − f| + mean_{S2}|v − f|)
  is kept (a = f scaled by the element's own v/f, S1 its leaves, S2 the rest); among cuboids, the best GPS wins,
  and within 0.02 of it the most succinct (fewest elements × layer). Derived measures use the leaf ratios.
  Details the paper leaves open (knee rule, bandwidth, the 0.02 tie band) are our reading, named here.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from safetyops.monitoring.rca import Cube, Element

# ---------------------------------------------------------------- Adtributor


def _surprise(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    m = (p + q) / 2.0
    with np.errstate(divide="ignore", invalid="ignore"):
        tp = np.where(p > 0, p * np.log(p / m), 0.0)
        tq = np.where(q > 0, q * np.log(q / m), 0.0)
    return 0.5 * (tp + tq)


def adtributor(cube: Cube, t_eep: float = 0.1, t_ep: float = 0.67, n_dims: int = 3) -> list[Element]:
    candidates: list[tuple[float, list[Element]]] = []
    for d, name in enumerate(cube.dimensions):
        g = cube.codes[:, d]
        size = len(cube.labels[d])

        def sums(x: np.ndarray, g: np.ndarray = g, size: int = size) -> np.ndarray:
            return np.bincount(g, weights=x, minlength=size)

        fa, aa = sums(cube.predict), sums(cube.real)
        if cube.real_b is None or cube.predict_b is None:
            f_tot, a_tot = fa.sum(), aa.sum()
            if a_tot == f_tot or f_tot <= 0 or a_tot <= 0:
                continue
            ep = (aa - fa) / (a_tot - f_tot)
            surprise = _surprise(fa / f_tot, aa / a_tot)
        else:
            fb, ab = sums(cube.predict_b), sums(cube.real_b)
            fa_t, fb_t, aa_t, ab_t = fa.sum(), fb.sum(), aa.sum(), ab.sum()
            if min(fa_t, fb_t, aa_t, ab_t) <= 0:
                continue
            change = aa_t / ab_t - fa_t / fb_t
            if change == 0:
                continue
            with np.errstate(divide="ignore", invalid="ignore"):
                ep = ((aa - fa) * fb_t - (ab - fb) * fa_t) / (fb_t * (fb_t + ab - fb)) / change
            ep = np.nan_to_num(ep)
            surprise = _surprise(fa / fa_t, aa / aa_t) + _surprise(fb / fb_t, ab / ab_t)
        chosen: list[Element] = []
        explained, total_surprise = 0.0, 0.0
        for j in np.argsort(-surprise, kind="stable"):
            if ep[j] > t_eep:
                chosen.append(((name, cube.labels[d][j]),))
                explained += ep[j]
                total_surprise += surprise[j]
            if explained > t_ep:
                candidates.append((total_surprise, chosen))
                break
    candidates.sort(key=lambda c: -c[0])
    return [e for _, elements in candidates[:n_dims] for e in elements]


# ---------------------------------------------------------------- Squeeze


def _knee_concave_increasing(x: np.ndarray, y: np.ndarray) -> float | None:
    """Kneedle (Satopää et al. 2011) for a concave increasing curve: the x farthest above the chord."""
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return None
    xn = (x - x[0]) / (x[-1] - x[0])
    yn = (y - y[0]) / (y[-1] - y[0])
    gap = yn - xn
    i = int(np.argmax(gap))
    return float(x[i]) if gap[i] > 0 else None


def _abnormal_by_amount(v: np.ndarray, f: np.ndarray) -> np.ndarray:
    """Squeeze's amount filter: leaves whose |v − f| lies above the knee of its cumulative distribution."""
    amount = np.abs(v - f)
    grid = np.linspace(amount.min(), amount.max(), 1000)
    cdf = np.searchsorted(np.sort(amount), grid, side="right").astype(float)
    knee = _knee_concave_increasing(grid, cdf)
    return np.flatnonzero(amount > (amount.min() if knee is None else knee))


def _density_clusters(d: np.ndarray, max_normal: float = 0.2) -> list[np.ndarray]:
    """Squeeze's 1-D density clustering: an 'auto' histogram padded by five 0.1-wide empty bins each side,
    smoothed by a moving average (window: a tenth of the non-empty bins); every local maximum is a cluster
    reaching to the neighbouring local minima; clusters whose mean |d| is below `max_normal` are normal."""
    if len(d) == 0:
        return []
    if np.ptp(d) < 1e-9:  # every abnormal leaf moved alike: one cluster (the histogram needs a range)
        return [np.arange(len(d))] if abs(float(d[0])) >= max_normal else []
    edges = np.histogram_bin_edges(d, "auto").tolist()
    edges = [edges[0] - 0.1 * i for i in range(5, 0, -1)] + edges + [edges[-1] + 0.1 * i for i in range(1, 6)]
    hist, edges_arr = np.histogram(d, bins=np.array(edges), density=True)
    centres = (edges_arr[:-1] + edges_arr[1:]) / 2
    window = max(int(np.count_nonzero(hist > 0)) // 10, 1)
    smooth = np.concatenate([hist[: window - 1], np.convolve(hist, np.ones(window), "valid") / window])
    prev, nxt = np.roll(smooth, 1), np.roll(smooth, -1)
    maxima = np.flatnonzero((smooth > prev) & (smooth > nxt) & (smooth > 0))
    minima = np.flatnonzero((smooth <= prev) & (smooth <= nxt))
    bounds = np.concatenate([[-np.inf], centres[minima], [np.inf]])
    out = []
    for i in maxima:
        left = bounds[np.searchsorted(bounds, centres[i], side="right") - 1]
        right = bounds[np.searchsorted(bounds, centres[i], side="left")]
        members = np.flatnonzero((d >= left) & (d <= right))
        if len(members) and np.mean(np.abs(d[members])) >= max_normal:
            out.append(members)
    return out


def squeeze(cube: Cube, max_elements: int = 12, ps_upper_bound: float = 0.9) -> list[Element]:
    if cube.real_b is None or cube.predict_b is None:
        keep = cube.predict > 0
        v, f = cube.real[keep], cube.predict[keep]
    else:
        keep = (cube.predict > 0) & (cube.predict_b > 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            v = np.where(cube.real_b[keep] > 0, cube.real[keep] / cube.real_b[keep], 0.0)
        f = cube.predict[keep] / cube.predict_b[keep]
    codes = cube.codes[keep]
    n = len(v)
    if n == 0:
        return []
    d = np.zeros(n)
    np.divide(2.0 * (f - v), f + v, out=d, where=(f + v) > 0)
    filtered = _abnormal_by_amount(v, f)
    clusters = []
    for members in _density_clusters(d[filtered]):
        lo, hi = d[filtered[members]].min(), d[filtered[members]].max()
        clusters.append(np.flatnonzero((d >= lo) & (d <= hi)))  # every leaf in the cluster's range
    if not clusters:
        return []
    abnormal = np.unique(np.concatenate(clusters))
    normal = np.flatnonzero(np.abs(d) < np.abs(d[abnormal]).min())
    sizes = tuple(len(lab) for lab in cube.labels)
    n_values = sum(sizes)
    weight = (
        math.log(len(clusters) + 1)
        / len(clusters)
        * n_values
        / math.log(n_values + 1)
        * -math.log(sum(len(c) for c in clusters) / n)
    )
    answer: list[Element] = []
    for cluster in clusters:
        subset = np.concatenate([cluster, normal])
        results = []
        for layer in range(1, len(sizes) + 1):
            for cuboid in itertools.combinations(range(len(sizes)), layer):
                found = _squeeze_cuboid(cube, codes, cuboid, sizes, v, f, cluster, subset, max_elements)
                results.append((*found, layer))
            if any(r[1] > ps_upper_bound for r in results):
                break
        results = [r for r in results if r[0]]
        if results:
            best = max(results, key=lambda r: r[1] * weight - len(r[0]) * r[2])
            answer.extend(best[0])
    return list(dict.fromkeys(answer))


def _squeeze_cuboid(
    cube: Cube,
    codes: np.ndarray,
    cuboid: tuple[int, ...],
    sizes: tuple[int, ...],
    v: np.ndarray,
    f: np.ndarray,
    cluster: np.ndarray,
    subset: np.ndarray,
    max_elements: int,
) -> tuple[list[Element], float]:
    width = math.prod(sizes[c] for c in cuboid)
    key = np.zeros(len(v), dtype=np.int64)
    for c in cuboid:
        key = key * sizes[c] + codes[:, c]
    hits = np.bincount(key[cluster], minlength=width).astype(float)
    descendants = np.bincount(key, minlength=width).astype(float)
    present = np.flatnonzero(hits > 0)
    order = present[np.argsort(-(hits[present] / descendants[present]), kind="stable")]
    k_max = min(len(order), max_elements, width - 1)
    if k_max <= 0:
        return [], float("-inf")
    ks, vs, fs = key[subset], v[subset], f[subset]
    sum_v = np.bincount(ks, weights=vs, minlength=width)
    sum_f = np.bincount(ks, weights=fs, minlength=width)
    cnt = np.bincount(ks, minlength=width).astype(float)
    abs_vf = np.bincount(ks, weights=np.abs(vs - fs), minlength=width)
    total_abs, total_cnt = float(np.abs(vs - fs).sum()), float(len(vs))
    best_k, best = 1, float("-inf")
    chosen = np.zeros(width, dtype=bool)
    for k in range(1, k_max + 1):
        chosen[order[k - 1]] = True
        inside = chosen[ks]
        pv, pf = float(sum_v[chosen].sum()), float(sum_f[chosen].sum())
        scale = pv / pf if pf > 0 else 0.0
        n1 = float(cnt[chosen].sum())
        n2 = total_cnt - n1
        d1a = float(np.abs(vs[inside] - fs[inside] * scale).sum())
        d1f = float(abs_vf[chosen].sum())
        d2f = total_abs - d1f

        def mean(x: float, m: float) -> float:
            return x / m if m > 0 else (0.0 if x == 0 else float("inf"))

        denom = mean(d1f, n1) + mean(d2f, n2)
        ps = 1.0 - (mean(d1a, n1) + mean(d2f, n2)) / denom if denom > 0 else 0.0
        if ps > best:
            best, best_k = ps, k
    elements = []
    for idx in order[:best_k]:
        vals = np.unravel_index(int(idx), tuple(sizes[c] for c in cuboid))
        elements.append(tuple((cube.dimensions[c], cube.labels[c][int(x)]) for c, x in zip(cuboid, vals, strict=True)))
    return elements, best
