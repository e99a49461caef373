"""`safetyops requests …`: labeling requests, their evaluation and decisions."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import typer
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from safetyops.auth.models import User
from safetyops.auth.principal import SYSTEM, Principal
from safetyops.auth.service import principal_for_user
from safetyops.cli_support import console, friendly_errors
from safetyops.db.engine import session_scope
from safetyops.errors import InvalidInput, NotFound, Problem
from safetyops.intake import rules, service
from safetyops.intake.enums import Outcome
from safetyops.intake.models import LabelingRequest
from safetyops.intake.schemas import Conditions, DecisionIn

requests_app = typer.Typer(help="Labeling requests: file, evaluate, decide.", no_args_is_help=True)

RulesOpt = typer.Option(None, "--rules", help=f"Rules YAML (default: ${service.RULES_ENV}, else the shipped defaults).")
AsOpt = typer.Option(None, "--as", help="Username acting (recorded in the audit log).")
JsonOpt = typer.Option(False, "--json", help="Print JSON instead of a table.")
_STYLE = {"pass": "green", "warn": "yellow", "fail": "red"}


def _actor(session: Session, username: str | None) -> Principal:
    """The command line acts as the system, or as the user `--as` names (with that user's rights)."""
    if username is None:
        return SYSTEM
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"no user '{username}'", [Problem("unknown user", field="--as")])
    return principal_for_user(session, user)


def _as_dict(session: Session, request: LabelingRequest) -> dict[str, Any]:
    return {
        "id": request.id,
        "title": request.title,
        "status": request.status,
        "verdict": request.verdict,
        "fte_needed": request.fte_needed,
        "project_id": request.project_id,
        "evaluation": request.evaluation,
        "decisions": [
            {"outcome": d.outcome, "note": d.note, "conditions": d.conditions, "project_id": d.project_id}
            for d in service.decisions_of(session, request.id)
        ],
    }


def _print(session: Session, request: LabelingRequest, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(_as_dict(session, request)))
        return
    console.print(
        f"[bold]request {request.id}[/]: {request.title} — status [bold]{request.status}[/], "
        f"evaluation [{_STYLE.get(request.verdict, 'white')}]{request.verdict}[/]",
        highlight=False,
    )
    table = Table("rule", "verdict", "reason")
    for r in request.evaluation:
        table.add_row(r["rule"], f"[{_STYLE[r['verdict']]}]{r['verdict']}[/]", r["reason"])
    console.print(table)


EXAMPLE = """\
# A labeling request. Required: title, purpose, policies, markets, languages, volume, deadline, handling_time_s.
title: Bangla hate speech evaluation set
purpose: evaluation            # training | evaluation | monitoring
policies: [hate_speech, harassment]   # must be in the rules' scope.known_policies
markets: [BD]
languages: [bn]
modality: text                 # text | image | video | audio | multimodal
volume: 20000                  # items to label by the deadline
start: 2027-01-04              # optional; default: the day it is filed
deadline: 2027-02-26
term: short                    # short | long (long needs monthly_volume: items per month after the deadline)
overlap: 3                     # labelers per item
gold_rate: 0.05                # optional; default from the rules file
qa_rate: 0.05                  # optional; default from the rules file
quality_target: 0.9
sensitivity: [graphic_violence]   # minors | sexual_content | graphic_violence | personal_data
data_region: EU                # optional; only vendors with this region in data_regions
handling_time_s: 30            # estimated seconds per item (measured times replace it once labels exist)
redaction: false               # personal data redacted before labeling
# taxonomy: {questions: [...]} # optional; default: one violating / not violating question per policy
# live_queue: {arrivals_per_hour: 200, target_sl: 0.8, within_s: 300, patience_s: 3600}  # monitoring queues
"""


@requests_app.command("example")
def example_cmd() -> None:
    """Print an example request YAML with every field explained."""
    typer.echo(EXAMPLE, nl=False)


