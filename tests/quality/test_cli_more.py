"""`safetyops quality` commands for the expert review queue, QA scores and disputes, and calibration sessions
(on SQLite and PostgreSQL, over the quality test world)."""

from __future__ import annotations

import json

from sqlalchemy.orm import Session
from typer.testing import CliRunner

from safetyops.cli import app
from safetyops.quality import calibration, review, service
from tests.quality.test_service import DAY2, QWorld, world  # noqa: F401  (fixture)

runner = CliRunner()


def _ok(args: list[str]) -> str:
    res = runner.invoke(app, ["quality", *args])
    assert res.exit_code == 0, (res.stdout, res.stderr)
    return res.stdout


def _qa_with_dispute(qw: QWorld) -> None:
    """Three verdicts by qa1 (technical, false positive, correct); the false positive disputed, not decided."""
    qa1 = qw.principal("qa1")
    verdicts = []
    with Session(qw.engine) as s, s.begin():
        review.create_plan(s, qa1, qw.project_id, DAY2, seed=1)
        for kind in ("technical", "false_positive", "correct"):
            task = review.next_review(s, qa1, qw.project_id)
            assert task is not None
            review.submit_answer(s, qa1, task["task_id"], {"abuse": "1"})
            if kind == "correct":
                verdicts.append(review.submit_verdict(s, qa1, task["task_id"], correct=True))
            else:
                verdicts.append(review.submit_verdict(s, qa1, task["task_id"], correct=False, error_type=kind))
    fp = verdicts[1]
    labeler = next(n for n, i in qw.labelers.items() if i == fp["labeler_id"])
    with Session(qw.engine) as s, s.begin():
        review.open_dispute(s, qw.principal(labeler), fp["verdict_id"], "the context was a joke")


def test_review_queue_and_decide(world: QWorld) -> None:  # noqa: F811
    pid = str(world.project_id)
    with Session(world.engine) as s, s.begin():
        service.run_aggregation(s, world.principal("ops"), world.project_id, method="mv", date_from=DAY2)
    rows = json.loads(_ok(["review-queue", "-p", pid, "--json"]))
    assert [(r["item_id"], r["reason"]) for r in rows] == [(world.items["i4"], "tie")]
    assert "i4" in _ok(["review-queue", "-p", pid]) and "tie" in _ok(["review-queue", "-p", pid])
    rid = str(rows[0]["review_id"])
    bad = runner.invoke(app, ["quality", "review-decide", rid, "--label", "maybe", "--by", str(world.users["expert"])])
    assert bad.exit_code == 2 and "not among the choices" in bad.stderr
    labeler = runner.invoke(app, ["quality", "review-decide", rid, "--label", "0", "--by", str(world.users["a1"])])
    assert labeler.exit_code == 1 and "error:" in labeler.stderr  # a labeler may not decide (forbidden: exit 1)
    done = json.loads(_ok(["review-decide", rid, "--label", "-1", "--by", str(world.users["expert"]), "--json"]))
    assert done["label"] == "-1" and done["item_id"] == world.items["i4"]
    assert json.loads(_ok(["review-queue", "-p", pid, "--json"])) == []
    resolved = json.loads(_ok(["review-queue", "-p", pid, "--all", "--json"]))
    assert resolved[0]["resolved_label"] == "-1"


def test_qa_scores_and_disputes(world: QWorld) -> None:  # noqa: F811
    pid = str(world.project_id)
    _qa_with_dispute(world)
    scores = json.loads(_ok(["qa-scores", "-p", pid, "--json"]))
    assert scores["technical_excluded"] == 1
    assert (scores["overall"]["correct"], scores["overall"]["n"]) == (1, 2)
    assert sum(r["n"] for r in scores["per_labeler"]) == 2 and sum(r["n"] for r in scores["per_vendor"]) == 2
    assert all(r["ci_low"] is not None for r in scores["per_labeler"])
    text = _ok(["qa-scores", "-p", pid, "--from", "2026-11-01", "--to", "2030-01-01"])
    assert "QA score per labeler" in text and "per vendor" in text and "excluded: 1" in text
    empty = json.loads(_ok(["qa-scores", "-p", pid, "--from", "2020-01-01", "--to", "2020-01-02", "--json"]))
    assert empty["overall"]["n"] == 0
    disputes = json.loads(_ok(["qa-disputes", "-p", pid, "--json"]))
    assert len(disputes) == 1 and disputes[0]["outcome"] is None
    assert disputes[0]["verdict"]["error_type"] == "false_positive"
    text = _ok(["qa-disputes", "-p", pid])
    assert "open" in text and "joke" in text


