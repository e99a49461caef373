"""`safetyops guidelines …`: taxonomy, guideline versions and examples."""

from __future__ import annotations

import typer

guidelines_app = typer.Typer(help="Guidelines, taxonomy and examples.", no_args_is_help=True)
