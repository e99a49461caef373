"""`safetyops staffing …`: tables, JSON, --agents evaluation, and one-line errors with exit code 2."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from safetyops.planning.staffing_cli import parse_duration, staffing_app

runner = CliRunner()


def _args(line: str) -> list[str]:
    return line.split()


ERLANG_C = _args("erlang-c --contacts 100 --per 30m --aht 180s --target 0.8 --within 20s")


def _json(args: list[str]) -> dict[str, object]:
    result = runner.invoke(staffing_app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    data: dict[str, object] = json.loads(result.stdout)
    return data


@pytest.mark.parametrize(
    ("raw", "seconds"), [("180", 180), ("180s", 180), ("3m", 180), ("1h", 3600), ("30m", 1800), ("1.5m", 90)]
)
def test_durations(raw: str, seconds: float) -> None:
    assert parse_duration(raw) == seconds


def test_erlang_c_json_reproduces_reference() -> None:
    data = _json([*ERLANG_C, "--shrinkage", "0.3", "--max-occupancy", "0.85"])
    assert data["agents"] == 14
    assert data["rostered"] == 20
    assert round(data["service_level"], 5) == 0.88835  # type: ignore[call-overload]
    assert round(data["p_wait"], 5) == 0.17413  # type: ignore[call-overload]
    assert round(data["asa_s"], 2) == 7.84  # type: ignore[call-overload]
    assert round(data["occupancy"], 4) == 0.7143  # type: ignore[call-overload]


def test_erlang_c_agents_evaluates_given_n() -> None:
    data = _json([*ERLANG_C, "--agents", "13"])
    assert data["agents"] == 13
    assert round(data["service_level"], 4) == 0.7956  # type: ignore[call-overload]


def test_erlang_c_table() -> None:
    result = runner.invoke(staffing_app, ERLANG_C)
    assert result.exit_code == 0
    for word in ("agents", "service level", "p wait", "asa s", "occupancy", "0.88835", "14"):
        assert word in result.stdout


def test_erlang_c_understaffed_json_has_null_asa() -> None:
    data = _json([*ERLANG_C, "--agents", "9"])
    assert data["asa_s"] is None
    assert data["service_level"] == 0


def test_erlang_a_json_and_table() -> None:
    args = ["erlang-a", *ERLANG_C[1:], "--patience", "5m"]
    data = _json(args)
    assert data["agents"] == 13
    assert 0 < data["p_abandon"] < 0.05  # type: ignore[operator]
    assert data["service_level"] >= 0.8  # type: ignore[operator]
    table = runner.invoke(staffing_app, args)
    assert table.exit_code == 0 and "abandon" in table.stdout


def test_erlang_b() -> None:
    data = _json(["erlang-b", "--traffic", "10", "--blocking", "0.01"])
    assert data["agents"] == 18
    assert round(data["blocking"], 5) == 0.00714  # type: ignore[call-overload]
    data = _json(["erlang-b", "--traffic", "10", "--agents", "17"])
    assert round(data["blocking"], 5) == 0.01295  # type: ignore[call-overload]
    table = runner.invoke(staffing_app, ["erlang-b", "--traffic", "10", "--blocking", "0.01"])
    assert table.exit_code == 0 and "blocking" in table.stdout


def test_backlog_reference_example() -> None:
    data = _json(_args("backlog --work 300,375,350 --deadline 2 --slot day"))
    assert data["capacity_per_day"] == pytest.approx(1025 / 3)
    assert data["late"] == 0
    table = runner.invoke(staffing_app, ["backlog", "--work", "300,375,350", "--deadline", "2", "--slot", "day"])
    assert table.exit_code == 0 and "341.67" in table.stdout


@pytest.mark.parametrize("command", ["erlang-c", "erlang-a", "erlang-b", "backlog"])
def test_help_has_an_example(command: str) -> None:
    result = runner.invoke(staffing_app, [command, "--help"])
    assert result.exit_code == 0
    assert "Example" in result.stdout and f"safetyops staffing {command}" in result.stdout


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (_args("erlang-c --contacts 100 --aht 3x --target 0.8 --within 20s"), "--aht"),
        (_args("erlang-c --contacts 100 --aht 3m --target 0.8 --within soon"), "--within"),
        (_args("erlang-c --contacts 100 --per 0m --aht 3m --target 0.8 --within 20"), "--per"),
        (_args("erlang-c --contacts lots --aht 3m --target 0.8 --within 20s"), "--contacts"),
        (_args("erlang-c --contacts -5 --aht 3m --target 0.8 --within 20s"), "--contacts"),
        (_args("erlang-c --contacts 100 --aht 3m --target 1.2 --within 20s"), "--target"),
        (_args("erlang-c --contacts 100 --aht 3m --within 20s"), "--target"),
        ([*ERLANG_C, "--shrinkage", "1"], "--shrinkage"),
        ([*ERLANG_C, "--max-occupancy", "0"], "--max-occupancy"),
        ([*ERLANG_C, "--agents", "3.5"], "--agents"),
        ([*ERLANG_C, "--agents", "-1"], "--agents"),
        (["erlang-a", *ERLANG_C[1:]], "--patience"),
        (["erlang-a", *ERLANG_C[1:], "--patience", "forever"], "--patience"),
        (["erlang-b", "--traffic", "10"], "--blocking"),
        (["erlang-b", "--traffic", "10", "--blocking", "2"], "--blocking"),
        (["erlang-b", "--traffic", "inf", "--blocking", "0.01"], "--traffic"),
        (_args("backlog --work 1,x --deadline 2"), "--work"),
        (_args("backlog --work 1,-2 --deadline 2"), "--work"),
        (_args("backlog --work 1,2 --deadline 0"), "--deadline"),
        (_args("backlog --work 1,2 --deadline two"), "--deadline"),
    ],
)
def test_bad_input_exits_2_with_one_line(args: list[str], option: str) -> None:
    result = runner.invoke(staffing_app, args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    message = result.stderr.strip()
    assert "\n" not in message
    assert message.startswith(f"error: {option}:"), message