def test_calibration_create_and_results(world: QWorld) -> None:  # noqa: F811
    pid = str(world.project_id)
    disputed = json.loads(
        _ok(["calibration-create", "-p", pid, "--most-disputed", "2", "--from", "2026-11-21", "--name", "d", "--json"])
    )
    assert disputed["source"] == "disputed" and disputed["item_ids"][0] == world.items["i4"]
    items = f"{world.items['i1']},{world.items['i4']}"
    text = _ok(["calibration-create", "-p", pid, "--items", items, "--name", "week 47"])
    assert "manual" in text
    sid = int(text.split("calibration session")[1].split()[0])
    expert = world.principal("expert")
    with Session(world.engine) as s, s.begin():
        for name, answers in (("a1", ("1", "0")), ("b1", ("1", "-1")), ("qa1", ("1", "-3"))):
            for item, answer in zip(("i1", "i4"), answers, strict=True):
                calibration.submit_answer(s, world.principal(name), sid, world.items[item], answer)
        calibration.key_item(s, expert, sid, world.items["i1"], "1")
        calibration.key_item(s, expert, sid, world.items["i4"], "-1")
    res = json.loads(_ok(["calibration-results", str(sid), "--json"]))
    people = {p["user_id"]: (p["correct"], p["n"]) for p in res["people"]}
    assert people == {world.users["a1"]: (1, 2), world.users["b1"]: (2, 2), world.users["qa1"]: (1, 2)}
    assert res["items"][0]["split"] == {"0": 1, "-1": 1, "-3": 1} and res["items"][1]["agreement"] == 1.0
    assert res["group"]["percent"]["value"] is not None
    text = _ok(["calibration-results", str(sid)])
    assert "accuracy vs key" in text and "group agreement" in text and "most disagreed" in text
    assert "0: 1, -1: 1, -3: 1" in text and "100.0%" in text  # b1 matched the key on both items


def test_errors_exit_with_a_message_2_for_bad_input_1_for_the_rest(world: QWorld) -> None:  # noqa: F811
    pid = str(world.project_id)
    cases = [
        (["review-queue", "-p", "no such project"], "no project", 1),
        (["qa-scores", "-p", "no such project"], "no project", 1),
        (["qa-disputes", "-p", "no such project"], "no project", 1),
        (["calibration-create", "-p", "no such project", "--items", "1", "--name", "x"], "no project", 1),
        (["qa-scores", "-p", pid, "--from", "yesterday"], "not a date", 2),
        (["calibration-create", "-p", pid, "--name", "x"], "exactly one of", 2),
        (["calibration-create", "-p", pid, "--items", "1,x", "--name", "x"], "comma-separated", 2),
        (["calibration-create", "-p", pid, "--items", "999999999", "--name", "x"], "not in this project", 2),
        (["calibration-results", "999999999"], "no calibration session", 1),
        (["review-decide", "999999999", "--label", "1", "--by", str(world.users["expert"])], "no review item", 1),
        (["review-decide", "1", "--label", "1", "--by", "nobody-here"], "no user", 1),
    ]
    for args, message, code in cases:
        res = runner.invoke(app, ["quality", *args])
        assert res.exit_code == code, (args, res.stdout, res.stderr)
        assert message in res.stderr, (args, res.stderr)
        assert "Traceback" not in res.output
