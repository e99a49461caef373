"""The command-line toolkit: help that imports no heavy library, every command's help, one error path, one printer."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from typing import Any

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from safetyops.cli import COMMANDS, Root, app
from safetyops.clikit import SafeGroup, report, show
from safetyops.errors import InvalidInput, NotFound, Problem

# What a --help must not import: the libraries that made `safetyops --help` take ~3 s of CPU, and pydantic, which
# Typer imports to coerce a group's unset flags unless clikit.SafeGroup sets them to False.
HEAVY = (
    *("numpy", "scipy", "sqlalchemy", "sqlalchemy.orm", "pyarrow", "fastapi", "pandas", "openpyxl", "uvicorn"),
    "pydantic",
)

PROBE = """
import json, sys
from safetyops.cli import app
heavy = {heavy!r}
for args in {runs!r}:
    app(args, prog_name="safetyops", standalone_mode=False)
    loaded = sorted(m for m in heavy if m in sys.modules)
    if loaded:
        print(json.dumps({{"args": args, "loaded": loaded}}))
        break
else:
    print(json.dumps({{"args": None, "loaded": []}}))
"""


def _probe(runs: list[list[str]]) -> dict[str, Any]:
    """Run each --help in one fresh interpreter; the first that imported a heavy module, and which."""
    code = PROBE.format(heavy=HEAVY, runs=runs)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _leaves(command: Any, path: list[str]) -> Iterator[list[str]]:
    if not hasattr(command, "commands"):
        yield path
        return
    names = command.list_commands(None) if isinstance(command, Root) else list(command.commands)
    for name in names:
        yield from _leaves(command.get_command(None, name), [*path, name])


def _groups(command: Any) -> Iterator[Any]:
    if hasattr(command, "commands"):
        yield command
        names = command.list_commands(None) if isinstance(command, Root) else list(command.commands)
        for name in names:
            yield from _groups(command.get_command(None, name))


def _every_command() -> list[list[str]]:
    return list(_leaves(typer.main.get_command(app), []))


def test_top_level_help_imports_no_area_and_no_heavy_library() -> None:
    assert _probe([["--help"]]) == {"args": None, "loaded": []}


def test_no_help_imports_a_heavy_library() -> None:
    """Every area's --help and every command's --help: the area's cli module loads, its libraries do not."""
    runs = [[name, "--help"] for name in COMMANDS] + [[*path, "--help"] for path in _every_command()]
    assert _probe(runs) == {"args": None, "loaded": []}


def test_every_registered_command_answers_help_with_an_example() -> None:
    runner = CliRunner()
    paths = _every_command()
    assert {p[0] for p in paths} == set(COMMANDS)
    assert len(paths) >= 60
    for path in paths:
        result = runner.invoke(app, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        assert "Example" in result.output, path


def test_top_level_help_lists_every_command_with_its_registered_help() -> None:
    out = CliRunner().invoke(app, ["--help"]).output
    for name, entry in COMMANDS.items():
        assert name in out and entry.help.split()[0] in out, name


def test_every_group_reports_errors_the_one_way() -> None:
    """Every group is a SafeGroup, so an area app invoked on its own reports errors like the whole command."""
    groups = list(_groups(typer.main.get_command(app)))
    assert len(groups) > len([e for e in COMMANDS.values() if e.target.endswith("_app")])
    assert all(isinstance(g, SafeGroup) for g in groups)


def test_a_mistyped_command_is_a_usage_error_with_a_suggestion() -> None:
    result = CliRunner().invoke(app, ["qualty"])
    assert result.exit_code == 2 and "Did you mean 'quality'" in result.output


def test_report_prints_message_then_located_problems_and_picks_the_exit_code(
    capsys: pytest.CaptureFixture[str],
) -> None:
    bad = InvalidInput(
        "2 problems in items.csv; nothing was imported",
        [Problem("expects a whole number", field="priority", line=2, file="items.csv"), Problem("no text", line=3)],
    )
    assert report(bad) == 2
    assert capsys.readouterr().err.splitlines() == [
        "error: 2 problems in items.csv; nothing was imported",
        "  items.csv:2 priority: expects a whole number",
        "  line 3: no text",
    ]
    assert report(NotFound("no project 'x'")) == 1
    assert capsys.readouterr().err == "error: no project 'x'\n"
    many = InvalidInput("too many", [Problem(f"p{i}", line=i) for i in range(50)])
    report(many)
    assert "(the first 50 are shown; the total is above)" in capsys.readouterr().err


def test_show_prints_the_same_columns_as_table_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    rows = [
        {"id": 1, "name": "[bold]x[/]", "rate": 0.123456, "day": date(2026, 11, 30), "n": np.int64(3)},
        {"id": 2, "name": "y", "rate": math.nan, "day": None, "n": np.int64(4)},
    ]
    show(rows, True)
    assert json.loads(capsys.readouterr().out) == [
        {"id": 1, "name": "[bold]x[/]", "rate": 0.123456, "day": "2026-11-30", "n": 3},
        {"id": 2, "name": "y", "rate": None, "day": None, "n": 4},
    ]
    show(rows, False, title="t")
    table = capsys.readouterr().out
    assert all(column in table for column in ("id", "name", "rate", "day", "n"))
    assert "[bold]x[/]" in table  # data, never Rich markup
    assert "0.1235" in table and "2026-11-30" in table and "—" in table
    show({"agents": 14, "asa_s": math.inf, "rows": [1, 2]}, True)
    assert json.loads(capsys.readouterr().out) == {"agents": 14, "asa_s": None, "rows": [1, 2]}
    show({"agents": 14, "asa_s": math.inf, "rows": [1, 2]}, False, headers={"asa_s": "asa s"})
    record = capsys.readouterr().out
    assert "asa s" in record and "∞" in record and "rows" not in record
