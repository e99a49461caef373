"""The `safetyops` command: mounts each area's commands."""

from __future__ import annotations

import typer

from safetyops.planning.cli import staffing_app
from safetyops.quality.cli import stats_app

app = typer.Typer(
    name="safetyops",
    help="SafetyOps: run Trust & Safety data-labeling operations.",
    no_args_is_help=True,
    rich_markup_mode="rich",
)
app.add_typer(stats_app, name="stats")
app.add_typer(staffing_app, name="staffing")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
