"""Reading label files and count tables, and the bootstrap paths of α."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from safetyops.quality.agreement import krippendorff_alpha
from safetyops.quality.tabular import LabelFileError, read_count_table, read_gold, read_label_rows


def test_read_label_rows_aliases_and_extra_columns(tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    path.write_text("\ufeffnote,Rating,Annotator_ID,Item\nx,3,a,i1\n\ny,1,b,i1\n", encoding="utf-8")
    rows = read_label_rows(path)
    assert rows.items.tolist() == ["i1", "i1"] and rows.raters.tolist() == ["a", "b"]
    assert rows.lines.tolist() == [2, 4]
    assert rows.numeric_labels().tolist() == [3.0, 1.0]
    enc = rows.encode(numeric=True)
    assert enc.classes.tolist() == [1.0, 3.0] and enc.labels.tolist() == [1, 0]


def test_numeric_labels_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    path.write_text("item,rater,label\n1,a,2\n1,b,high\n", encoding="utf-8")
    with pytest.raises(LabelFileError) as err:
        read_label_rows(path).numeric_labels()
    assert err.value.line == 3 and err.value.field == "label" and str(path) in str(err.value)


def test_count_tables(tmp_path: Path) -> None:
    named = tmp_path / "named.csv"
    named.write_text("item,a,b\nx,1,2\ny,0,3\n", encoding="utf-8")
    table = read_count_table(named)
    assert table.row_names == ("x", "y") and table.col_names == ("a", "b")
    assert table.counts.tolist() == [[1, 2], [0, 3]]
    plain = tmp_path / "plain.csv"
    plain.write_text("a,b\n1,2\n0,3\n", encoding="utf-8")
    assert read_count_table(plain).counts.tolist() == [[1, 2], [0, 3]]
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n0,-3\n", encoding="utf-8")
    with pytest.raises(LabelFileError, match=r"bad.csv:3: field 'b'"):
        read_count_table(bad)
    short = tmp_path / "short.csv"
    short.write_text("a,b\n1\n", encoding="utf-8")
    with pytest.raises(LabelFileError, match="expected 2 fields"):
        read_count_table(short)


def test_read_gold(tmp_path: Path) -> None:
    path = tmp_path / "gold.csv"
    path.write_text("label,item\nspam,1\n", encoding="utf-8")
    items, labels = read_gold(path)
    assert items.tolist() == ["1"] and labels.tolist() == ["spam"]


def test_bootstrap_many_distinct_units_is_seeded_and_brackets_alpha() -> None:
    """More than 4,096 distinct unit profiles: units are drawn directly rather than by profile."""
    rng = np.random.default_rng(5)
    truth = rng.normal(0, 1, 6000)
    data = np.round(truth + rng.normal(0, 0.5, (3, 6000)), 1)
    one = krippendorff_alpha(data, "interval", bootstrap=200, seed=1)
    two = krippendorff_alpha(data, "interval", bootstrap=200, seed=1)
    assert (one.ci_low, one.ci_high) == (two.ci_low, two.ci_high)
    assert one.ci_low is not None and one.ci_high is not None and one.value is not None
    assert one.ci_low < one.value < one.ci_high < one.value + 0.05


def test_bootstrap_width_shrinks_with_more_units() -> None:
    rng = np.random.default_rng(2)

    def width(units: int) -> float:
        truth = rng.integers(0, 4, units)
        data = np.where(rng.random((4, units)) < 0.7, truth, rng.integers(0, 4, (4, units))).astype(float)
        res = krippendorff_alpha(data, "ordinal", bootstrap=300)
        assert res.ci_low is not None and res.ci_high is not None
        return res.ci_high - res.ci_low

    assert width(2000) < width(100)
