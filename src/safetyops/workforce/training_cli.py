"""`safetyops training …`: training plans, quizzes and certification."""

from __future__ import annotations

import typer

training_app = typer.Typer(help="Training plans, quizzes and certification.", no_args_is_help=True)
