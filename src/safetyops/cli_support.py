"""Shared pieces of the command line: error display, the process engine, Rich console."""

from __future__ import annotations

import enum
import functools
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from safetyops.errors import InvalidInput, Problem, ProblemList, SafetyOpsError

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


class DataFormat(enum.StrEnum):
    """File formats of item imports and exports."""

    jsonl = "jsonl"
    csv = "csv"
    parquet = "parquet"


PROBLEMS_SHOWN = ProblemList().limit


def located(p: Problem) -> str:
    """`file:line field: message`, leaving out what is unknown (the form editors and grep understand)."""
    where = p.file or ""
    if p.line is not None:
        where = f"{where}:{p.line}" if where else f"line {p.line}"
    if p.field:
        where = f"{where} {p.field}" if where else p.field
    return f"{where}: {p.message}" if where else p.message


def fail(exc: SafetyOpsError) -> typer.Exit:
    """Print a data-file error with every located problem; exit code 2 for invalid input, else 1."""
    console = Console(stderr=True, highlight=False, soft_wrap=True)
    console.print(f"error: {exc.message}", markup=False)
    for p in exc.problems:
        console.print(f"  {located(p)}", markup=False)
    if len(exc.problems) >= PROBLEMS_SHOWN:
        console.print(f"(the first {len(exc.problems)} are shown; the total is above)", markup=False)
    return typer.Exit(2 if isinstance(exc, InvalidInput) else 1)


@contextmanager
def counting_progress(label: str, unit: str) -> Iterator[Callable[[int], None]]:
    """A progress display on stderr counting rows or items; silent when stderr is not a terminal."""
    with Progress(
        SpinnerColumn(),
        TextColumn(label),
        TextColumn("{task.completed:,} " + unit),
        TimeElapsedColumn(),
        console=Console(stderr=True, highlight=False, soft_wrap=True),
        transient=True,
        disable=not sys.stderr.isatty(),
    ) as progress:
        task = progress.add_task(label, total=None)
        yield lambda done: progress.update(task, completed=done)
