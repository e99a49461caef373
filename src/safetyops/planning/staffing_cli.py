"""`safetyops staffing …`: Erlang C / A / B and backlog staffing calculators (no database).

Options are read as text and checked here, so a bad value names its option (`error: --aht: …`, exit code 2). The
queueing maths (NumPy) is imported when a command runs, so `--help` stays fast.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any, TypeVar

import typer

from safetyops.clikit import JSON, bad_option, show, typer_app
from safetyops.errors import InvalidInput

staffing_app = typer_app()

T = TypeVar("T")

_DURATION = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*(s|sec|m|min|h|hr)?\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"": 1.0, "s": 1.0, "sec": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, "hr": 3600.0}
_OPTION_OF_FIELD = {
    "traffic": "--traffic",
    "aht": "--aht",
    "within": "--within",
    "target_sl": "--target",
    "max_occupancy": "--max-occupancy",
    "shrinkage": "--shrinkage",
    "agents": "--agents",
    "patience": "--patience",
    "blocking": "--blocking",
    "work": "--work",
    "deadline": "--deadline",
}


def _required(raw: str | None, option: str) -> str:
    if raw is None or not raw.strip():
        bad_option(option, "is required")
    return raw


def parse_duration(raw: str) -> float:
    """Seconds in '180', '180s', '3m', '1h', '1.5m'; ValueError when unreadable."""
    match = _DURATION.match(raw)
    if not match:
        raise ValueError(raw)
    return float(match.group(1)) * _UNIT_SECONDS[(match.group(2) or "").lower()]


def _duration(raw: str | None, option: str) -> float:
    text = _required(raw, option)
    try:
        seconds = parse_duration(text)
    except ValueError:
        bad_option(option, f"cannot read {text!r} as a duration (e.g. 180, 180s, 3m, 1h)")
    if seconds <= 0 and option != "--within":
        bad_option(option, "must be longer than 0")
    return seconds


def _parse(raw: str | None, option: str, kind: Callable[[str], T], what: str) -> T:
    text = _required(raw, option)
    try:
        value = kind(text.strip())
    except ValueError:
        bad_option(option, f"cannot read {text!r} as a {what}")
    if isinstance(value, float) and not math.isfinite(value):
        bad_option(option, "must be a finite number")
    return value


def _number(raw: str | None, option: str) -> float:
    return _parse(raw, option, float, "number")


def _whole(raw: str | None, option: str) -> int:
    return _parse(raw, option, int, "whole number")


def _run(compute: Callable[[], T]) -> T:
    try:
        return compute()
    except InvalidInput as exc:
        field = exc.problems[0].field if exc.problems else None
        option = _OPTION_OF_FIELD.get(field or "", "input")
        message = exc.problems[0].message if exc.problems else exc.message
        bad_option(option, message)


def _round(value: Any) -> Any:
    """Floats to 10 decimals in JSON, so float noise (0.30000000000000004) does not reach scripts."""
    return round(value, 10) if isinstance(value, float) and math.isfinite(value) else value


def _show(title: str, rows: dict[str, Any], as_json: bool) -> None:
    show(
        {k: _round(v) for k, v in rows.items()} if as_json else rows,
        as_json,
        headers={k: k.replace("_", " ") for k in rows},
        title=title,
        digits=5,
    )


def _traffic(contacts: str | None, per: str | None, aht_s: float) -> tuple[float, float]:
    volume = _number(contacts, "--contacts")
    if volume < 0:
        bad_option("--contacts", "must be >= 0")
    period = _duration(per, "--per")
    return volume, volume * aht_s / period


ContactsOpt = typer.Option(None, "--contacts", metavar="NUMBER", help="Contacts (items) arriving per --per.")
PerOpt = typer.Option("30m", "--per", metavar="DURATION", help="Interval the contacts arrive in.")
AhtOpt = typer.Option(None, "--aht", metavar="DURATION", help="Average handling time, e.g. 180s or 3m.")
TargetOpt = typer.Option(None, "--target", metavar="FRACTION", help="Service-level target, e.g. 0.8.")
WithinOpt = typer.Option(None, "--within", metavar="DURATION", help="Answer-time threshold, e.g. 20s.")
AgentsOpt = typer.Option(None, "--agents", metavar="N", help="Evaluate this many agents instead of solving.")
OccOpt = typer.Option(None, "--max-occupancy", metavar="FRACTION", help="Cap on occupancy, e.g. 0.85.")
ShrinkOpt = typer.Option("0", "--shrinkage", metavar="FRACTION", help="Share of paid time not on queue.")


@staffing_app.command("erlang-c")
def erlang_c_cmd(
    contacts: str | None = ContactsOpt,
    per: str = PerOpt,
    aht: str | None = AhtOpt,
    target: str | None = TargetOpt,
    within: str | None = WithinOpt,
    agents: str | None = AgentsOpt,
    max_occupancy: str | None = OccOpt,
    shrinkage: str = ShrinkOpt,
    as_json: bool = JSON,
) -> None:
    """Agents for a service level with Erlang C (M/M/N: nobody hangs up).

    Example: safetyops staffing erlang-c --contacts 100 --per 30m --aht 180s --target 0.8 --within 20s
    """
    from safetyops.planning import erlang

    aht_s = _duration(aht, "--aht")
    volume, traffic = _traffic(contacts, per, aht_s)
    within_s = _duration(within, "--within")
    shrink = _number(shrinkage, "--shrinkage")
    n = None if agents is None else _whole(agents, "--agents")
    if n is None:
        goal = _number(target, "--target")
        cap = None if max_occupancy is None else _number(max_occupancy, "--max-occupancy")
        r = _run(lambda: erlang.staff_erlang_c(traffic, aht_s, goal, within_s, cap, shrink))
    else:
        r = _run(lambda: erlang.evaluate_erlang_c(n, traffic, aht_s, within_s, shrink))
    rows = {
        "traffic_erlangs": traffic,
        "agents": r.agents,
        "rostered": r.rostered,
        "service_level": r.service_level,
        "within_s": within_s,
        "p_wait": r.p_wait,
        "asa_s": r.asa,
        "occupancy": r.occupancy,
    }
    _show(f"Erlang C: {volume:g} contacts per {per}", rows, as_json)


@staffing_app.command("erlang-a")
def erlang_a_cmd(
    contacts: str | None = ContactsOpt,
    per: str = PerOpt,
    aht: str | None = AhtOpt,
    target: str | None = TargetOpt,
    within: str | None = WithinOpt,
    patience: str | None = typer.Option(
        None, "--patience", metavar="DURATION", help="Mean time a waiting contact stays before leaving."
    ),
    agents: str | None = AgentsOpt,
    max_occupancy: str | None = OccOpt,
    shrinkage: str = ShrinkOpt,
    as_json: bool = JSON,
) -> None:
    """Agents for a service level with Erlang A (M/M/N+M: waiting contacts abandon).

    Service level = share of ALL arrivals answered within --within; abandoned ones count as missed.

    Example: safetyops staffing erlang-a --contacts 100 --per 30m --aht 180s --target 0.8 --within 20s
    --patience 5m
    """
    from safetyops.planning import erlang

    aht_s = _duration(aht, "--aht")
    volume, traffic = _traffic(contacts, per, aht_s)
    within_s = _duration(within, "--within")
    patience_s = _duration(patience, "--patience")
    shrink = _number(shrinkage, "--shrinkage")
    n = None if agents is None else _whole(agents, "--agents")
    if n is None:
        goal = _number(target, "--target")
        cap = None if max_occupancy is None else _number(max_occupancy, "--max-occupancy")
        r = _run(lambda: erlang.staff_erlang_a(traffic, aht_s, patience_s, goal, within_s, cap, shrink))
    else:
        r = _run(lambda: erlang.erlang_a(n, traffic, aht_s, patience_s, within_s, shrink))
    rows = {
        "traffic_erlangs": traffic,
        "agents": r.agents,
        "rostered": r.rostered,
        "service_level": r.service_level,
        "within_s": within_s,
        "p_wait": r.p_wait,
        "p_abandon": r.p_abandon,
        "asa_s": r.asa,
        "mean_wait_s": r.mean_wait,
        "occupancy": r.occupancy,
    }
    _show(f"Erlang A: {volume:g} contacts per {per}, patience {patience_s:g} s", rows, as_json)


@staffing_app.command("erlang-b")
def erlang_b_cmd(
    traffic: str | None = typer.Option(None, "--traffic", metavar="ERLANGS", help="Offered traffic."),
    blocking: str | None = typer.Option(
        None, "--blocking", metavar="FRACTION", help="Largest acceptable blocking, e.g. 0.01."
    ),
    agents: str | None = typer.Option(None, "--agents", metavar="N", help="Evaluate this many servers."),
    as_json: bool = JSON,
) -> None:
    """Servers for a blocking target with Erlang B (M/M/N/N: blocked work is lost).

    Example: safetyops staffing erlang-b --traffic 10 --blocking 0.01
    """
    from safetyops.planning import erlang

    load = _number(traffic, "--traffic")
    n = None if agents is None else _whole(agents, "--agents")
    if n is None:
        goal = _number(blocking, "--blocking")
        r = _run(lambda: erlang.staff_erlang_b(load, goal))
    else:
        r = erlang.ErlangBResult(n, load, _run(lambda: erlang.erlang_b(n, load)))
    rows = {"traffic_erlangs": load, "agents": r.agents, "blocking": r.blocking}
    if r.agents:
        rows["occupancy"] = load * (1 - r.blocking) / r.agents
    _show("Erlang B", rows, as_json)


def _work_list(raw: str | None) -> list[float]:
    text = _required(raw, "--work")
    try:
        return [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        bad_option("--work", f"cannot read {text!r} as comma-separated numbers, e.g. 300,375,350")


@staffing_app.command("backlog")
def backlog_cmd(
    work: str | None = typer.Option(None, "--work", metavar="W1,W2,…", help="Work arriving in each slot."),
    deadline: str | None = typer.Option(None, "--deadline", metavar="SLOTS", help="Slots allowed per item."),
    slot: str = typer.Option("slot", "--slot", help="Name of one slot (day, hour, …) for the output."),
    as_json: bool = JSON,
) -> None:
    """Least constant capacity that clears each slot's work within --deadline slots.

    Example: safetyops staffing backlog --work 300,375,350 --deadline 2 --slot day
    """
    from safetyops.planning import backlog

    amounts = _work_list(work)
    slots = _whole(deadline, "--deadline")
    plan = _run(lambda: backlog.plan_backlog(amounts, slots))
    rows: dict[str, Any] = {f"capacity_per_{slot}": plan.capacity, "deadline_slots": slots, "late": plan.late}
    rows |= {"processed": [_round(float(x)) for x in plan.processed]}
    rows |= {"backlog": [_round(float(x)) for x in plan.backlog]}
    _show(f"Backlog: deadline {slots} {slot}(s)", rows, as_json)
    if not as_json:
        schedule = [
            {
                slot: i + 1,
                "arrives": float(plan.work[i]) if i < plan.work.size else 0.0,
                "processed": float(done),
                "backlog": float(plan.backlog[i]),
            }
            for i, done in enumerate(plan.processed)
        ]
        show(schedule, False, title="schedule")
