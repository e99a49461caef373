"""`safetyops vendors …` and `safetyops labelers …`: the BPO vendors and their labelers."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from safetyops.auth.principal import SYSTEM
from safetyops.cli_support import console, friendly_errors
from safetyops.db.engine import session_scope
from safetyops.errors import InvalidInput, Problem
from safetyops.workforce import service
from safetyops.workforce.enums import LabelerStatus
from safetyops.workforce.roster import COLUMNS as ROSTER_COLUMNS

vendors_app = typer.Typer(help="BPO vendors.", no_args_is_help=True)
labelers_app = typer.Typer(help="Labelers.", no_args_is_help=True)


def _split(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


@vendors_app.command("create")
@friendly_errors
def create_vendor(name: str, regions: str = typer.Option("", help="data regions, comma-separated")) -> None:
    """Create a vendor.  Example: safetyops vendors create "Acme BPO" --regions EU,US"""
    with session_scope() as session:
        vendor = service.create_vendor(session, SYSTEM, name, _split(regions))
        console.print(f"created vendor {vendor.name} (id {vendor.id})")


@vendors_app.command("list")
def list_vendors() -> None:
    """List vendors.  Example: safetyops vendors list"""
    from sqlalchemy import select

    from safetyops.workforce.models import Vendor

    table = Table("id", "name", "data regions")
    with session_scope() as session:
        for v in session.scalars(select(Vendor).order_by(Vendor.id)):
            table.add_row(str(v.id), v.name, ",".join(v.data_regions))
    console.print(table)


@labelers_app.command("create")
@friendly_errors
def create_labeler(
    username: str,
    vendor: str = typer.Option(..., help="vendor name or id"),
    password: str = typer.Option(None, help="omit to be asked (hidden)", show_default=False),
    languages: str = typer.Option("", help="comma-separated, e.g. en,bn"),
    markets: str = typer.Option("", help="comma-separated, e.g. GB,BD"),
    status: LabelerStatus = typer.Option(LabelerStatus.PRODUCTION),
) -> None:
    """Create a labeler and their sign-in account.

    Example: safetyops labelers create rahim --vendor "Acme BPO" --languages bn,en --markets BD
    """
    if password is None:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    with session_scope() as session:
        v = service.get_vendor(session, vendor)
        labeler = service.create_labeler(
            session,
            SYSTEM,
            v.id,
            username,
            password=password,
            languages=_split(languages),
            markets=_split(markets),
            status=status,
        )
        console.print(f"created labeler {username} (id {labeler.id}) at {v.name}")


@labelers_app.command("list")
@friendly_errors
def list_labelers(vendor: str = typer.Option(None, help="only this vendor")) -> None:
    """List labelers.  Example: safetyops labelers list --vendor "Acme BPO\""""
    table = Table("id", "username", "vendor", "languages", "markets", "status")
    with session_scope() as session:
        vendor_id = service.get_vendor(session, vendor).id if vendor else None
        for lab in service.list_labelers(session, SYSTEM, vendor_id):
            table.add_row(
                str(lab.id),
                lab.external_id,
                str(lab.vendor_id),
                ",".join(lab.languages),
                ",".join(lab.markets),
                lab.status,
            )
    console.print(table)


@labelers_app.command("import")
@friendly_errors
def import_roster(
    roster: Path = typer.Argument(..., help="CSV with a header row; columns: " + ", ".join(ROSTER_COLUMNS)),
    vendor: str = typer.Option(..., help="vendor name or id"),
    dry_run: bool = typer.Option(False, "--dry-run", help="check the file and show what would change"),
) -> None:
    """Create or update a vendor's labelers from a roster CSV, all or nothing.

    Every problem is reported with its file, line and field, and nothing is stored when there is one.
    New labelers start as 'recruiting' unless the status column says otherwise; empty cells keep values.

    Example: safetyops labelers import --vendor "Acme BPO" roster.csv
    """
    try:
        data = roster.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read {roster}", [Problem(exc.strerror or str(exc), file=str(roster))]) from exc
    with session_scope() as session:
        v = service.get_vendor(session, vendor)
        result = service.import_roster(session, SYSTEM, v.id, data, str(roster), dry_run=dry_run)
    verb = "would create" if dry_run else "created"
    console.print(
        f"{roster}: {result.rows} rows for {v.name}: {verb} {len(result.created)}, "
        f"{'would update' if dry_run else 'updated'} {len(result.updated)}, unchanged {len(result.unchanged)}"
    )
