"""`safetyops stats …`: agreement, aggregation, accuracy and sample-size statistics on any file."""

from __future__ import annotations

import typer

stats_app = typer.Typer(help="Statistics on any CSV of item,rater,label rows.", no_args_is_help=True)
