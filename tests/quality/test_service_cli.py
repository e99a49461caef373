"""`safetyops quality …` commands over the database (the engine fixture is the process-wide engine)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from safetyops.cli import app
from tests.quality.test_service import QWorld, world  # noqa: F401  (fixture)

runner = CliRunner()


def test_quality_commands(world: QWorld, tmp_path: Path) -> None:  # noqa: F811
    pid = str(world.project_id)
    rep = runner.invoke(
        app, ["quality", "report", "--project", pid, "--from", "2026-11-20", "--to", "2026-11-21", "--json"]
    )
    assert rep.exit_code == 0, rep.output
    data = json.loads(rep.stdout)
    assert data["n_labels"] == 34 and data["accuracy"]["overall"]["correct"] == 11
    table = runner.invoke(app, ["quality", "report", "--project", pid])
    assert table.exit_code == 0 and "Krippendorff" in table.stdout and "per vendor" in table.stdout
    agg = runner.invoke(app, ["quality", "aggregate", "-p", pid, "--method", "mv", "--tie", "severity", "--json"])
    assert agg.exit_code == 0 and json.loads(agg.stdout)["n_items"] == 10
    acc = runner.invoke(app, ["quality", "accuracy", "-p", pid, "--against", "final", "--by", "vendor", "--json"])
    assert acc.exit_code == 0 and len(json.loads(acc.stdout)["groups"]) == 2
    agree = runner.invoke(app, ["quality", "agreement", "-p", pid])
    assert agree.exit_code == 0 and "pairwise" in agree.stdout
    plan = runner.invoke(app, ["quality", "qa-plan", "-p", pid, "--day", "2026-11-21", "--mode", "margin", "--json"])
    assert plan.exit_code == 0 and len(json.loads(plan.stdout)["labelers"]) == 4
    bad = tmp_path / "preds.csv"
    bad.write_text("external_id,policy,score\ni1,harassment.abuse,0.2\nzzz,harassment.abuse,0.4\n")
    refused = runner.invoke(app, ["quality", "model-import", "-p", pid, "--file", str(bad)])
    assert refused.exit_code == 2 and "preds.csv:3 external_id:" in refused.stderr
    bad.write_text("external_id,policy,score\ni1,harassment.abuse,0.2\ni2,harassment.abuse,0.9\n")
    done = runner.invoke(app, ["quality", "model-import", "-p", pid, "--file", str(bad), "--name", "m1"])
    assert done.exit_code == 0 and "model run" in done.stdout
    run_id = done.stdout.split("model run")[1].split()[0]
    ev = runner.invoke(app, ["quality", "model-eval", "--run", run_id, "--json"])
    assert ev.exit_code == 0 and json.loads(ev.stdout)["policies"][0]["n_compared"] == 2
    assert runner.invoke(app, ["quality", "report", "--project", "no such project"]).exit_code == 1  # not found
    assert runner.invoke(app, ["quality", "report", "--project", pid, "--from", "yesterday"]).exit_code == 2


def test_quality_aggregate_takes_the_smoothing(world: QWorld) -> None:  # noqa: F811
    pid = str(world.project_id)
    plain = runner.invoke(app, ["quality", "aggregate", "-p", pid, "--method", "ds", "--smoothing", "0", "--json"])
    assert plain.exit_code == 0, plain.output
    assert json.loads(plain.stdout)["smoothing"] == 0.0
    refused = runner.invoke(app, ["quality", "aggregate", "-p", pid, "--method", "ds", "--smoothing", "-1"])
    assert refused.exit_code == 2 and "smoothing" in refused.stderr
