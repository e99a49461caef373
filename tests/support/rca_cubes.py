"""Cubes with injected root causes, generated the way Squeeze (Li et al., ISSRE 2019) and RiskLoc (Kalander 2022)
describe their synthetic datasets, plus a derived (ratio) variant and a mix-shift distractor of our own.

Fundamental measure (RiskLoc's S dataset recipe, dimensions of our choosing):
  real ~ 100·Weibull(α), α ~ U(0.5, 1); a share ~ U(0, 0.25) of the leaves is 0;
  predict = real·(1 + N(0, noise)), then real and predict swap on a random half of the leaves (the forecast errs
  both ways), negatives clipped to 0.
  1–3 root causes, each an element of 1–3 dimensions (dimensions and values at random, leaves disjoint from the
  other causes and not all zero); severity x ~ U(0.2, 1.0) + noise (so a cause stands out of the noise, as RiskLoc
  does), and per leaf r ~ N(x, d), d ~ U(0, 0.1). One direction per cube: down sets real = predict·(1 − r),
  up sets predict = real·(1 − r) (both clipped at 0, the leaf's noise removed first, as RiskLoc does).
Derived measure a/b (Squeeze's dataset D idea: a rate over two fundamental measures):
  b as the fundamental real; a = b·p with a leaf rate p ~ Beta(8, 2); forecasts of a and b carry independent noise
  (same swap); a cause changes the numerator only (the leaf's rate moves by (1 − r), its volume does not).
Mix distractor (derived_mix): additionally one layer-1 element, disjoint from the causes, gets 1.5–2.5× its volume
  (a and b together: its leaf rates do not move). It is not a rate cause, so it must not be reported as one.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from safetyops.monitoring.rca import Cube

Truth = frozenset[frozenset[tuple[str, str]]]
NAMES = "abcdefghijklmnopqrstuvwxyz"


@dataclass(frozen=True)
class Generated:
    cube: Cube
    truth: Truth
    setting: str
    noise: float
    layers: tuple[int, ...]
    distractor: frozenset[tuple[str, str]] | None = None


def _leaves(dims: tuple[int, ...]) -> np.ndarray:
    grids = np.meshgrid(*[np.arange(s) for s in dims], indexing="ij")
    return np.stack([g.ravel() for g in grids], axis=1).astype(np.int64)


def _draw_causes(
    rng: np.random.Generator, codes: np.ndarray, dims: tuple[int, ...], alive: np.ndarray, k: int, max_layer: int
) -> list[tuple[tuple[int, ...], tuple[int, ...], np.ndarray]]:
    taken = np.zeros(len(codes), dtype=bool)
    causes: list[tuple[tuple[int, ...], tuple[int, ...], np.ndarray]] = []
    for _ in range(200):
        if len(causes) == k:
            break
        layer = int(rng.integers(1, min(max_layer, len(dims)) + 1))
        ds = tuple(sorted(int(d) for d in rng.choice(len(dims), size=layer, replace=False)))
        vals = tuple(int(rng.integers(0, dims[d])) for d in ds)
        mask = np.all(codes[:, ds] == np.array(vals), axis=1)
        if (mask & taken).any() or not (mask & alive).any():
            continue
        taken |= mask
        causes.append((ds, vals, mask))
    return causes


def generate(
    rng: np.random.Generator,
    dims: tuple[int, ...] = (10, 12, 10, 6, 3),
    kind: str = "fundamental",
    noise: float = 0.1,
    causes: tuple[int, int] = (1, 3),
    max_layer: int = 3,
) -> Generated:
    """One cube of `kind` in {"fundamental", "derived", "derived_mix"} with its ground-truth root causes."""
    codes = _leaves(dims)
    n = len(codes)
    alpha = rng.uniform(0.5, 1.0)
    base = rng.weibull(alpha, n) * 100.0
    base *= rng.uniform(size=n) > rng.uniform(0.0, 0.25)
    names = tuple(NAMES[: len(dims)])
    labels = tuple(tuple(f"{names[d]}{i + 1}" for i in range(s)) for d, s in enumerate(dims))

    def noisy(x: np.ndarray) -> np.ndarray:
        return np.maximum(x * (1.0 + rng.normal(0.0, noise, n)), 0.0)

    k = int(rng.integers(causes[0], causes[1] + 1))
    chosen = _draw_causes(rng, codes, dims, base > 0, k, max_layer)
    down = bool(rng.integers(0, 2))
    swap = rng.integers(0, 2, n).astype(bool)
    if kind == "fundamental":
        real, predict = base.copy(), noisy(base)
        real, predict = np.where(swap, predict, real), np.where(swap, real, predict)
        real_b = predict_b = None
        a_real, a_pred = real, predict
    else:
        rate = rng.beta(8.0, 2.0, n)
        b_real, b_pred = base.copy(), noisy(base)
        a_real, a_pred = base * rate, noisy(base * rate)
        b_real, b_pred = np.where(swap, b_pred, b_real), np.where(swap, b_real, b_pred)
        a_real, a_pred = np.where(swap, a_pred, a_real), np.where(swap, a_real, a_pred)
        real_b, predict_b = b_real, b_pred
    for _, _, mask in chosen:
        x = rng.uniform(0.2, 1.0) + noise
        r = rng.normal(x, rng.uniform(0.0, 0.1), int(mask.sum()))
        if down:
            a_real[mask] = np.maximum(a_pred[mask] * (1.0 - r), 0.0)
            if real_b is not None and predict_b is not None:
                real_b[mask] = predict_b[mask]
        else:
            a_pred[mask] = np.maximum(a_real[mask] * (1.0 - r), 0.0)
            if real_b is not None and predict_b is not None:
                predict_b[mask] = real_b[mask]
    if real_b is not None and predict_b is not None:
        a_real[real_b == 0] = 0.0  # noise can clip a denominator to 0: its numerator goes with it
        a_pred[predict_b == 0] = 0.0
    distractor = None
    if kind == "derived_mix" and real_b is not None:
        taken = np.zeros(n, dtype=bool)
        for _, _, mask in chosen:
            taken |= mask
        for _ in range(100):
            d = int(rng.integers(0, len(dims)))
            v = int(rng.integers(0, dims[d]))
            mask = codes[:, d] == v
            if not (mask & taken).any():
                g = rng.uniform(1.5, 2.5)
                a_real[mask] *= g
                real_b[mask] *= g
                distractor = frozenset({(names[d], labels[d][v])})
                break
    truth = frozenset(
        frozenset((names[d], labels[d][v]) for d, v in zip(ds, vals, strict=True)) for ds, vals, _ in chosen
    )
    cube = Cube(names, labels, codes, a_real, a_pred, real_b, predict_b)
    return Generated(cube, truth, kind, noise, tuple(len(ds) for ds, _, _ in chosen), distractor)


def as_sets(elements: list[tuple[tuple[str, str], ...]]) -> frozenset[frozenset[tuple[str, str]]]:
    return frozenset(frozenset(e) for e in elements)


def score(pred: frozenset[frozenset[tuple[str, str]]], truth: Truth) -> tuple[int, int, int]:
    """True positives, false positives, false negatives of one answer (an element counts only if exact)."""
    tp = len(pred & truth)
    return tp, len(pred) - tp, len(truth) - tp


def f1(tp: int, fp: int, fn: int) -> dict[str, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0}


def big_dims(leaves: int) -> tuple[int, ...]:
    """Six dimensions whose product is about `leaves` (1,000,000 -> 10 × 10 × 10 × 10 × 10 × 10)."""
    side = round(leaves ** (1 / 6))
    dims = [side] * 6
    for i in itertools.cycle(range(6)):
        if int(np.prod(dims)) >= leaves:
            break
        dims[i] += 1
    return tuple(dims)


OPS_DIMS = {"vendor": 4, "site": 6, "policy": 8, "market": 5, "language": 4}  # 3,840 leaves


def generate_ops(rng: np.random.Generator, kind: str = "ops_ratio", causes: tuple[int, int] = (1, 3)) -> Generated:
    """A labeling-operations cube (ours, not the papers'): vendor × site × policy × market × language, a day's
    labels per leaf ~ Poisson(λ), λ log-normal around 200 (many small leaves), the forecast is λ itself.
    `ops_count`: labels done; a cause cuts its leaves' volume by r ~ U(0.2, 0.6).
    `ops_ratio`: gold accuracy = correct / gold, gold ~ Poisson(λ/10), the leaf's accuracy p ~ Beta(18, 2) and its
    forecast λp/10 over λ/10; a cause lowers its leaves' accuracy by r ~ U(0.1, 0.3) of p (binomial noise only)."""
    names = tuple(OPS_DIMS)
    dims = tuple(OPS_DIMS.values())
    codes = _leaves(dims)
    n = len(codes)
    labels = tuple(tuple(f"{name[0].upper()}{i + 1}" for i in range(s)) for name, s in zip(names, dims, strict=True))
    lam = np.exp(rng.normal(np.log(200.0), 1.0, n))
    k = int(rng.integers(causes[0], causes[1] + 1))
    chosen = _draw_causes(rng, codes, dims, lam > 0, k, 3)
    factor = np.ones(n)
    for _, _, mask in chosen:
        lo, hi = (0.2, 0.6) if kind == "ops_count" else (0.1, 0.3)
        factor[mask] = 1.0 - rng.uniform(lo, hi)
    if kind == "ops_count":
        cube = Cube(names, labels, codes, rng.poisson(lam * factor).astype(float), lam)
    else:
        p = rng.beta(18.0, 2.0, n)
        gold_pred = lam / 10.0
        gold = rng.poisson(gold_pred).astype(float)
        correct = rng.binomial(gold.astype(np.int64), p * factor).astype(float)
        cube = Cube(names, labels, codes, correct, gold_pred * p, gold, gold_pred)
    truth = frozenset(
        frozenset((names[d], labels[d][v]) for d, v in zip(ds, vals, strict=True)) for ds, vals, _ in chosen
    )
    return Generated(cube, truth, kind, 0.0, tuple(len(ds) for ds, _, _ in chosen))
