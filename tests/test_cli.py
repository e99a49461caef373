"""The command line on a real database file: demo, users, tokens, projects from YAML and its errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from safetyops.cli import app
from safetyops.config import get_settings
from safetyops.db import engine as engine_module

EXAMPLE = Path(__file__).parent.parent / "examples" / "project.yaml"


@pytest.fixture
def cli_db(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("SAFETYOPS_DATABASE_URL", db_url)
    get_settings.cache_clear()
    engine_module._engine = None
    yield db_url
    if engine_module._engine is not None:
        engine_module._engine.dispose()
    engine_module._engine = None
    get_settings.cache_clear()


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def test_demo_users_tokens_and_projects(cli_db: str) -> None:
    code, out = run("demo")
    assert code == 0, out
    assert "4059 items" in out and "CC BY 4.0" in out
    code, out = run("demo")
    assert code == 0 and "already loaded" in out
    code, out = run("users", "create", "maria", "--role", "ops_manager", "--password", "long-enough")
    assert code == 0, out
    code, out = run("users", "create", "maria", "--role", "ops_manager", "--password", "long-enough")
    assert code == 1 and "already exists" in out  # a conflict, not bad input: exit code 1
    code, out = run("tokens", "create", "maria")
    assert code == 0 and "so_" in out
    code, out = run("projects", "create", "--file", str(EXAMPLE))
    assert code == 0, out
    code, out = run("projects", "list")
    assert code == 0 and "ConvAbuse demo" in out and "Bengali" in out


def test_project_file_errors_name_file_line_and_field(cli_db: str, tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: x\ntaxonomy: [unclosed\n")
    code, out = run("projects", "create", "--file", str(broken))
    assert code == 2 and "broken.yaml:3" in out  # file:line
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text("name: x\noverlap: 0\ntaxonomy:\n  questions: []\n")
    code, out = run("projects", "create", "--file", str(wrong))
    assert code == 2 and "overlap" in out and "taxonomy.questions" in out


def test_every_command_has_help_with_an_example() -> None:
    for group in ("users", "tokens", "vendors", "labelers", "projects", "db"):
        code, out = run(group, "--help")
        assert code == 0, group
    for cmd in (["serve"], ["demo"], ["projects", "create"], ["users", "create"], ["labelers", "create"]):
        code, out = run(*cmd, "--help")
        assert code == 0 and "Example" in out, cmd


def test_positional_project_is_a_deprecated_alias_of_dash_p(cli_db: str) -> None:
    """The form before -p/--project still works for one release, with a note on stderr."""
    runner = CliRunner()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    created = runner.invoke(app, ["projects", "create", "--file", str(EXAMPLE)])
    assert created.exit_code == 0, created.output
    new = runner.invoke(app, ["projects", "expire-leases", "-p", "1"])
    assert new.exit_code == 0 and "slots returned" in new.stdout and new.stderr == ""
    old = runner.invoke(app, ["projects", "expire-leases", "1"])
    assert old.exit_code == 0 and old.stdout == new.stdout
    assert "deprecated" in old.stderr and "safetyops projects expire-leases -p 1" in old.stderr
    old = runner.invoke(app, ["projects", "set", "1", "--status", "paused"])
    assert old.exit_code == 0 and "project 1 updated" in old.stdout and "deprecated" in old.stderr
    by_name = runner.invoke(app, ["projects", "list", "--json"])
    name = json.loads(by_name.stdout)[0]["name"]
    assert json.loads(by_name.stdout)[0]["status"] == "paused"
    old = runner.invoke(app, ["projects", "add-vendor", name, "nobody"])  # two positionals: project, then vendor
    assert old.exit_code == 1 and "no vendor 'nobody'" in old.stderr and "deprecated" in old.stderr
    missing = runner.invoke(app, ["projects", "expire-leases"])
    assert missing.exit_code == 2 and "--project" in missing.output and "deprecated" not in missing.output
