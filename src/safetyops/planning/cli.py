"""`safetyops staffing …`: Erlang C / A / B and backlog staffing calculators."""

from __future__ import annotations

import typer

staffing_app = typer.Typer(help="Staffing calculators (queueing maths).", no_args_is_help=True)
