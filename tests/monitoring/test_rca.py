"""Root-cause localisation: hand-built cubes with one known answer, the exact shift-share split of a ratio,
the noise model, the generated cubes against the two published baselines, and bad input."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from safetyops.monitoring import rca
from safetyops.monitoring.checks import MonitoringInputError
from tests.support import rca_baselines, rca_cubes


def _grid(sizes: dict[str, int]) -> dict[str, np.ndarray]:
    names = list(sizes)
    rows = list(itertools.product(*[range(s) for s in sizes.values()]))
    return {n: np.array([f"{n[0].upper()}{r[i] + 1}" for r in rows]) for i, n in enumerate(names)}


def _noisy(rng: np.random.Generator, n: int, level: float = 0.03) -> tuple[np.ndarray, np.ndarray]:
    predict = rng.uniform(50, 150, n)
    return predict * (1 + rng.normal(0, level, n)), predict


def test_one_vendor_drops() -> None:
    rng = np.random.default_rng(1)
    dims = _grid({"vendor": 6, "site": 5, "policy": 8})
    real, predict = _noisy(rng, len(dims["vendor"]))
    hit = dims["vendor"] == "V3"
    real[hit] = predict[hit] * 0.6
    ex = rca.explain(rca.Cube.from_columns(dims, real, predict))
    assert [c.text for c in ex.causes] == ["vendor=V3"]
    cause = ex.causes[0]
    assert cause.share is not None and 0.9 < cause.share < 1.1  # nearly all of the change
    assert cause.relative_change == pytest.approx(-0.4, abs=0.02)
    assert cause.leaves == 40


def test_a_three_dimensional_cause() -> None:
    rng = np.random.default_rng(2)
    dims = _grid({"vendor": 6, "site": 5, "policy": 8, "market": 4})
    real, predict = _noisy(rng, len(dims["vendor"]))
    hit = (dims["vendor"] == "V3") & (dims["site"] == "S2") & (dims["policy"] == "P7")
    real[hit] = predict[hit] * 1.8
    ex = rca.explain(rca.Cube.from_columns(dims, real, predict))
    assert [c.text for c in ex.causes] == ["vendor=V3&site=S2&policy=P7"]


def test_children_not_their_parent_when_only_some_moved() -> None:
    # three of a1's five b-children drop: a1 has the largest z but its children did not move alike
    rng = np.random.default_rng(3)
    dims = _grid({"a": 5, "b": 5, "c": 6})
    real, predict = _noisy(rng, len(dims["a"]))
    hit = (dims["a"] == "A1") & np.isin(dims["b"], ["B1", "B2", "B3"])
    real[hit] = predict[hit] * 0.5
    ex = rca.explain(rca.Cube.from_columns(dims, real, predict))
    assert sorted(c.text for c in ex.causes) == ["a=A1&b=B1", "a=A1&b=B2", "a=A1&b=B3"]


def test_two_causes_of_different_size_are_both_named_biggest_first() -> None:
    rng = np.random.default_rng(4)
    dims = _grid({"a": 6, "b": 6, "c": 6})
    real, predict = _noisy(rng, len(dims["a"]))
    big = dims["a"] == "A2"
    small = (dims["b"] == "B4") & (dims["c"] == "C1") & (dims["a"] != "A2")
    real[big] = predict[big] * 0.5
    real[small] = predict[small] * 1.6
    ex = rca.explain(rca.Cube.from_columns(dims, real, predict))
    assert [c.text for c in ex.causes] == ["a=A2", "b=B4&c=C1"]
    assert abs(ex.causes[0].real - ex.causes[0].predict) > abs(ex.causes[1].real - ex.causes[1].predict)


def test_noise_alone_has_no_cause_and_no_change_has_no_share() -> None:
    rng = np.random.default_rng(5)
    dims = _grid({"a": 10, "b": 12, "c": 10})
    real, predict = _noisy(rng, len(dims["a"]), 0.1)
    assert rca.explain(rca.Cube.from_columns(dims, real, predict)).causes == ()
    same = rca.explain(rca.Cube.from_columns(dims, predict, predict))
    assert same.causes == () and same.note is not None and same.change == 0


def test_answer_does_not_depend_on_leaf_order() -> None:
    rng = np.random.default_rng(6)
    gen = rca_cubes.generate(rng, kind="fundamental", noise=0.1)
    c = gen.cube
    perm = rng.permutation(len(c))
    shuffled = rca.Cube(c.dimensions, c.labels, c.codes[perm], c.real[perm], c.predict[perm])
    assert [x.text for x in rca.explain(c).causes] == [x.text for x in rca.explain(shuffled).causes]


def test_noise_model_reads_relative_and_poisson_noise() -> None:
    rng = np.random.default_rng(7)
    size = rng.uniform(5, 5000, 20_000)
    relative = size * (1 + rng.normal(0, 0.1, len(size)))
    s, m, used = rca.deviation_scores(relative, size)
    fit = rca.noise_model(s, m, used, 0.0)
    assert fit.power == pytest.approx(0.0, abs=0.15)
    assert fit.sigma == pytest.approx(0.1, rel=0.1)
    counts = rng.poisson(size).astype(float)
    s, m, used = rca.deviation_scores(counts, size)
    assert rca.noise_model(s, m, used, 0.0).power == pytest.approx(1.0, abs=0.15)


# ---------------------------------------------------------------- ratios: rate and mix


def test_shift_share_by_hand() -> None:
    # two slices at rates 0.9 and 0.5, equal volume (0.7 overall); the weak slice doubles its volume
    a_pred, b_pred = np.array([90.0, 50.0]), np.array([100.0, 100.0])
    a_real, b_real = np.array([90.0, 100.0]), np.array([100.0, 200.0])
    split = rca.shift_share(a_real, a_pred, b_real, b_pred)
    assert split.predict == pytest.approx(0.7)
    assert split.real == pytest.approx(190 / 300)
    assert split.rate.tolist() == pytest.approx([0.0, 0.0])
    assert split.mix.tolist() == pytest.approx([(1 / 3 - 1 / 2) * 0.2, (2 / 3 - 1 / 2) * -0.2])


def test_shift_share_is_exact_with_new_and_vanished_slices() -> None:
    rng = np.random.default_rng(8)
    b_pred, b_real = rng.uniform(0, 100, 500), rng.uniform(0, 100, 500)
    b_pred[:20] = 0.0  # new slices
    b_real[20:40] = 0.0  # vanished slices
    a_pred, a_real = b_pred * rng.uniform(0.5, 1, 500), b_real * rng.uniform(0.5, 1, 500)
    split = rca.shift_share(a_real, a_pred, b_real, b_pred)
    assert split.rate.sum() + split.mix.sum() == pytest.approx(split.real - split.predict, abs=1e-12)
    assert np.isfinite(split.rate).all() and np.isfinite(split.mix).all()


def test_ratio_separates_rate_from_mix() -> None:
    rng = np.random.default_rng(9)
    dims = _grid({"vendor": 5, "policy": 6, "market": 4})
    n = len(dims["vendor"])
    gold_pred = rng.uniform(200, 400, n)
    rate = np.where(dims["policy"] == "P6", 0.6, 0.92)  # P6 is the hard policy
    correct_pred = gold_pred * rate
    gold_real = gold_pred * (1 + rng.normal(0, 0.02, n))
    correct_real = gold_real * rate * (1 + rng.normal(0, 0.01, n))
    slower = dims["vendor"] == "V2"
    correct_real[slower] *= 0.85  # V2 got worse: a rate cause
    harder = dims["policy"] == "P6"
    gold_real[harder] *= 2.0  # twice as much of the hard policy for everyone: mix, not anyone's skill
    correct_real[harder] *= 2.0
    ex = rca.explain(rca.Cube.from_columns(dims, correct_real, correct_pred, gold_real, gold_pred))
    assert ex.kind == "ratio"
    assert [c.text for c in ex.causes] == ["vendor=V2"]
    v2 = ex.causes[0]
    assert v2.rate_share is not None and v2.mix_share is not None and v2.share is not None
    assert v2.rate_share + v2.mix_share == pytest.approx(v2.share)
    assert v2.rate_share > 2 * abs(v2.mix_share)
    assert ex.mix_effect is not None
    # V2 holds a fifth of the hard policy's slices, so about a fifth of the mix effect falls inside it
    assert v2.mix_share == pytest.approx(ex.mix_effect / ex.change / 5, rel=0.3)
    assert [d.text for d in ex.mix_drivers] == ["policy=P6"]
    assert ex.mix_effect is not None and ex.rate_effect is not None
    assert ex.mix_effect + ex.rate_effect == pytest.approx(ex.change)
    assert abs(ex.mix_effect) > abs(ex.rate_effect)  # most of the fall is the harder mix


def test_ratio_with_a_numerator_over_zero_is_refused() -> None:
    dims = _grid({"a": 3})
    with pytest.raises(MonitoringInputError, match="real_b"):
        rca.explain(rca.Cube.from_columns(dims, [1.0, 2, 3], [1.0, 2, 3], [0.0, 2, 3], [1.0, 2, 3]))
    with pytest.raises(MonitoringInputError, match="sums to 0"):
        rca.explain(rca.Cube.from_columns(dims, [0.0, 0, 0], [1.0, 2, 3], [0.0, 0, 0], [1.0, 2, 3]))


# ---------------------------------------------------------------- against the published baselines


@pytest.mark.parametrize(("kind", "target"), [("fundamental", 0.95), ("derived", 0.90)])
def test_beats_adtributor_and_squeeze_on_generated_cubes(kind: str, target: float) -> None:
    rng = np.random.default_rng(2024)
    totals = {"ours": [0, 0, 0], "adtributor": [0, 0, 0], "squeeze": [0, 0, 0]}
    for _ in range(10):
        gen = rca_cubes.generate(rng, kind=kind, noise=float(rng.choice([0.0, 0.1, 0.2])))
        answers = {
            "ours": [c.element for c in rca.explain(gen.cube).causes],
            "adtributor": rca_baselines.adtributor(gen.cube),
            "squeeze": rca_baselines.squeeze(gen.cube),
        }
        for method, answer in answers.items():
            for i, x in enumerate(rca_cubes.score(rca_cubes.as_sets(answer), gen.truth)):
                totals[method][i] += x
    f1 = {m: rca_cubes.f1(*t)["f1"] for m, t in totals.items()}
    assert f1["ours"] >= target
    assert f1["ours"] > f1["adtributor"] and f1["ours"] > f1["squeeze"]


def test_baselines_find_an_easy_one_dimensional_cause() -> None:
    # the baselines are real: on the case their papers were built for they answer right
    rng = np.random.default_rng(10)
    dims = _grid({"a": 8, "b": 6, "c": 5})
    real, predict = _noisy(rng, len(dims["a"]), 0.0)
    hit = dims["a"] == "A5"
    real[hit] = predict[hit] * 0.3
    cube = rca.Cube.from_columns(dims, real, predict)
    assert (("a", "A5"),) in rca_baselines.adtributor(cube)
    assert rca_baselines.squeeze(cube) == [(("a", "A5"),)]


# ---------------------------------------------------------------- bad input


def test_bad_cubes_are_refused_with_their_field() -> None:
    dims = _grid({"a": 3})
    with pytest.raises(MonitoringInputError, match="real"):
        rca.Cube.from_columns(dims, [1.0, float("nan"), 3], [1.0, 2, 3])
    with pytest.raises(MonitoringInputError, match="predict"):
        rca.Cube.from_columns(dims, [1.0, 2, 3], [1.0, -2, 3])
    with pytest.raises(MonitoringInputError, match="real_b"):
        rca.Cube.from_columns(dims, [1.0, 2, 3], [1.0, 2, 3], real_b=[1.0, 2, 3])
    with pytest.raises(MonitoringInputError, match="leaves"):
        rca.explain(rca.Cube.from_columns({"a": np.array([], dtype=str)}, [], []))
    with pytest.raises(MonitoringInputError, match="max_layer"):
        rca.Settings(max_layer=0)
