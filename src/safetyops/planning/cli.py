"""`safetyops plans …`: manpower plans from accepted requests and the roster, shown, stored and written as XLSX.

(`safetyops staffing …`, the queueing calculators, is in `staffing_cli.py`.) Database, NumPy and XLSX code is
imported inside each command, so `--help` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.text import Text

from safetyops.clikit import JSON, console, parse_day, print_json, say, show, typer_app

plans_app = typer_app()


def _print_plan(rows: list[dict[str, Any]], summary: list[dict[str, Any]], notes: list[str], everything: bool) -> None:
    from safetyops.planning.plans import SERVICE_LEVEL_DEFINITION

    for scenario in dict.fromkeys(r["scenario"] for r in rows):
        cells = [
            {
                "period": f"{r['period_start']}…{r['period_end']}",
                "vendor": r["vendor"],
                "site": r["site"],
                "market": r["market"],
                "lang": r["language"],
                "work h": f"{r['workload_hours']:,.0f}",
                "need FTE": f"{r['required_fte']:.1f}",
                "roster": f"{r['roster_fte']:.1f}",
                "gap": Text(f"{r['gap_fte']:+.1f}", style="red" if r["gap_fte"] > 0 else "green"),
                "hires": r["hires"],
                "start hiring by": r["start_hiring_by"] or "",
                "method": r["method"],
            }
            for r in rows
            if r["scenario"] == scenario and (everything or r["required_fte"] > 0 or r["gap_fte"] > 0)
        ]
        show(cells, False, title=f"scenario: {scenario}")
    totals = [
        {
            "scenario": s["scenario"],
            "period": f"{s['period_start']}…{s['period_end']}",
            "work h": f"{s['workload_hours']:,.0f}",
            "need FTE": f"{s['required_fte']:.1f}",
            "roster": f"{s['roster_fte']:.1f}",
            "shortfall": f"{s['shortfall_fte']:.1f}",
            "surplus": f"{s['surplus_fte']:.1f}",
            "hires": s["hires"],
        }
        for s in summary
    ]
    show(totals, False, title="summary")
    console.print(Text(SERVICE_LEVEL_DEFINITION, style="dim"))
    for line in notes:
        console.print(Text(f"note: {line}", style="dim"))


def _write_xlsx(
    path: Path, rows: list[dict[str, Any]], summary: list[dict[str, Any]], service_level: str, notes: list[str]
) -> None:
    from safetyops.planning.plan_xlsx import write_plan_xlsx  # openpyxl: only when asked for

    write_plan_xlsx(path, rows, summary, service_level, notes)


@plans_app.command("compute")
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
    as_json: bool = JSON,
    save: bool = typer.Option(False, "--save", help="Store the plan (see `safetyops plans show ID`)."),
    name: str = typer.Option("", "--name", help="Name of the stored plan."),
    everything: bool = typer.Option(False, "--all", help="Show cells with no demand too."),
) -> None:
    """Manpower plan per period and vendor/site/market/language, from accepted requests and the roster.

    Example: safetyops plans compute --from 2027-01-01 --to 2027-02-28 --scenario volume+20% --xlsx plan.xlsx
    """
    from safetyops.db.engine import session_scope
    from safetyops.planning import plans
    from safetyops.planning import service as plan_service

    first, last = parse_day(start, "--from"), parse_day(end, "--to")
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
        _write_xlsx(xlsx, rows, summary, plans.SERVICE_LEVEL_DEFINITION, plan.notes)
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
        print_json(doc)
        return
    _print_plan(rows, summary, plan.notes, everything)
    if plan_id is not None:
        say(f"saved as plan {plan_id}")
    if xlsx is not None:
        say(f"wrote {xlsx}")


@plans_app.command("show")
def plans_show(
    plan_id: int,
    as_json: bool = JSON,
    xlsx: Path | None = typer.Option(None, "--xlsx", help="Also write the plan to this XLSX file."),
) -> None:
    """A stored plan.  Example: safetyops plans show 3 --xlsx plan.xlsx"""
    from safetyops.db.engine import session_scope
    from safetyops.planning import service as plan_service

    with session_scope() as session:
        doc = plan_service.as_document(session, plan_id)
    if xlsx is not None:
        _write_xlsx(xlsx, doc["rows"], doc["summary"], doc["service_level"], doc["notes"])
    if as_json:
        print_json(doc)
        return
    _print_plan(doc["rows"], doc["summary"], doc["notes"], False)