@requests_app.command("file")
@friendly_errors
def file_cmd(
    file: Path = typer.Option(..., "--file", "-f", help="Request YAML (see `safetyops requests example`)."),
    as_user: str | None = AsOpt,
    rules_file: Path | None = RulesOpt,
    as_json: bool = JsonOpt,
) -> None:
    """File a request from YAML and print its evaluation.  Example: safetyops requests file --file request.yaml"""
    spec = service.load_request_file(file)
    cfg = service.load_rules(rules_file)
    with session_scope() as session:
        request = service.file_request(session, _actor(session, as_user), spec, cfg)
        _print(session, request, as_json)


@requests_app.command("list")
@friendly_errors
def list_cmd(as_json: bool = JsonOpt) -> None:
    """List every request with its status and evaluation verdict."""
    with session_scope() as session:
        rows = service.list_requests(session, SYSTEM)
        if as_json:
            typer.echo(json.dumps([_as_dict(session, r) for r in rows]))
            return
        table = Table("id", "title", "purpose", "status", "verdict", "FTE", "project")
        for r in rows:
            fte = "" if r.fte_needed is None else f"{r.fte_needed:.1f}"
            table.add_row(str(r.id), r.title, r.purpose, r.status, r.verdict, fte, str(r.project_id or ""))
        console.print(table)


@requests_app.command("show")
@friendly_errors
def show_cmd(request_id: int, as_json: bool = JsonOpt) -> None:
    """A request's evaluation and decisions."""
    with session_scope() as session:
        _print(session, service.read_request(session, SYSTEM, request_id), as_json)


@requests_app.command("evaluate")
@friendly_errors
def evaluate_cmd(
    request_id: int, as_user: str | None = AsOpt, rules_file: Path | None = RulesOpt, as_json: bool = JsonOpt
) -> None:
    """Run the rules again against today's roster and commitments."""
    cfg = service.load_rules(rules_file)
    with session_scope() as session:
        request = service.reevaluate(session, _actor(session, as_user), request_id, cfg)
        _print(session, request, as_json)


@requests_app.command("decide")
@friendly_errors
def decide_cmd(
    request_id: int,
    outcome: Outcome = typer.Option(..., "--outcome", help="accept | accept_with_conditions | reject | need_info"),
    note: str = typer.Option(..., "--note", help="Why; the requester reads it."),
    deadline: str | None = typer.Option(None, "--deadline", help="Condition: a later deadline (YYYY-MM-DD)."),
    overlap: int | None = typer.Option(None, "--overlap", help="Condition: a lower overlap."),
    volume: int | None = typer.Option(None, "--volume", help="Condition: a lower volume."),
    as_user: str | None = AsOpt,
    rules_file: Path | None = RulesOpt,
) -> None:
    """Decide on a request; accepting creates its project.

    Example: safetyops requests decide 3 --outcome accept_with_conditions --deadline 2027-03-31 --note "needs hiring"
    """
    try:
        due = None if deadline is None else date.fromisoformat(deadline)
    except ValueError:
        raise InvalidInput(
            "bad date", [Problem(f"cannot read {deadline!r} as YYYY-MM-DD", field="--deadline")]
        ) from None
    conditions = Conditions(deadline=due, overlap=overlap, volume=volume)
    body = DecisionIn(outcome=outcome, note=note, conditions=None if conditions.is_empty() else conditions)
    cfg = service.load_rules(rules_file)
    with session_scope() as session:
        row = service.decide(session, _actor(session, as_user), request_id, body, cfg)
        extra = f"; project {row.project_id} created" if row.project_id else ""
        console.print(f"request {request_id}: {row.outcome}{extra}")


@requests_app.command("rules")
@friendly_errors
def rules_cmd(
    show: bool = typer.Option(False, "--show", help="Print the rules YAML (the shipped defaults unless --rules)."),
    rules_file: Path | None = RulesOpt,
) -> None:
    """Check a rules file, or print the documented defaults.  Example: safetyops requests rules --show"""
    if rules_file is None and show:
        typer.echo(rules.default_rules_text())
        return
    cfg = service.load_rules(rules_file)
    if show:
        assert rules_file is not None
        typer.echo(rules_file.read_text(encoding="utf-8"))
    else:
        console.print(f"rules OK: {len(cfg.scope.known_policies)} known policies")
