"""The `safetyops` command: mounts each area's commands."""

from __future__ import annotations

import typer

from safetyops.auth.cli import tokens_app, users_app
from safetyops.db.cli import db_app
from safetyops.delivery.cli import export_command
from safetyops.guidelines.cli import guidelines_app
from safetyops.intake.cli import requests_app
from safetyops.planning.cli import plans_app, staffing_app
from safetyops.projects.cli import import_app, projects_app
from safetyops.quality.cli import quality_app, stats_app
from safetyops.server import demo_command, serve_command
from safetyops.workforce.cli import labelers_app, vendors_app
from safetyops.workforce.training_cli import training_app

app = typer.Typer(
    name="safetyops",
    help="SafetyOps: run Trust & Safety data-labeling operations.\n\n"
    "The database comes from SAFETYOPS_DATABASE_URL (default: ./safetyops.db, SQLite).",
    no_args_is_help=True,
    rich_markup_mode="rich",
)
app.command("serve")(serve_command)
app.command("demo")(demo_command)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(tokens_app, name="tokens")
app.add_typer(vendors_app, name="vendors")
app.add_typer(labelers_app, name="labelers")
app.add_typer(projects_app, name="projects")
app.add_typer(import_app, name="import")
app.command("export")(export_command)
app.add_typer(stats_app, name="stats")
app.add_typer(staffing_app, name="staffing")
app.add_typer(quality_app, name="quality")
app.add_typer(requests_app, name="requests")
app.add_typer(plans_app, name="plans")
app.add_typer(training_app, name="training")
app.add_typer(guidelines_app, name="guidelines")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
