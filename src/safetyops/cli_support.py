"""Shared pieces of the command line: error display, the process engine, Rich console."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from rich.console import Console

from safetyops.errors import SafetyOpsError

console = Console()
err_console = Console(stderr=True)

F = TypeVar("F", bound=Callable[..., Any])


def report_error(exc: SafetyOpsError) -> None:
    err_console.print(f"[bold red]error:[/] {exc.message}", highlight=False, markup=True, soft_wrap=True)
    for problem in exc.problems:
        err_console.print(f"  {problem}", highlight=False, markup=False, soft_wrap=True)


def friendly_errors(func: F) -> F:
    """Turn SafetyOps errors into a message on stderr and exit code 2, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except SafetyOpsError as exc:
            report_error(exc)
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]
