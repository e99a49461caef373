"""`safetyops db …`: bring the database schema up to date."""

from __future__ import annotations

import typer

from safetyops.cli_support import console
from safetyops.db.engine import get_engine
from safetyops.db.migrate import current_revision, upgrade

db_app = typer.Typer(help="Database schema.", no_args_is_help=True)


@db_app.command("upgrade")
def upgrade_command() -> None:
    """Apply every pending migration.

    Example: SAFETYOPS_DATABASE_URL=postgresql://postgres@127.0.0.1/safetyops safetyops db upgrade
    """
    engine = get_engine()
    upgrade(engine)
    console.print(f"database at revision [bold]{current_revision(engine)}[/] ({engine.url.render_as_string()})")


@db_app.command("current")
def current_command() -> None:
    """Print the schema revision of the database.  Example: safetyops db current"""
    console.print(current_revision(get_engine()) or "empty database (run: safetyops db upgrade)")
