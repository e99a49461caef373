"""Multi-dimensional root-cause localisation: which slices explain a KPI's deviation from its forecast.

A cube has one row per leaf (a combination of dimension values, e.g. vendor × site × policy × market) with its
real and predicted value, or, for a ratio KPI a/b (accuracy = correct/gold, handling time = seconds/items), real and
predicted numerator and denominator. The answer is a short list of elements (`vendor=V3&site=DAC`), each with its
share of the change; for a ratio, that share is split into a within-slice rate effect and a composition (mix) effect.

The method ("ripple pursuit") keeps the two ideas the published methods share and replaces their tuned
thresholds with statistics:

1. The ripple effect (HotSpot, Sun et al. 2018; Squeeze, Li et al. 2019): a root cause changes every leaf under
   it by the same relative amount, so every leaf carries a deviation score s = 2(v − f)/(v + f) (Squeeze's score:
   bounded, symmetric, 0 for an empty leaf) and, for a ratio, the score of the leaf's ratio (Squeeze's derived
   measures). The noise of s is modelled as Var(s) = σ²·(m/m̄)^−q + τ² with m the leaf's size (the denominator
   for a ratio): q ≈ 0 for relative forecast noise, q ≈ 1 for Poisson-like counts. σ and q are read from the
   cube's own leaves (robust scale per size decile, a line through the log-log points); τ (default 1 %) is the
   smallest relative change that counts.
2. Greedy pursuit with a stopping test: every element of every cuboid of 1..`max_layer` dimensions gets the
   weighted-least-squares z-score of a common shift of its leaves, z = Σws/√Σw (z² is the squared deviation the
   shift explains), from one `bincount` per cuboid. Candidates are taken in the order of z², and one is accepted
   when (a) its t-like z (z over √ of its leaves' own spread, when that exceeds the noise model's) passes a
   Bonferroni bound over all candidate elements (α = 0.001), and (b) its children, split along every other
   dimension, moved alike: a weighted one-way ANOVA F-test within the element, and the energy of the spread
   between children under a tenth of the element's own (a child about 30 % off its siblings). A parent whose
   change sits in a few children fails and is dropped, so the children come next (the succinctness that Squeeze
   and HotSpot buy with a tuned penalty). A parent and its child with the same unexplained leaves tie; the child,
   with fewer leaves in all, goes first. An accepted element's leaves are explained: they and its descendants
   leave the search. The pursuit stops when no element passes.

For a ratio KPI R = ΣA/ΣB the change is split exactly (a Kitagawa/Oaxaca–Blinder shift-share):
R_real − R_pred = Σᵢ w̃ᵢ(ρᵢ − ρ̂ᵢ) [rate] + Σᵢ (w̃ᵢ − ŵᵢ)(ρ̂ᵢ − R_pred) [mix], with ρ the leaf ratio and w the leaf's
share of the denominator (real ~, predicted ^); each root cause reports the two sums over its leaves. The
elements whose denominator share moved (found by the same pursuit on the denominator, its forecast scaled by the
typical slice's growth) are reported as mix drivers with their mix effect: "vendor V3 got more of the hard
policy", not "V3 got worse".
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import special  # not scipy.stats: its import alone costs `rca explain` most of a second

from safetyops.monitoring.checks import invalid, require
from safetyops.monitoring.robust import mad_sigma as _mad

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


# ---------------------------------------------------------------- data in


@dataclass(frozen=True, eq=False)
class Cube:
    """Leaves of a cube. `codes[i, d]` indexes `labels[d]`; `real`/`predict` are the KPI itself, or its numerator
    when `real_b`/`predict_b` (the denominator) are given. Values are finite and >= 0; a leaf may be all zero."""

    dimensions: tuple[str, ...]
    labels: tuple[tuple[str, ...], ...]
    codes: IntArray
    real: FloatArray
    predict: FloatArray
    real_b: FloatArray | None = None
    predict_b: FloatArray | None = None

    def __post_init__(self) -> None:
        n = len(self.real)
        require(len(self.dimensions) >= 1, "dimensions", "a cube needs at least one dimension column")
        require(len(set(self.dimensions)) == len(self.dimensions), "dimensions", "dimension names repeat")
        require(len(self.labels) == len(self.dimensions), "labels", "one label list per dimension")
        require(self.codes.shape == (n, len(self.dimensions)), "codes", f"must have shape ({n}, dimensions)")
        ratio = (self.real_b is not None, self.predict_b is not None)
        require(ratio[0] == ratio[1], "real_b", "a ratio needs both real_b and predict_b")
        arrays = [("real", self.real), ("predict", self.predict)]
        if self.real_b is not None and self.predict_b is not None:
            arrays += [("real_b", self.real_b), ("predict_b", self.predict_b)]
        for name, arr in arrays:
            require(len(arr) == n, name, f"has {len(arr)} values for {n} leaves")
            bad = ~np.isfinite(arr) | (arr < 0)
            if bad.any():
                raise invalid(name, f"leaf {int(np.argmax(bad))} has {arr[bad][0]}: values must be finite and >= 0")
        for d, labels in enumerate(self.labels):
            if n and (self.codes[:, d].min() < 0 or self.codes[:, d].max() >= len(labels)):
                raise invalid(self.dimensions[d], "a code has no label")

    @property
    def is_ratio(self) -> bool:
        return self.real_b is not None

    def __len__(self) -> int:
        return len(self.real)

    @classmethod
    def from_columns(
        cls,
        dimensions: dict[str, npt.ArrayLike],
        real: npt.ArrayLike,
        predict: npt.ArrayLike,
        real_b: npt.ArrayLike | None = None,
        predict_b: npt.ArrayLike | None = None,
    ) -> Cube:
        """A cube from one array of values per dimension (any hashable labels, shown with str())."""
        names = tuple(dimensions)
        labels, codes = [], []
        for name in names:
            uniq, inv = np.unique(np.asarray(dimensions[name]).astype(str), return_inverse=True)
            labels.append(tuple(str(u) for u in uniq))
            codes.append(inv.astype(np.int64))
        n = len(codes[0]) if codes else 0

        def f(a: npt.ArrayLike | None) -> FloatArray | None:
            return None if a is None else np.asarray(a, dtype=np.float64)

        return cls(
            names,
            tuple(labels),
            np.stack(codes, axis=1) if codes else np.zeros((n, 0), np.int64),
            np.asarray(real, dtype=np.float64),
            np.asarray(predict, dtype=np.float64),
            f(real_b),
            f(predict_b),
        )


# ---------------------------------------------------------------- answer out

Element = tuple[tuple[str, str], ...]


def element_text(element: Element) -> str:
    """`dim=value&dim=value` in the cube's dimension order."""
    return "&".join(f"{d}={v}" for d, v in element)


