"""Dawid–Skene on the paper's own data: Dawid & Skene (1979), "Maximum Likelihood Estimation of Observer
Error-Rates Using the EM Algorithm", Applied Statistics 28(1), 20–28 — 45 patients, 5 anaesthetists (observer 1
rated every patient three times), 4 classes. Data: tests/data/dawid_skene_1979/ (transcription A, see its README).

With smoothing 0 our EM is the paper's: it starts, as the paper does, from each patient's share of ratings per
class and maximises the plain likelihood. It must reproduce the estimates the paper prints (two decimals):
the class proportions, every observer's error-rate matrix and the patients' class probabilities. The printed
values below were transcribed from the paper's tables as reproduced by a public test suite of another
implementation (a Java DawidSkeneAlgorithmTest, on the same transcription A); crowd-kit's DawidSkene, run for a
fixed number of iterations, is the independent cross-check to six decimals.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from crowdkit.aggregation import DawidSkene
from typer.testing import CliRunner

from safetyops.cli import app
from safetyops.quality.aggregation import DS_SMOOTHING, EncodedLabels, dawid_skene, majority_vote
from safetyops.quality.tabular import read_label_rows

ANAESTHESIA = Path(__file__).resolve().parents[1] / "data" / "dawid_skene_1979" / "anaesthesia_A.csv"

# The paper's maximum-likelihood estimates, classes 1..4.
PRIORS = [0.40, 0.42, 0.11, 0.07]
# ERROR_RATES[observer][true class][observed class]
ERROR_RATES = [
    [[0.89, 0.11, 0.00, 0.00], [0.07, 0.88, 0.05, 0.00], [0.00, 0.34, 0.66, 0.00], [0.00, 0.00, 0.56, 0.44]],
    [[0.83, 0.17, 0.00, 0.00], [0.05, 0.63, 0.31, 0.00], [0.00, 0.00, 1.00, 0.00], [0.00, 0.00, 0.00, 1.00]],
    [[1.00, 0.00, 0.00, 0.00], [0.11, 0.79, 0.11, 0.00], [0.00, 0.40, 0.20, 0.40], [0.00, 0.00, 0.67, 0.33]],
    [[0.94, 0.06, 0.00, 0.00], [0.05, 0.84, 0.10, 0.00], [0.00, 0.00, 0.80, 0.20], [0.00, 0.00, 0.33, 0.67]],
    [[1.00, 0.00, 0.00, 0.00], [0.16, 0.73, 0.11, 0.00], [0.00, 0.21, 0.79, 0.00], [0.00, 0.00, 0.33, 0.67]],
]
# The most probable class of each patient 1..45; every patient but three has probability 1.00 on it.
CLASSES = [1, 4, 2, 2, 2, 2, 1, 3, 2, 2, 4, 3, 1, 2, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 1, 1, 2, 1, 1, 1, 1, 3, 1, 2, 2]
CLASSES += [4, 2, 3, 3, 1, 1, 1, 2, 1, 2]
UNSURE = {7: [0.98, 0.02, 0.00, 0.00], 35: [0.00, 0.95, 0.05, 0.00], 38: [0.00, 0.02, 0.98, 0.00]}

runner = CliRunner()


@pytest.fixture(scope="module")
def anaesthesia() -> EncodedLabels:
    return read_label_rows(ANAESTHESIA).encode(numeric=True)


def _ml_fit(e: EncodedLabels, **kw: float):  # type: ignore[no-untyped-def]
    return dawid_skene(e.items, e.raters, e.labels, e.n_items, e.n_raters, e.n_classes, tol=1e-10, **kw)


def _by_patient(e: EncodedLabels) -> np.ndarray:
    """Item codes in patient order 1..45 (the file's ids are encoded in text order: 1, 10, 11, …)."""
    return np.argsort(e.item_ids.astype(int))


def test_data_is_the_papers(anaesthesia: EncodedLabels) -> None:
    e = anaesthesia
    assert (e.n_items, e.n_raters, e.n_classes, len(e.items)) == (45, 5, 4, 315)
    assert e.classes.tolist() == [1, 2, 3, 4] and e.rater_ids.tolist() == ["1", "2", "3", "4", "5"]
    assert e.item_ids[_by_patient(e)].astype(int).tolist() == list(range(1, 46))
    assert np.bincount(e.raters).tolist() == [135, 45, 45, 45, 45]  # observer 1: three ratings per patient


def test_maximum_likelihood_fit_reproduces_the_papers_estimates(anaesthesia: EncodedLabels) -> None:
    res = _ml_fit(anaesthesia, smoothing=0.0)
    assert res.converged and res.priors is not None and res.confusion is not None
    assert np.round(res.priors, 2).tolist() == PRIORS
    assert np.round(res.confusion, 2).tolist() == ERROR_RATES
    patients = _by_patient(anaesthesia)
    assert (res.labels[patients] + 1).tolist() == CLASSES
    posteriors = np.round(res.posteriors[patients], 2)
    for patient, probs in UNSURE.items():
        assert posteriors[patient - 1].tolist() == probs
    sure = [p - 1 for p in range(1, 46) if p not in UNSURE]
    assert np.all(posteriors[sure].max(axis=1) == 1.0)
    assert np.all(np.diff(res.ll_trace) > -1e-9)  # EM never lowers the likelihood


def test_smoothing_is_what_departs_from_the_plain_fit(anaesthesia: EncodedLabels) -> None:
    """The default smoothing keeps rates for classes an observer was never seen on away from 0 and 1; the
    likelihood is then a little lower than the maximum (the fit maximises likelihood + Dirichlet prior)."""
    plain, smoothed = _ml_fit(anaesthesia, smoothing=0.0), _ml_fit(anaesthesia)
    assert DS_SMOOTHING > 0 and plain.confusion is not None and smoothed.confusion is not None
    assert plain.confusion[1, 2, 2] == 1.0 and plain.confusion[1, 2, 0] == 0.0  # observer 2, class 3
    assert 0.0 < smoothed.confusion[1, 2, 0] < 0.01 and smoothed.confusion[1, 2, 2] < 1.0
    assert plain.log_likelihood is not None and smoothed.log_likelihood is not None
    assert smoothed.log_likelihood < plain.log_likelihood
    assert np.array_equal(smoothed.labels, plain.labels)
    with pytest.raises(ValueError, match="smoothing"):
        _ml_fit(anaesthesia, smoothing=-0.1)


def test_plain_fit_matches_crowdkit(anaesthesia: EncodedLabels) -> None:
    """crowd-kit 1.4 stops on its own criterion after a few iterations here (0.4224 for class 2); run for a fixed
    number of iterations (tol < 0) both reach the same maximum."""
    e = anaesthesia
    ours = _ml_fit(e, smoothing=0.0)
    frame = pd.DataFrame({"task": e.items, "worker": e.raters, "label": e.labels})
    ref = DawidSkene(n_iter=200, tol=-1.0).fit(frame)
    assert ours.priors is not None and ours.confusion is not None
    assert ours.priors == pytest.approx(ref.priors_.sort_index().to_numpy(), abs=1e-6)
    # crowd-kit: rows (worker, observed), columns true class; absent (worker, observed) pairs have rate 0
    errors = np.zeros((e.n_raters, e.n_classes, e.n_classes))
    for (worker, observed), row in ref.errors_.iterrows():
        errors[worker, :, observed] = row.reindex(range(e.n_classes)).to_numpy()  # column order varies by pandas
    assert ours.confusion == pytest.approx(errors, abs=1e-6)
    probas = ref.probas_.sort_index().reindex(columns=range(e.n_classes))
    assert ours.posteriors == pytest.approx(probas.to_numpy(), abs=1e-6)


def test_stats_aggregate_takes_the_smoothing(tmp_path: Path) -> None:
    def run(*extra: str) -> dict[str, str]:
        out = tmp_path / "final.csv"
        res = runner.invoke(app, ["stats", "aggregate", str(ANAESTHESIA), "--method", "ds", "--out", str(out), *extra])
        assert res.exit_code == 0, res.output
        return {row.split(",")[0]: row.split(",")[2] for row in out.read_text().splitlines()[1:]}

    plain, default = run("--smoothing", "0"), run()
    assert round(float(plain["7"]), 2) == 0.98  # the paper's 0.98 for patient 7
    assert plain != default  # the option reaches the fit
    refused = runner.invoke(app, ["stats", "aggregate", str(ANAESTHESIA), "--method", "ds", "--smoothing", "-1"])
    assert refused.exit_code == 2 and "smoothing" in refused.output


def test_gold_items_are_clamped(anaesthesia: EncodedLabels) -> None:
    e = anaesthesia
    gold_items, gold_classes = np.array([0, 1, 2]), np.array([3, 3, 3])
    res = dawid_skene(e.items, e.raters, e.labels, e.n_items, e.n_raters, e.n_classes, gold=(gold_items, gold_classes))
    assert np.array_equal(res.labels[gold_items], gold_classes)
    assert np.allclose(res.posteriors[gold_items].max(axis=1), 1.0)


def test_majority_vote_agrees_where_votes_are_not_split(anaesthesia: EncodedLabels) -> None:
    """Every patient gets a label; DS only departs from the majority where votes are split."""
    e = anaesthesia
    res = _ml_fit(e, smoothing=0.0)
    mv = majority_vote(e.items, e.labels, e.n_items, e.n_classes)
    assert (res.labels >= 0).all()
    assert (res.labels == mv.labels).mean() >= 0.9
    # observer 1 rated each patient three times: its confusion rows are still distributions
    assert res.confusion is not None and np.allclose(res.confusion.sum(axis=2), 1.0)
