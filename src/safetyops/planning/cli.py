"""`safetyops staffing …`: Erlang C / A / B and backlog staffing calculators."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from safetyops.cli_support import friendly_errors
from safetyops.db.engine import session_scope
from safetyops.errors import InvalidInput, Problem
from safetyops.planning import backlog, erlang, plans
from safetyops.planning import service as plan_service
from safetyops.planning.plan_xlsx import write_plan_xlsx

staffing_app = typer.Typer(help="Staffing calculators (queueing maths).", no_args_is_help=True)

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

JSON_HELP = "Print one JSON object instead of a table."


def _die(option: str, message: str) -> NoReturn:
    typer.echo(f"Error: {option}: {message}", err=True)
    raise typer.Exit(2)


def _required(raw: str | None, option: str) -> str:
    if raw is None or not raw.strip():
        _die(option, "is required")
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
        _die(option, f"cannot read {text!r} as a duration (e.g. 180, 180s, 3m, 1h)")
    if seconds <= 0 and option != "--within":
        _die(option, "must be longer than 0")
    return seconds


def _parse(raw: str | None, option: str, kind: Callable[[str], T], what: str) -> T:
    text = _required(raw, option)
    try:
        value = kind(text.strip())
    except ValueError:
        _die(option, f"cannot read {text!r} as a {what}")
    if isinstance(value, float) and not math.isfinite(value):
        _die(option, "must be a finite number")
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
        _die(option, message)


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, float):
        return round(value, 10)
    return value


def _show(title: str, rows: dict[str, Any], as_json: bool, extra: Table | None = None) -> None:
    if as_json:
        typer.echo(json.dumps({k: _clean(v) for k, v in rows.items()}))
        return
    table = Table(show_header=True)
    table.add_column("measure")
    table.add_column("value", justify="right")
    for key, value in rows.items():
        table.add_row(key.replace("_", " "), _fmt(value))
    console = Console()
    console.print(Text(title, style="bold"))
    console.print(table)
    if extra is not None:
        console.print(extra)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return "∞" if math.isinf(value) else f"{value:.5g}"
    return str(value)


def _traffic(contacts: str | None, per: str | None, aht_s: float) -> tuple[float, float]:
    volume = _number(contacts, "--contacts")
    if volume < 0:
        _die("--contacts", "must be >= 0")
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
JsonOpt = typer.Option(False, "--json", help=JSON_HELP)


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
    as_json: bool = JsonOpt,
) -> None:
    """Agents for a service level with Erlang C (M/M/N: nobody hangs up).

    Example: safetyops staffing erlang-c --contacts 100 --per 30m --aht 180s --target 0.8 --within 20s
    """
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
    as_json: bool = JsonOpt,
) -> None:
    """Agents for a service level with Erlang A (M/M/N+M: waiting contacts abandon).

    Service level = share of ALL arrivals answered within --within; abandoned ones count as missed.

    Example: safetyops staffing erlang-a --contacts 100 --per 30m --aht 180s --target 0.8 --within 20s
    --patience 5m
    """
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
    as_json: bool = JsonOpt,
) -> None:
    """Servers for a blocking target with Erlang B (M/M/N/N: blocked work is lost).

    Example: safetyops staffing erlang-b --traffic 10 --blocking 0.01
    """
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
        _die("--work", f"cannot read {text!r} as comma-separated numbers, e.g. 300,375,350")


@staffing_app.command("backlog")
def backlog_cmd(
    work: str | None = typer.Option(None, "--work", metavar="W1,W2,…", help="Work arriving in each slot."),
    deadline: str | None = typer.Option(None, "--deadline", metavar="SLOTS", help="Slots allowed per item."),
    slot: str = typer.Option("slot", "--slot", help="Name of one slot (day, hour, …) for the output."),
    as_json: bool = JsonOpt,
) -> None:
    """Least constant capacity that clears each slot's work within --deadline slots.

    Example: safetyops staffing backlog --work 300,375,350 --deadline 2 --slot day
    """
    amounts = _work_list(work)
    slots = _whole(deadline, "--deadline")
    plan = _run(lambda: backlog.plan_backlog(amounts, slots))
    rows: dict[str, Any] = {f"capacity_per_{slot}": plan.capacity, "deadline_slots": slots, "late": plan.late}
    if as_json:
        rows |= {"processed": [_clean(float(x)) for x in plan.processed]}
        rows |= {"backlog": [_clean(float(x)) for x in plan.backlog]}
        typer.echo(json.dumps({k: _clean(v) for k, v in rows.items()}))
        return
    schedule = Table(title="schedule", show_header=True)
    for name in (slot, "arrives", "processed", "backlog"):
        schedule.add_column(name, justify="right")
    for i, done in enumerate(plan.processed):
        arrived = plan.work[i] if i < plan.work.size else 0.0
        schedule.add_row(str(i + 1), f"{arrived:g}", f"{done:.4g}", f"{plan.backlog[i]:.4g}")
    _show(f"Backlog: deadline {slots} {slot}(s)", rows, False, schedule)


plans_app = typer.Typer(help="Manpower plans.", no_args_is_help=True)


def _date(raw: str, option: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput("bad date", [Problem(f"cannot read {raw!r} as YYYY-MM-DD", field=option)]) from None


def _plan_json(doc: dict[str, Any]) -> str:
    return json.dumps(doc, default=lambda v: v.isoformat() if isinstance(v, date) else str(v))


def _print_plan(rows: list[dict[str, Any]], summary: list[dict[str, Any]], notes: list[str], everything: bool) -> None:
    console = Console()
    for scenario in dict.fromkeys(r["scenario"] for r in rows):
        table = Table(title=f"scenario: {scenario}", show_header=True)
        for name in ("period", "vendor", "site", "market", "lang", "work h", "need FTE", "roster", "gap", "hires"):
            table.add_column(
                name, justify="right" if name in ("work h", "need FTE", "roster", "gap", "hires") else "left"
            )
        table.add_column("start hiring by")
        table.add_column("method")
        for r in rows:
            if r["scenario"] != scenario or not (everything or r["required_fte"] > 0 or r["gap_fte"] > 0):
                continue
            gap = r["gap_fte"]
            table.add_row(
                f"{r['period_start']}…{r['period_end']}",
                r["vendor"],
                r["site"],
                r["market"],
                r["language"],
                f"{r['workload_hours']:,.0f}",
                f"{r['required_fte']:.1f}",
                f"{r['roster_fte']:.1f}",
                Text(f"{gap:+.1f}", style="red" if gap > 0 else "green"),
                str(r["hires"]),
                str(r["start_hiring_by"] or ""),
                r["method"],
            )
        console.print(table)
    totals = Table(title="summary", show_header=True)
    for name in ("scenario", "period", "work h", "need FTE", "roster", "shortfall", "surplus", "hires"):
        totals.add_column(name, justify="left" if name in ("scenario", "period") else "right")
    for s in summary:
        totals.add_row(
            s["scenario"],
            f"{s['period_start']}…{s['period_end']}",
            f"{s['workload_hours']:,.0f}",
            f"{s['required_fte']:.1f}",
            f"{s['roster_fte']:.1f}",
            f"{s['shortfall_fte']:.1f}",
            f"{s['surplus_fte']:.1f}",
            str(s["hires"]),
        )
    console.print(totals)
    console.print(Text(plans.SERVICE_LEVEL_DEFINITION, style="dim"))
    for note in notes:
        console.print(Text(f"note: {note}", style="dim"))


@plans_app.command("compute")
@friendly_errors
def plans_compute(
    start: str = typer.Option(..., "--from", metavar="YYYY-MM-DD", help="First day of the plan."),
    end: str = typer.Option(..., "--to", metavar="YYYY-MM-DD", help="Last day of the plan (inclusive)."),
    period_months: int = typer.Option(2, "--period-months", min=1, max=12, help="Months per period."),
    scenario: list[str] = typer.Option([], "--scenario", help="e.g. volume+20% or shrinkage=0.35; repeatable."),
    hours_per_day: float = typer.Option(8.0, "--hours-per-day"),
    shrinkage: float = typer.Option(0.30, "--shrinkage", help="Share of paid time not labeling."),
    occupancy: float = typer.Option(0.85, "--occupancy", help="Share of on-task time labeling, in (0, 1]."),
    attrition: float = typer.Option(0.03, "--attrition", help="Monthly attrition, in [0, 1)."),
    hiring_lead_days: int = typer.Option(21, "--hiring-lead-days"),
    training_lead_days: int = typer.Option(10, "--training-lead-days"),
    measured_days: int = typer.Option(28, "--measured-days", help="Window for measured handling times."),
    xlsx: Path | None = typer.Option(None, "--xlsx", help="Also write the plan to this XLSX file."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of tables."),
    save: bool = typer.Option(False, "--save", help="Store the plan (see `safetyops plans show ID`)."),
    name: str = typer.Option("", "--name", help="Name of the stored plan."),
    everything: bool = typer.Option(False, "--all", help="Show cells with no demand too."),
) -> None:
    """Manpower plan per period and vendor/site/market/language, from accepted requests and the roster.

    Example: safetyops plans compute --from 2027-01-01 --to 2027-02-28 --scenario volume+20% --xlsx plan.xlsx
    """
    first, last = _date(start, "--from"), _date(end, "--to")
    params = plans.PlanParams(
        hours_per_day=hours_per_day,
        shrinkage=shrinkage,
        occupancy=occupancy,
        monthly_attrition=attrition,
        hiring_lead_days=hiring_lead_days,
        training_lead_days=training_lead_days,
    )
    with session_scope() as session:
        plan = plan_service.compute(
            session,
            first,
            last,
            params=params,
            scenarios=scenario,
            period_months=period_months,
            measured_days=measured_days,
        )
        plan_id = plan_service.save(session, plan, None, name, period_months) if save else None
    rows, summary = plan.rows(), plan.summary()
    if xlsx is not None:
        write_plan_xlsx(xlsx, rows, summary, plans.SERVICE_LEVEL_DEFINITION, plan.notes)
    if as_json:
        doc = {
            "id": plan_id,
            "from": first,
            "to": last,
            "service_level": plans.SERVICE_LEVEL_DEFINITION,
            "notes": plan.notes,
            "scenarios": [{"name": s.name, "overrides": s.overrides} for s in plan.scenarios],
            "summary": summary,
            "rows": rows,
        }
        typer.echo(_plan_json(doc))
        return
    _print_plan(rows, summary, plan.notes, everything)
    if plan_id is not None:
        Console().print(f"saved as plan {plan_id}")
    if xlsx is not None:
        Console().print(f"wrote {xlsx}")


@plans_app.command("show")
@friendly_errors
def plans_show(
    plan_id: int,
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of tables."),
    xlsx: Path | None = typer.Option(None, "--xlsx", help="Also write the plan to this XLSX file."),
) -> None:
    """A stored plan."""
    with session_scope() as session:
        doc = plan_service.as_document(session, plan_id)
    if xlsx is not None:
        write_plan_xlsx(xlsx, doc["rows"], doc["summary"], doc["service_level"], doc["notes"])
    if as_json:
        typer.echo(_plan_json(doc))
        return
    _print_plan(doc["rows"], doc["summary"], doc["notes"], False)