@dataclass(frozen=True)
class RootCause:
    """One element of the answer. `share` is its part of the KPI's change (explanatory power); for a ratio
    `rate_share` + `mix_share` = `share`. None when the total did not change (a share of nothing)."""

    element: Element
    share: float | None
    real: float
    predict: float
    relative_change: float | None
    z: float
    leaves: int
    rate_share: float | None = None
    mix_share: float | None = None

    @property
    def text(self) -> str:
        return element_text(self.element)

    def as_dict(self) -> dict[str, Any]:
        return {
            "element": self.text,
            "slice": dict(self.element),
            "share": self.share,
            "rate_share": self.rate_share,
            "mix_share": self.mix_share,
            "real": self.real,
            "predict": self.predict,
            "relative_change": self.relative_change,
            "z": self.z,
            "leaves": self.leaves,
        }


@dataclass(frozen=True)
class Explanation:
    """Root causes, best (largest share) first, and the numbers behind them."""

    kind: str  # "fundamental" or "ratio"
    real: float
    predict: float
    causes: tuple[RootCause, ...]
    rate_effect: float | None = None  # ratio: Σ rate terms (real − predicted ratio due to within-slice rates)
    mix_effect: float | None = None  # ratio: Σ mix terms
    mix_drivers: tuple[RootCause, ...] = ()
    noise: dict[str, float] = field(default_factory=dict)
    note: str | None = None

    @property
    def change(self) -> float:
        return self.real - self.predict

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "real": self.real,
            "predict": self.predict,
            "change": self.change,
            "rate_effect": self.rate_effect,
            "mix_effect": self.mix_effect,
            "root_causes": [c.as_dict() for c in self.causes],
            "mix_drivers": [c.as_dict() for c in self.mix_drivers],
            "noise": self.noise,
            "note": self.note,
        }


