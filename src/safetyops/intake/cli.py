"""`safetyops requests …`: labeling requests, their evaluation and decisions."""

from __future__ import annotations

import typer

requests_app = typer.Typer(help="Labeling requests: file, evaluate, decide.", no_args_is_help=True)
