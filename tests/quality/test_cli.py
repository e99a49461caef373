"""`safetyops stats …` end to end with CliRunner on small CSVs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from safetyops.cli import app

runner = CliRunner()

ROWS = """item,rater,label
1,ann,spam
1,bob,spam
1,cat,spam
2,ann,ham
2,bob,ham
2,cat,spam
3,ann,ham
3,bob,spam
4,ann,spam
4,bob,spam
4,cat,ham
5,ann,ham
5,bob,ham
5,cat,ham
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _json(args: list[str]) -> dict[str, object]:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize("metric", ["percent", "fleiss", "alpha", "ac1"])
def test_agreement_json_and_table(tmp_path: Path, metric: str) -> None:
    path = _write(tmp_path, "labels.csv", ROWS)
    data = _json(["stats", "agreement", str(path), "--metric", metric, "--json", "--bootstrap", "200"])
    assert {"metric", "value", "ci_low", "ci_high", "n_items", "n_raters", "percent_agreement"} <= set(data)
    assert data["n_raters"] == 3 and data["n_items"] == 5
    table = runner.invoke(app, ["stats", "agreement", str(path), "--metric", metric])
    assert table.exit_code == 0 and "percent_agreement" in table.stdout


def test_agreement_columns_in_any_order(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "labels.csv",
        "label,item,rater\n"
        + "\n".join(f"{lab},{i},{r}" for i, r, lab in (line.split(",") for line in ROWS.splitlines()[1:])),
    )
    a = _json(["stats", "agreement", str(path), "--json", "--bootstrap", "0"])
    b = _json(["stats", "agreement", str(_write(tmp_path, "b.csv", ROWS)), "--json", "--bootstrap", "0"])
    assert a["value"] == b["value"]


def test_cohen_needs_two_raters(tmp_path: Path) -> None:
    path = _write(tmp_path, "labels.csv", ROWS)
    result = runner.invoke(app, ["stats", "agreement", str(path), "--metric", "cohen"])
    assert result.exit_code == 2
    assert "exactly two raters" in result.output and "Traceback" not in result.output


def test_cohen_two_raters_and_square_table(tmp_path: Path) -> None:
    two = "".join(line + "\n" for line in ROWS.splitlines() if not line.endswith(("cat,spam", "cat,ham")))
    data = _json(["stats", "agreement", str(_write(tmp_path, "two.csv", two)), "--metric", "cohen", "--json"])
    assert data["n_items"] == 5 and data["percent_agreement"] == pytest.approx(0.8)
    table = _write(tmp_path, "table.csv", ",yes,no\nyes,20,5\nno,10,15\n")
    data = _json(["stats", "agreement", str(table), "--table", "--metric", "cohen", "--json"])
    assert data["value"] == pytest.approx(0.4)


def test_fleiss_count_table(tmp_path: Path) -> None:
    rows = "\n".join(
        ",".join(map(str, r))
        for r in [
            [0, 0, 0, 0, 14],
            [0, 2, 6, 4, 2],
            [0, 0, 3, 5, 6],
            [0, 3, 9, 2, 0],
            [2, 2, 8, 1, 1],
            [7, 7, 0, 0, 0],
            [3, 2, 6, 3, 0],
            [2, 5, 3, 2, 2],
            [6, 5, 2, 1, 0],
            [0, 2, 2, 3, 7],
        ]
    )
    path = _write(tmp_path, "fleiss.csv", "a,b,c,d,e\n" + rows + "\n")
    data = _json(["stats", "agreement", str(path), "--table", "--metric", "fleiss", "--json"])
    assert round(data["value"], 6) == 0.209931  # type: ignore[arg-type]


def test_ordinal_alpha_needs_numbers(tmp_path: Path) -> None:
    path = _write(tmp_path, "labels.csv", ROWS)
    result = runner.invoke(app, ["stats", "agreement", str(path), "--metric", "alpha", "--level", "ordinal"])
    assert result.exit_code == 2
    assert f"{path}:2 label:" in result.output and "not a number" in result.output


def test_ordinal_alpha_on_numbers(tmp_path: Path) -> None:
    text = "item,rater,label\n" + "".join(
        f"{u},{c},{v}\n"
        for c, row in enumerate([[1, 2, 3, 3, 2, 1, 4, 1, 2], [1, 2, 3, 3, 2, 2, 4, 1, 2]])
        for u, v in enumerate(row)
    )
    data = _json(["stats", "agreement", str(_write(tmp_path, "num.csv", text)), "--level", "ordinal", "--json"])
    assert data["variant"] == "ordinal" and 0.8 < data["value"] <= 1  # type: ignore[operator]


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("item,rater,label\n1,a,x\n2,b\n", ":3:"),
        ("item,rater\n1,a\n", ":1 label:"),
        ("item,rater,label\n1,a,x\n2,,y\n", ":3 rater:"),
        ("", "empty"),
    ],
)
def test_bad_files_exit_2_with_location(tmp_path: Path, text: str, where: str) -> None:
    path = _write(tmp_path, "bad.csv", text)
    for cmd in (["agreement", str(path)], ["aggregate", str(path)]):
        result = runner.invoke(app, ["stats", *cmd])
        assert result.exit_code == 2, result.output
        assert str(path) in result.output and where in result.output
        assert "Traceback" not in result.output