@dataclass(frozen=True)
class Settings:
    """Knobs of the pursuit, each with the reason for its default."""

    max_layer: int = 3  # elements of 1..3 dimensions (the issue's and the papers' root causes)
    alpha: float = 0.001  # family-wise error of the stopping test over all candidate elements (Bonferroni)
    uniform_alpha: float = 0.001  # significance of the children-moved-alike (ANOVA) test
    uniform_spread: float = 0.1  # ... and the spread between children that matters, as a share of the shift energy
    floor: float = 0.01  # τ: smallest relative leaf change that counts, whatever the noise model says
    max_causes: int = 20
    max_rejections: int = 200  # parents dropped per pass before the pursuit gives up on that pass

    def __post_init__(self) -> None:
        require(self.max_layer >= 1, "max_layer", "must be >= 1")
        require(0 < self.alpha < 1, "alpha", "must be in (0, 1)")
        require(0 < self.uniform_alpha < 1, "uniform_alpha", "must be in (0, 1)")
        require(self.uniform_spread > 0, "uniform_spread", "must be > 0")
        require(self.floor >= 0, "floor", "must be >= 0")
        require(self.max_causes >= 1, "max_causes", "must be >= 1")


# ---------------------------------------------------------------- leaf scores and noise


@dataclass(frozen=True, eq=False)
class LeafScores:
    """Deviation score s, size m, inverse-variance weight w (0 = leaf carries no information) per leaf."""

    s: FloatArray
    m: FloatArray
    w: FloatArray
    sigma: float
    power: float


def deviation_scores(real: FloatArray, predict: FloatArray) -> tuple[FloatArray, FloatArray, BoolArray]:
    """Squeeze's symmetric deviation 2(v − f)/(v + f) (sign: + when real is above the forecast), the leaf size
    (v + f)/2 and whether the leaf has any value (an all-zero leaf carries no information)."""
    m = (real + predict) / 2.0
    used = m > 0
    s = np.zeros_like(m)
    np.divide(real - predict, m, out=s, where=used)
    return s, m, used


def noise_model(s: FloatArray, m: FloatArray, used: BoolArray, floor: float) -> LeafScores:
    """Fit Var(s) = σ²(m/m̄)^−q + τ² from size deciles (robust scale per decile; q from a log-log line).

    Fewer than 200 informative leaves: q = 0 (one σ for all), since ten deciles of < 20 leaves say little."""
    idx = np.flatnonzero(used)
    w = np.zeros_like(s)
    if len(idx) == 0:
        return LeafScores(s, m, w, 0.0, 0.0)
    mu = m[idx]
    ref = float(np.exp(np.mean(np.log(mu))))
    power = 0.0
    if len(idx) >= 200:
        order = idx[np.argsort(mu, kind="stable")]
        points = []
        for part in np.array_split(order, 10):
            scale = _mad(s[part])
            if scale > 0:
                points.append((math.log(float(np.median(m[part])) / ref), math.log(scale)))
        if len(points) >= 3:
            x, y = np.array(points).T
            slope = float(np.polyfit(x, y, 1)[0])
            power = min(max(-2.0 * slope, 0.0), 2.0)
    scaled = s[idx] * (m[idx] / ref) ** (power / 2.0)
    sigma = _mad(scaled)
    var = sigma * sigma * (m[idx] / ref) ** (-power) + floor * floor
    if floor == 0 and sigma == 0:
        var = np.ones_like(var)  # noise-free leaves, no floor: every informative leaf counts the same
    w[idx] = 1.0 / var
    return LeafScores(s, m, w, sigma, power)


