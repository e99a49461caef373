"""`safetyops requests …`: labeling requests, their evaluation and decisions."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.text import Text

from safetyops.auth.principal import SYSTEM
from safetyops.clikit import JSON, console, parse_day, print_json, say, show, typer_app
from safetyops.errors import NotFound, Problem
from safetyops.intake.enums import Outcome

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from safetyops.auth.principal import Principal
    from safetyops.intake.models import LabelingRequest

requests_app = typer_app()

# The variable's name is intake.service.RULES_ENV (tests/intake check that this help names it).
RULES = typer.Option(None, "--rules", help="Rules YAML (default: $SAFETYOPS_INTAKE_RULES, else the shipped defaults).")
AS_USER = typer.Option(None, "--as", help="Username acting (recorded in the audit log).")
_STYLE = {"pass": "green", "warn": "yellow", "fail": "red"}


def _actor(session: Session, username: str | None) -> Principal:
    """The command line acts as the system, or as the user `--as` names (with that user's rights)."""
    from sqlalchemy import select

    from safetyops.auth.models import User
    from safetyops.auth.service import principal_for_user

    if username is None:
        return SYSTEM
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"no user '{username}'", [Problem("unknown user", field="--as")])
    return principal_for_user(session, user)


def _as_dict(session: Session, request: LabelingRequest) -> dict[str, Any]:
    from safetyops.intake import service

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


def _verdict(verdict: str) -> Text:
    return Text(verdict, style=_STYLE.get(verdict, ""))


def _print(session: Session, request: LabelingRequest, as_json: bool) -> None:
    if as_json:
        print_json(_as_dict(session, request))
        return
    console.print(
        Text.assemble(
            (f"request {request.id}", "bold"),
            f": {request.title} — status ",
            (str(request.status), "bold"),
            ", evaluation ",
            _verdict(request.verdict),
        )
    )
    rows = [{"rule": r["rule"], "verdict": _verdict(r["verdict"]), "reason": r["reason"]} for r in request.evaluation]
    show(rows, False, columns=["rule", "verdict", "reason"])


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
    """Print an example request YAML with every field explained.  Example: safetyops requests example > req.yaml"""
    typer.echo(EXAMPLE, nl=False)


@requests_app.command("file")
def file_cmd(
    file: Path = typer.Option(..., "--file", "-f", help="Request YAML (see `safetyops requests example`)."),
    as_user: str | None = AS_USER,
    rules_file: Path | None = RULES,
    as_json: bool = JSON,
) -> None:
    """File a request from YAML and print its evaluation.  Example: safetyops requests file --file request.yaml"""
    from safetyops.db.engine import session_scope
    from safetyops.intake import service

    spec = service.load_request_file(file)
    cfg = service.load_rules(rules_file)
    with session_scope() as session:
        request = service.file_request(session, _actor(session, as_user), spec, cfg)
        _print(session, request, as_json)


@requests_app.command("list")
def list_cmd(as_json: bool = JSON) -> None:
    """List every request with its status and evaluation verdict.  Example: safetyops requests list --json

    JSON: one object per request with its evaluation and decisions.
    """
    from safetyops.db.engine import session_scope
    from safetyops.intake import service

    with session_scope() as session:
        rows = service.list_requests(session, SYSTEM)
        if as_json:
            print_json([_as_dict(session, r) for r in rows])
            return
        table = [
            {
                "id": r.id,
                "title": r.title,
                "purpose": r.purpose,
                "status": r.status,
                "verdict": _verdict(r.verdict),
                "FTE": None if r.fte_needed is None else f"{r.fte_needed:.1f}",
                "project": r.project_id,
            }
            for r in rows
        ]
    show(table, False, columns=["id", "title", "purpose", "status", "verdict", "FTE", "project"])


@requests_app.command("show")
def show_cmd(request_id: int, as_json: bool = JSON) -> None:
    """A request's evaluation and decisions.  Example: safetyops requests show 3"""
    from safetyops.db.engine import session_scope
    from safetyops.intake import service

    with session_scope() as session:
        _print(session, service.read_request(session, SYSTEM, request_id), as_json)


@requests_app.command("evaluate")
def evaluate_cmd(
    request_id: int, as_user: str | None = AS_USER, rules_file: Path | None = RULES, as_json: bool = JSON
) -> None:
    """Run the rules again against today's roster and commitments.  Example: safetyops requests evaluate 3"""
    from safetyops.db.engine import session_scope
    from safetyops.intake import service

    cfg = service.load_rules(rules_file)
    with session_scope() as session:
        request = service.reevaluate(session, _actor(session, as_user), request_id, cfg)
        _print(session, request, as_json)


@requests_app.command("decide")
def decide_cmd(
    request_id: int,
    outcome: Outcome = typer.Option(..., "--outcome", help="accept | accept_with_conditions | reject | need_info"),
    note: str = typer.Option(..., "--note", help="Why; the requester reads it."),
    deadline: str | None = typer.Option(None, "--deadline", help="Condition: a later deadline (YYYY-MM-DD)."),
    overlap: int | None = typer.Option(None, "--overlap", help="Condition: a lower overlap."),
    volume: int | None = typer.Option(None, "--volume", help="Condition: a lower volume."),
    as_user: str | None = AS_USER,
    rules_file: Path | None = RULES,
) -> None:
    """Decide on a request; accepting creates its project.

    Example: safetyops requests decide 3 --outcome accept_with_conditions --deadline 2027-03-31 --note "needs hiring"
    """
    from safetyops.db.engine import session_scope
    from safetyops.intake import service
    from safetyops.intake.schemas import Conditions, DecisionIn

    due = None if deadline is None else parse_day(deadline, "--deadline")
    conditions = Conditions(deadline=due, overlap=overlap, volume=volume)
    body = DecisionIn(outcome=outcome, note=note, conditions=None if conditions.is_empty() else conditions)
    cfg = service.load_rules(rules_file)
    with session_scope() as session:
        row = service.decide(session, _actor(session, as_user), request_id, body, cfg)
        extra = f"; project {row.project_id} created" if row.project_id else ""
        say(f"request {request_id}: {row.outcome}{extra}")


@requests_app.command("rules")
def rules_cmd(
    show_rules: bool = typer.Option(
        False, "--show", help="Print the rules YAML (the shipped defaults unless --rules)."
    ),
    rules_file: Path | None = RULES,
) -> None:
    """Check a rules file, or print the documented defaults.  Example: safetyops requests rules --show"""
    from safetyops.intake import rules, service

    if show_rules and rules_file is None:
        typer.echo(rules.default_rules_text())
        return
    cfg = service.load_rules(rules_file)  # checks the file: every problem with its line and field
    if show_rules and rules_file is not None:
        typer.echo(rules_file.read_text(encoding="utf-8"))
        return
    say(f"rules OK: {len(cfg.scope.known_policies)} known policies")
