"""Cube CSVs for `safetyops rca explain`: every bad input named by line and column, and the output formats."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from safetyops.monitoring import cube as cubes
from safetyops.monitoring import rca
from safetyops.monitoring.checks import MonitoringInputError
from tests.support import rca_cubes


def _csv(c: rca.Cube) -> bytes:
    head = [*c.dimensions, *(cubes.RATIO if c.is_ratio else cubes.FUNDAMENTAL)]
    cols = [c.real, c.predict] + ([c.real_b, c.predict_b] if c.is_ratio else [])
    lines = [",".join(head)]
    for i in range(len(c)):
        labels = [c.labels[d][c.codes[i, d]] for d in range(len(c.dimensions))]
        lines.append(",".join(labels + [repr(float(col[i])) for col in cols if col is not None]))
    return ("\n".join(lines) + "\n").encode()


@pytest.mark.parametrize("kind", ["fundamental", "derived"])
def test_round_trip_of_a_generated_cube(kind: str, tmp_path: Path) -> None:
    gen = rca_cubes.generate(np.random.default_rng(1), dims=(4, 5, 3), kind=kind, noise=0.1)
    path = tmp_path / "cube.csv"
    path.write_bytes(_csv(gen.cube))
    got = cubes.read_cube_csv(path)
    assert got.dimensions == gen.cube.dimensions
    assert np.array_equal(got.real, gen.cube.real) and np.array_equal(got.predict, gen.cube.predict)
    assert got.is_ratio == (kind == "derived")
    assert [c.text for c in rca.explain(got).causes] == [c.text for c in rca.explain(gen.cube).causes]


def test_quoted_values_and_whitespace() -> None:
    data = b'vendor,site,real,predict\n"Acme, Inc",DAC , 10,10\nV2,DAC,5, 6\n'
    c = cubes.read_cube_csv(data)
    assert c.labels[0] == ("Acme, Inc", "V2") and c.labels[1] == ("DAC",)
    assert c.predict.tolist() == [10.0, 6.0]


@pytest.mark.parametrize(
    ("data", "where", "what"),
    [
        (b"", "field 'file'", "empty"),
        (b"vendor,real\nV1,3\n", "line 1", "missing column(s) predict"),
        (b"vendor,real_a,predict_a,real_b\nV1,1,1,1\n", "line 1", "predict_b"),
        (b"vendor,real,predict,real_b\nV1,1,1,1\n", "line 1", "mixes"),
        (b"real,predict\n1,2\n", "line 1", "no dimension column"),
        (b"vendor,vendor,real,predict\n", "line 1", "twice"),
        (b"vendor,,real,predict\n", "line 1", "empty column name"),
        (b"vendor,real,predict\n", "field 'file'", "no leaves"),
        (b"vendor,real,predict\nV1,1,2\nV2,abc,2\n", "line 3, field 'real'", "'abc' is not a number"),
        (b"vendor,real,predict\nV1,1,nan\n", "line 2, field 'predict'", "finite"),
        (b"vendor,real,predict\nV1,1,inf\n", "line 2, field 'predict'", "finite"),
        (b"vendor,real,predict\nV1,-1,2\n", "line 2, field 'real'", ">= 0"),
        (b"vendor,real,predict\nV1,,2\n", "line 2, field 'real'", "not a number"),
        (b"vendor,site,real,predict\nV1,DAC,1,2\nV2, ,1,2\n", "line 3, field 'site'", "empty slice"),
        (b"vendor,site,real,predict\nV1,A,1,2\nV2,A,1,2\nV1,A,3,3\n", "line 4", "repeats the leaf of line 2"),
        (b"v,real_a,predict_a,real_b,predict_b\nV1,3,3,0,5\n", "line 2, field 'real_b'", "needs a denominator"),
        (b"v,real_a,predict_a,real_b,predict_b\nV1,0,3,0,5\n", "field 'real_b'", "sums to 0"),
        (b"v,real,predict\nV1,1,2,3\n", "field 'file'", "not a readable CSV"),
    ],
)
def test_bad_cube_files(data: bytes, where: str, what: str) -> None:
    with pytest.raises(MonitoringInputError) as err:
        cubes.read_cube_csv(data, name="c.csv")
    message = str(err.value)
    assert message.startswith("c.csv")
    assert where in message and what in message


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(MonitoringInputError, match=r"cannot read .*nope\.csv"):
        cubes.read_cube_csv(tmp_path / "nope.csv")


def test_a_zero_slice_is_allowed() -> None:
    c = cubes.read_cube_csv(b"v,real_a,predict_a,real_b,predict_b\nV1,0,0,0,0\nV2,8,9,10,10\n")
    ex = rca.explain(c)
    assert ex.real == pytest.approx(0.8) and ex.predict == pytest.approx(0.9)


def _example() -> tuple[rca.Cube, rca.Explanation]:
    rng = np.random.default_rng(3)
    vendors = np.repeat([f"V{i}" for i in range(1, 7)], 20)
    sites = np.tile([f"S{i}" for i in range(1, 21)], 6)
    predict = rng.uniform(90, 110, 120)
    real = predict * (1 + rng.normal(0, 0.01, 120))
    real[vendors == "V3"] *= 0.5
    real[(vendors == "V5") & (sites == "S2")] *= 3.0
    c = rca.Cube.from_columns({"vendor": vendors, "site": sites}, real, predict)
    return c, rca.explain(c)


def test_text_and_compact_formats() -> None:
    _, ex = _example()
    lines = cubes.format_text(ex).splitlines()
    assert [line.split("\t")[0] for line in lines] == ["vendor=V3", "vendor=V5&site=S2"]
    assert lines[0].split("\t")[1].startswith("+") or lines[0].split("\t")[1].startswith("-")
    assert cubes.format_compact(ex) == "vendor=V3;vendor=V5&site=S2"
    quiet = rca.explain(rca.Cube.from_columns({"v": np.array(["a", "b"])}, [1.0, 1.0], [1.0, 1.0]))
    assert cubes.format_text(quiet).startswith("no root cause")
    assert cubes.format_compact(quiet) == ""


def test_json_shape_and_no_nan() -> None:
    c, ex = _example()
    body = json.loads(cubes.to_json(ex, c))
    assert body["kind"] == "fundamental" and body["leaves"] == 120 and body["dimensions"] == ["vendor", "site"]
    assert [r["element"] for r in body["root_causes"]] == ["vendor=V3", "vendor=V5&site=S2"]
    assert body["root_causes"][1]["slice"] == {"vendor": "V5", "site": "S2"}
    assert set(body["root_causes"][0]) >= {"share", "rate_share", "mix_share", "real", "predict", "z", "leaves"}
    same = rca.explain(rca.Cube.from_columns({"v": np.array(["a", "b"])}, [1.0, 0.0], [1.0, 0.0]))
    assert json.loads(cubes.to_json(same))["root_causes"] == []
    ratio = cubes.read_cube_csv(b"v,real_a,predict_a,real_b,predict_b\nV1,0,0,0,0\nV2,5,9,10,10\n")
    text = cubes.to_json(rca.explain(ratio))
    assert "NaN" not in text and "Infinity" not in text