# ---------------------------------------------------------------- the lattice of elements


class _Lattice:
    """The cuboids of 1..L dimensions: for each, every leaf's element index (mixed radix over its dimensions)."""

    def __init__(self, codes: IntArray, sizes: tuple[int, ...], max_layer: int) -> None:
        self.codes = codes
        self.sizes = sizes
        dims = range(len(sizes))
        self.cuboids: list[tuple[int, ...]] = [
            c for layer in range(1, min(max_layer, len(sizes)) + 1) for c in itertools.combinations(dims, layer)
        ]
        self.keys: list[npt.NDArray[np.integer[Any]]] = []
        self.widths: list[int] = []
        for cuboid in self.cuboids:
            key = np.zeros(len(codes), dtype=np.int64)
            width = 1
            for d in cuboid:
                key = key * sizes[d] + codes[:, d]
                width *= sizes[d]
            # int32 halves the memory of 41 cuboids × 1,000,000 leaves (bincount widens it on the fly)
            self.keys.append(key.astype(np.int32) if width < 2**31 else key)
            self.widths.append(width)

    def decode(self, c: int, index: int) -> tuple[int, ...]:
        """The codes of element `index` of cuboid `c`, one per dimension of the cuboid."""
        return tuple(int(v) for v in np.unravel_index(index, tuple(self.sizes[d] for d in self.cuboids[c])))

    def sums(self, c: int, values: FloatArray) -> FloatArray:
        return np.bincount(self.keys[c], weights=values, minlength=self.widths[c]).astype(np.float64, copy=False)

    def member_mask(self, c: int, index: int) -> BoolArray:
        return np.asarray(self.keys[c] == index)

    def descendants(self, c: int, index: int, other: int) -> IntArray:
        """Element indexes of cuboid `other` that lie under element `index` of cuboid `c` (empty if `other`
        does not contain all of c's dimensions)."""
        dims, sub = self.cuboids[c], self.cuboids[other]
        if not set(dims) <= set(sub):
            return np.zeros(0, dtype=np.int64)
        fixed = dict(zip(dims, self.decode(c, index), strict=True))
        grids = [np.array([fixed[d]]) if d in fixed else np.arange(self.sizes[d]) for d in sub]
        mesh = np.meshgrid(*grids, indexing="ij")
        return np.asarray(
            np.ravel_multi_index(tuple(g.ravel() for g in mesh), tuple(self.sizes[d] for d in sub)), dtype=np.int64
        )


# ---------------------------------------------------------------- the pursuit


@dataclass(frozen=True)
class _Pick:
    cuboid: int
    index: int
    z: float
    leaves: BoolArray


def _children_alike(
    codes: IntArray, sizes: tuple[int, ...], dims: tuple[int, ...], r: FloatArray, w: FloatArray, st: Settings
) -> bool:
    """Did the element's children move alike along every other dimension? (weighted one-way ANOVA)"""
    keep = w > 0
    r, w, codes = r[keep], w[keep], codes[keep]
    total = float(w.sum())
    if total <= 0 or len(r) < 3:
        return True
    mean = float((w * r).sum()) / total
    energy = total * mean * mean
    for d in range(codes.shape[1]):
        if d in dims:
            continue
        g = codes[:, d]
        wc = np.bincount(g, weights=w, minlength=sizes[d])
        present = wc > 0
        k = int(present.sum())
        if k <= 1:
            continue
        mc = np.zeros_like(wc)
        np.divide(np.bincount(g, weights=w * r, minlength=sizes[d]), wc, out=mc, where=present)
        between = float((wc[present] * (mc[present] - mean) ** 2).sum())
        within = float((w * (r - mc[g]) ** 2).sum())
        n = len(r)
        if between <= st.uniform_spread * energy:
            continue
        if within <= 0 or n <= k:
            return False  # noise-free leaves that differ: certainly not alike
        f_stat = (between / (k - 1)) / (within / (n - k))
        if float(special.fdtrc(k - 1, n - k, f_stat)) < st.uniform_alpha:
            return False
    return True


