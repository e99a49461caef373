"""`safetyops vendors …` and `safetyops labelers …`: the BPO vendors and their labelers."""

from __future__ import annotations

from pathlib import Path

import typer

from safetyops.auth.principal import SYSTEM
from safetyops.clikit import JSON, read_file, say, show, typer_app
from safetyops.workforce.enums import LabelerStatus
from safetyops.workforce.roster import COLUMNS as ROSTER_COLUMNS

vendors_app = typer_app()
labelers_app = typer_app()


def _split(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


@vendors_app.command("create")
def create_vendor(name: str, regions: str = typer.Option("", help="data regions, comma-separated")) -> None:
    """Create a vendor.  Example: safetyops vendors create "Acme BPO" --regions EU,US"""
    from safetyops.db.engine import session_scope
    from safetyops.workforce import service

    with session_scope() as session:
        vendor = service.create_vendor(session, SYSTEM, name, _split(regions))
        say(f"created vendor {vendor.name} (id {vendor.id})")


@vendors_app.command("list")
def list_vendors(as_json: bool = JSON) -> None:
    """List vendors.  Example: safetyops vendors list"""
    from sqlalchemy import select

    from safetyops.db.engine import session_scope
    from safetyops.workforce.models import Vendor

    with session_scope() as session:
        rows = [
            {"id": v.id, "name": v.name, "data_regions": v.data_regions}
            for v in session.scalars(select(Vendor).order_by(Vendor.id))
        ]
    show(rows, as_json, headers={"data_regions": "data regions"})


@labelers_app.command("create")
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
    from safetyops.db.engine import session_scope
    from safetyops.workforce import service

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
        say(f"created labeler {username} (id {labeler.id}) at {v.name}")


@labelers_app.command("list")
def list_labelers(vendor: str = typer.Option(None, help="only this vendor"), as_json: bool = JSON) -> None:
    """List labelers.  Example: safetyops labelers list --vendor "Acme BPO\""""
    from safetyops.db.engine import session_scope
    from safetyops.workforce import service

    with session_scope() as session:
        vendor_id = service.get_vendor(session, vendor).id if vendor else None
        rows = [
            {
                "id": lab.id,
                "username": lab.external_id,
                "vendor": lab.vendor_id,
                "languages": lab.languages,
                "markets": lab.markets,
                "status": lab.status,
            }
            for lab in service.list_labelers(session, SYSTEM, vendor_id)
        ]
    show(rows, as_json)


@labelers_app.command("import")
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
    from safetyops.db.engine import session_scope
    from safetyops.workforce import service

    data = read_file(roster)
    with session_scope() as session:
        v = service.get_vendor(session, vendor)
        result = service.import_roster(session, SYSTEM, v.id, data, str(roster), dry_run=dry_run)
    verb = "would create" if dry_run else "created"
    say(
        f"{roster}: {result.rows} rows for {v.name}: {verb} {len(result.created)}, "
        f"{'would update' if dry_run else 'updated'} {len(result.updated)}, unchanged {len(result.unchanged)}"
    )