def test_missing_file_and_bad_table(tmp_path: Path) -> None:
    result = runner.invoke(app, ["stats", "agreement", str(tmp_path / "nope.csv")])
    assert result.exit_code == 2 and "cannot read file" in result.output
    path = _write(tmp_path, "t.csv", "a,b\n1,x\n")
    result = runner.invoke(app, ["stats", "agreement", str(path), "--table", "--metric", "fleiss"])
    assert result.exit_code == 2 and f"{path}:2 b:" in result.output


def test_unknown_category(tmp_path: Path) -> None:
    path = _write(tmp_path, "labels.csv", ROWS)
    result = runner.invoke(app, ["stats", "agreement", str(path), "--metric", "ac1", "--categories", "spam,eggs"])
    assert result.exit_code == 2 and ":5 label:" in result.output
    data = _json(["stats", "agreement", str(path), "--metric", "ac1", "--categories", "spam,ham,other", "--json"])
    assert data["value"] is not None


@pytest.mark.parametrize("method", ["mv", "weighted", "ds"])
def test_aggregate(tmp_path: Path, method: str) -> None:
    path = _write(tmp_path, "labels.csv", ROWS)
    out = tmp_path / "final.csv"
    data = _json(["stats", "aggregate", str(path), "--method", method, "--json", "--out", str(out)])
    assert data["n_items"] == 5 and len(data["items"]) == 5  # type: ignore[arg-type]
    first = data["items"][0]  # type: ignore[index]
    assert first["item"] == "1" and first["label"] == "spam" and first["confidence"] > 0.5
    if method == "ds":
        assert data["iterations"] >= 1 and data["log_likelihood"] < 0  # type: ignore[operator]
    assert out.read_text().splitlines()[0] == "item,label,confidence,needs_review,tied"
    table = runner.invoke(app, ["stats", "aggregate", str(path), "--method", method])
    assert table.exit_code == 0 and "n_needs_review" in table.stdout


def test_aggregate_ties(tmp_path: Path) -> None:
    path = _write(tmp_path, "labels.csv", ROWS)  # item 3 is a 1–1 tie
    data = _json(["stats", "aggregate", str(path), "--json"])
    assert "3" in data["needs_review"]  # type: ignore[operator]
    assert data["items"][2]["label"] is None  # type: ignore[index]
    data = _json(["stats", "aggregate", str(path), "--tie", "severity", "--severity-order", "spam,ham", "--json"])
    assert data["items"][2]["label"] == "spam"  # type: ignore[index]
    result = runner.invoke(app, ["stats", "aggregate", str(path), "--tie", "severity", "--severity-order", "x"])
    assert result.exit_code == 2 and "'x'" in result.output


def test_aggregate_with_gold(tmp_path: Path) -> None:
    path = _write(tmp_path, "labels.csv", ROWS)
    gold = _write(tmp_path, "gold.csv", "item,label\n3,ham\n")
    data = _json(["stats", "aggregate", str(path), "--method", "ds", "--gold", str(gold), "--json"])
    assert data["items"][2]["label"] == "ham"  # type: ignore[index]
    data = _json(["stats", "aggregate", str(path), "--method", "weighted", "--gold", str(gold), "--json"])
    assert len(data["items"]) == 5  # type: ignore[arg-type]


def test_accuracy() -> None:
    data = _json(["stats", "accuracy", "--correct", "182", "--total", "200", "--json"])
    assert data["value"] == pytest.approx(0.91) and data["ci_low"] < 0.91 < data["ci_high"]  # type: ignore[operator]
    data = _json(["stats", "accuracy", "--correct", "10", "--total", "10", "--method", "clopper-pearson", "--json"])
    assert data["ci_high"] == 1.0
    result = runner.invoke(app, ["stats", "accuracy", "--correct", "11", "--total", "10"])
    assert result.exit_code == 2 and "cannot exceed" in result.output
    assert "accuracy" in runner.invoke(app, ["stats", "accuracy", "--correct", "5", "--total", "9"]).stdout


def test_sample_size() -> None:
    assert _json(["stats", "sample-size", "--accuracy", "0.5", "--margin", "0.05", "--json"])["n"] == 385
    data = _json(
        [
            "stats",
            "sample-size",
            "--accuracy",
            "0.9",
            "--margin",
            "0.03",
            "--population",
            "1000",
            "--max-error-rate",
            "0.01",
            "--json",
        ]
    )
    assert data["n"] < 385 and data["zero_defect_n"] == 299
    result = runner.invoke(app, ["stats", "sample-size", "--accuracy", "1.5", "--margin", "0.05"])
    assert result.exit_code == 2 and "accuracy" in result.output


@pytest.mark.parametrize("command", ["agreement", "aggregate", "accuracy", "sample-size"])
def test_help_has_example(command: str) -> None:
    result = runner.invoke(app, ["stats", command, "--help"])
    assert result.exit_code == 0 and f"safetyops stats {command}" in result.stdout


def test_smoothing_option_shows_the_library_default() -> None:
    """The CLIs write Dawid–Skene's default smoothing as text (importing aggregation would slow --help)."""
    from safetyops.quality.aggregation import DS_SMOOTHING
    from safetyops.quality.stats_cli import SMOOTHING

    assert SMOOTHING.default == DS_SMOOTHING
    result = runner.invoke(app, ["stats", "aggregate", "--help"], terminal_width=200)
    assert f"[default: {DS_SMOOTHING}]" in result.stdout