def _pursue(
    lattice: _Lattice, scores: LeafScores, st: Settings, exclude: BoolArray | None = None
) -> tuple[list[_Pick], int]:
    w = scores.w.copy()
    if exclude is not None:
        w[exclude] = 0.0
    r = scores.s
    blocked = [np.zeros(width, dtype=np.bool_) for width in lattice.widths]
    picks: list[_Pick] = []
    candidates = 0
    while len(picks) < st.max_causes:
        raw_parts, t_parts, sizes_w = [], [], []
        informative = (w > 0).astype(np.float64)
        for c in range(len(lattice.cuboids)):
            ws = lattice.sums(c, w)
            num = lattice.sums(c, w * r)
            sq = lattice.sums(c, w * r * r)
            n = lattice.sums(c, informative)
            z = np.zeros_like(ws)
            np.divide(num, np.sqrt(ws), out=z, where=ws > 0)
            z[blocked[c]] = 0.0
            # the leaves' own spread, when it exceeds the noise model's, widens the test (a t-like z): a few
            # heavy-tailed leaves must not pass for a shift of the whole element
            spread = np.ones_like(ws)
            some = n >= 3
            spread[some] = (sq[some] - num[some] ** 2 / ws[some]) / (n[some] - 1)
            raw_parts.append(z)
            t_parts.append(z / np.sqrt(np.maximum(spread, 1.0)))
            sizes_w.append(ws)
        if not picks:
            candidates = int(sum(int((ws > 0).sum()) for ws in sizes_w))
            # ties (the same unexplained leaves under a parent and its child) go to the element with fewer leaves
            tiebreak = np.concatenate([lattice.sums(c, scores.w) for c in range(len(lattice.cuboids))])
        if candidates == 0:
            break
        z_crit = float(-special.ndtri(st.alpha / (2.0 * candidates)))
        raw, tested = np.concatenate(raw_parts), np.concatenate(t_parts)
        offsets = np.cumsum([0, *lattice.widths])
        # candidates in the order of the squared deviation they explain (raw z² = W·δ²); each must also pass the
        # t-like test. Ordering by the t-like z would let fragments of a few leaves jump ahead of their whole.
        order = np.lexsort((tiebreak, -np.round(np.abs(raw), 9)))
        accepted = None
        for tries, pos in enumerate(order):
            if abs(raw[pos]) < z_crit or tries >= st.max_rejections:
                break
            if abs(tested[pos]) < z_crit:
                continue
            c = int(np.searchsorted(offsets, pos, side="right") - 1)
            index = int(pos - offsets[c])
            mask = lattice.member_mask(c, index) & (w > 0)
            if _children_alike(lattice.codes[mask], lattice.sizes, lattice.cuboids[c], r[mask], w[mask], st):
                accepted = _Pick(c, index, float(tested[pos]), mask)
                break
            blocked[c][index] = True
        if accepted is None:
            break
        picks.append(accepted)
        w[accepted.leaves] = 0.0  # explained: these leaves leave the search
        for other in range(len(lattice.cuboids)):
            blocked[other][lattice.descendants(accepted.cuboid, accepted.index, other)] = True
    return picks, candidates


# ---------------------------------------------------------------- public entry


def explain(cube: Cube, settings: Settings | None = None) -> Explanation:
    """Root causes of the cube's change, best first (see the module docstring for the method)."""
    st = settings or Settings()
    sizes = tuple(len(lab) for lab in cube.labels)
    if len(cube) == 0:
        raise invalid("cube", "has no leaves")
    lattice = _Lattice(cube.codes, sizes, st.max_layer)
    if cube.real_b is None or cube.predict_b is None:
        return _explain_fundamental(cube, lattice, st)
    return _explain_ratio(cube, cube.real_b, cube.predict_b, lattice, st)


def _element(cube: Cube, lattice: _Lattice, pick: _Pick) -> Element:
    dims = lattice.cuboids[pick.cuboid]
    codes = lattice.decode(pick.cuboid, pick.index)
    return tuple((cube.dimensions[d], cube.labels[d][k]) for d, k in zip(dims, codes, strict=True))


def _ratio_or_none(num: float, den: float) -> float | None:
    return num / den if den != 0 else None


def _explain_fundamental(cube: Cube, lattice: _Lattice, st: Settings) -> Explanation:
    s, m, used = deviation_scores(cube.real, cube.predict)
    scores = noise_model(s, m, used, st.floor)
    picks, candidates = _pursue(lattice, scores, st)
    total_v, total_f = float(cube.real.sum()), float(cube.predict.sum())
    causes = []
    for p in picks:
        v, f = float(cube.real[p.leaves].sum()), float(cube.predict[p.leaves].sum())
        causes.append(
            RootCause(
                _element(cube, lattice, p),
                _ratio_or_none(v - f, total_v - total_f),
                v,
                f,
                _ratio_or_none(v - f, f),
                p.z,
                int(p.leaves.sum()),
            )
        )
    causes.sort(key=lambda c: -abs(c.real - c.predict))
    return Explanation(
        "fundamental",
        total_v,
        total_f,
        tuple(causes),
        noise={"sigma": scores.sigma, "power": scores.power, "candidates": float(candidates)},
        note=None if total_v != total_f else "the total did not change: shares are undefined",
    )


@dataclass(frozen=True, eq=False)
class ShiftShare:
    """Per-leaf rate and mix terms of a ratio's change; they sum exactly to real ratio − predicted ratio."""

    real: float
    predict: float
    rate: FloatArray
    mix: FloatArray


def shift_share(a_real: FloatArray, a_pred: FloatArray, b_real: FloatArray, b_pred: FloatArray) -> ShiftShare:
    """Split R_real − R_pred = Σ w̃(ρ − ρ̂) + Σ (w̃ − ŵ)(ρ̂ − R_pred) per leaf (w: share of the denominator).

    A leaf with no predicted denominator (a new slice) is valued at the overall predicted ratio, so it adds a
    rate term only; a leaf with no real denominator (a slice that vanished) adds a mix term only."""
    bv, bf = float(b_real.sum()), float(b_pred.sum())
    if bv <= 0 or bf <= 0:
        raise invalid("real_b" if bv <= 0 else "predict_b", "the denominator sums to 0: the ratio is undefined")
    r_real, r_pred = float(a_real.sum()) / bv, float(a_pred.sum()) / bf
    rho_hat = np.full_like(b_pred, r_pred)
    np.divide(a_pred, b_pred, out=rho_hat, where=b_pred > 0)
    rho = np.zeros_like(b_real)
    np.divide(a_real, b_real, out=rho, where=b_real > 0)
    w_real, w_pred = b_real / bv, b_pred / bf
    rate = np.where(b_real > 0, w_real * (rho - rho_hat), 0.0)
    mix = (w_real - w_pred) * (rho_hat - r_pred)
    return ShiftShare(r_real, r_pred, rate, mix)


def _explain_ratio(cube: Cube, b_real: FloatArray, b_pred: FloatArray, lattice: _Lattice, st: Settings) -> Explanation:
    a_real, a_pred = cube.real, cube.predict
    orphan = (b_real == 0) & (a_real > 0)
    if orphan.any():
        raise invalid("real_b", f"leaf {int(np.argmax(orphan))} has a numerator but a zero denominator")
    orphan = (b_pred == 0) & (a_pred > 0)
    if orphan.any():
        raise invalid("predict_b", f"leaf {int(np.argmax(orphan))} has a numerator but a zero denominator")
    split = shift_share(a_real, a_pred, b_real, b_pred)
    delta = split.real - split.predict
    # rate: the leaf ratios' deviation; a leaf without both denominators has no ratio to compare
    both = (b_real > 0) & (b_pred > 0)
    rho = np.where(both, a_real / np.where(both, b_real, 1.0), 0.0)
    rho_hat = np.where(both, a_pred / np.where(both, b_pred, 1.0), 0.0)
    s, _, used = deviation_scores(rho, rho_hat)
    size = (b_real + b_pred) / 2.0
    scores = noise_model(s, size, used & both, st.floor)
    picks, candidates = _pursue(lattice, scores, st)
    causes = [_ratio_cause(cube, lattice, p, split, delta, a_real, a_pred, b_real, b_pred) for p in picks]
    causes.sort(key=lambda c: -abs(c.share or 0.0))
    # mix: where the denominator's composition moved: the same pursuit on b, its forecast scaled by the typical
    # slice's growth (a volume-weighted median, so that one slice doubling does not make all others look smaller)
    b_scaled = b_pred * _typical_growth(b_real, b_pred)
    sb, mb, usedb = deviation_scores(b_real, b_scaled)
    mix_picks, _ = _pursue(lattice, noise_model(sb, mb, usedb, st.floor), st)
    drivers = [_ratio_cause(cube, lattice, p, split, delta, a_real, a_pred, b_real, b_pred) for p in mix_picks]
    drivers = [d for d in drivers if d.mix_share is not None and abs(d.mix_share) >= 0.05]
    drivers.sort(key=lambda c: -abs(c.mix_share or 0.0))
    return Explanation(
        "ratio",
        split.real,
        split.predict,
        tuple(causes),
        rate_effect=float(split.rate.sum()),
        mix_effect=float(split.mix.sum()),
        mix_drivers=tuple(drivers),
        noise={"sigma": scores.sigma, "power": scores.power, "candidates": float(candidates)},
        note=None if delta != 0 else "the ratio did not change: shares are undefined",
    )


def _typical_growth(real: FloatArray, predict: FloatArray) -> float:
    """The size-weighted median of real/predict over slices present in both (1 when there are none)."""
    both = (real > 0) & (predict > 0)
    if not both.any():
        return 1.0
    ratio = real[both] / predict[both]
    weight = (real[both] + predict[both]) / 2.0
    order = np.argsort(ratio, kind="stable")
    cum = np.cumsum(weight[order])
    return float(ratio[order][int(np.searchsorted(cum, cum[-1] / 2.0))])


def _ratio_cause(
    cube: Cube,
    lattice: _Lattice,
    p: _Pick,
    split: ShiftShare,
    delta: float,
    a_real: FloatArray,
    a_pred: FloatArray,
    b_real: FloatArray,
    b_pred: FloatArray,
) -> RootCause:
    leaves = lattice.member_mask(p.cuboid, p.index)
    rate, mix = float(split.rate[leaves].sum()), float(split.mix[leaves].sum())
    av, ap = float(a_real[leaves].sum()), float(a_pred[leaves].sum())
    bv, bp = float(b_real[leaves].sum()), float(b_pred[leaves].sum())
    real = av / bv if bv > 0 else 0.0
    pred = ap / bp if bp > 0 else 0.0
    return RootCause(
        _element(cube, lattice, p),
        _ratio_or_none(rate + mix, delta),
        real,
        pred,
        _ratio_or_none(real - pred, pred),
        p.z,
        int(leaves.sum()),
        rate_share=_ratio_or_none(rate, delta),
        mix_share=_ratio_or_none(mix, delta),
    )
