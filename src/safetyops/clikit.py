"""The command-line toolkit every area's cli.py uses: one --json, one -p/--project, one printer, one error path,
and the lazy group that imports an area's commands only when one of them runs.

This module stays light (Typer, Rich and `safetyops.errors` only): `safetyops --help` and every area's `--help`
import it, and they must answer in a fraction of a second. Database, NumPy, SciPy and Arrow code is imported inside
command bodies, never at the top of a cli module.
"""

from __future__ import annotations

import importlib
import math
import shlex
import sys
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, is_dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption

from safetyops.errors import InvalidInput, Problem, ProblemList, SafetyOpsError

console = Console()

# --- the shared options ----------------------------------------------------------------------------------------

JSON = typer.Option(False, "--json", help="Print JSON (for scripts) instead of a table.")


def project_option(*, required: bool = True) -> Any:
    """`-p/--project`: the one way every command names a project (its id, or its exact name)."""
    return typer.Option(
        ... if required else None, "--project", "-p", metavar="PROJECT", help="Project id or exact name."
    )


PROJECT = project_option()


# --- the one printer -------------------------------------------------------------------------------------------


def print_json(data: Any) -> None:
    """One JSON document on one line of stdout. Dates as ISO 8601, NumPy scalars and arrays as numbers and lists,
    non-finite floats as null (JSON has no NaN or infinity), pydantic models and dataclasses as objects."""
    import orjson

    option = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS
    sys.stdout.write(orjson.dumps(data, default=_jsonable, option=option).decode() + "\n")


def _jsonable(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if hasattr(value, "item"):  # a NumPy scalar orjson does not know (e.g. float16)
        return value.item()
    return str(value)


def show(
    data: Sequence[Any] | Mapping[str, Any] | Any,
    as_json: bool,
    *,
    columns: Sequence[str] | None = None,
    headers: Mapping[str, str] | None = None,
    title: str | None = None,
    digits: int = 4,
    clip: Collection[str] = (),
) -> None:
    """Print records as a Rich table for people or as JSON for scripts, with the same columns both ways.

    `data` is a list of records (dicts, pydantic models or dataclasses): one row each, one column per key (or per
    `columns`, in that order); JSON is a list of objects. Or it is one record: a two-column table of its scalar
    fields; JSON is one object. `headers` renames columns in the table only; floats show `digits` significant
    digits; `clip` columns stay on one line in the table, cut with an ellipsis (JSON keeps them whole). Cells are
    plain text, never Rich markup: they may hold item content.

    A nested document (a report with sections) goes out whole with `print_json`, and its sections through `show`.
    """
    if not isinstance(data, Sequence) or isinstance(data, str):
        _show_record(_record(data), as_json, headers or {}, title, digits)
        return
    rows = [_record(r) for r in data]
    keys = list(columns) if columns is not None else (list(rows[0]) if rows else [])
    if as_json:
        print_json([{k: r.get(k) for k in keys} for r in rows])
        return
    names = headers or {}
    table = Table(title=title)
    for k in keys:
        table.add_column(
            names.get(k, k),
            no_wrap=k in clip,
            overflow="ellipsis" if k in clip else "fold",
            max_width=60 if k in clip else None,
        )
    for r in rows:
        table.add_row(*(cell(r.get(k), digits) for k in keys))
    console.print(table)


def _show_record(
    record: dict[str, Any], as_json: bool, names: Mapping[str, str], title: str | None, digits: int
) -> None:
    if as_json:
        print_json(record)
        return
    table = Table(show_header=False, title=title)
    for key, value in record.items():
        if not isinstance(value, list | tuple | dict):
            table.add_row(Text(names.get(key, key)), cell(value, digits))
    console.print(table)


def _record(obj: Any) -> dict[str, Any]:
    if isinstance(obj, Mapping):
        return dict(obj)
    if hasattr(obj, "model_dump"):
        return dict(obj.model_dump())
    if is_dataclass(obj) and not isinstance(obj, type):
        return asdict(obj)
    raise TypeError(f"cannot show a {type(obj).__name__} as a record")


def cell(value: Any, digits: int = 4) -> Text:
    """One value as table text: '—' for none, yes/no, floats to `digits` significant digits, '∞' for infinity."""
    if value is None:
        return Text("—")
    if isinstance(value, Text):  # already styled by the command (e.g. a gap in red)
        return value
    if isinstance(value, bool):
        return Text("yes" if value else "no")
    if isinstance(value, float):
        if math.isnan(value):
            return Text("—")
        return Text("∞" if math.isinf(value) else f"{value:.{digits}g}")
    if isinstance(value, datetime):
        return Text(value.strftime("%Y-%m-%d %H:%M"))
    if isinstance(value, date):
        return Text(value.isoformat())
    if isinstance(value, list | tuple):
        return Text(",".join(str(v) for v in value))
    return Text(str(value))


def say(message: str) -> None:
    """One line for people on stdout, as plain text (no Rich markup: names and labels are data)."""
    console.print(message, markup=False, highlight=False, soft_wrap=True)


def note(message: str) -> None:
    """A remark for the person at the terminal (stderr, so it never mixes into the JSON or table on stdout)."""
    typer.echo(f"note: {message}", err=True)


@contextmanager
def counting_progress(label: str, unit: str) -> Iterator[Callable[[int], None]]:
    """A progress display on stderr counting rows or items; silent when stderr is not a terminal."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

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


# --- reading what the person gave -----------------------------------------------------------------------------


def parse_day(text: str, option: str) -> date:
    """A YYYY-MM-DD option value, or bad input naming the option."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{option}: '{text}' is not a date (write YYYY-MM-DD)") from None


def read_file(path: Path) -> bytes:
    """A file's bytes, or bad input naming the file and why it cannot be read."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}", [Problem(exc.strerror or str(exc), file=str(path))]) from None


def project_id(ref: str) -> int:
    """The id of the project a command names with -p/--project (its id or exact name); NotFound when none."""
    from safetyops.db.engine import session_scope
    from safetyops.projects.service import get_project

    with session_scope() as session:
        return get_project(session, ref).id


# --- the one error path ----------------------------------------------------------------------------------------

PROBLEMS_SHOWN = ProblemList().limit


def located(p: Problem) -> str:
    """`file:line field: message`, leaving out what is unknown (the form editors and grep understand)."""
    where = p.file or ""
    if p.line is not None:
        where = f"{where}:{p.line}" if where else f"line {p.line}"
    if p.field:
        where = f"{where} {p.field}" if where else p.field
    return f"{where}: {p.message}" if where else p.message


def report(exc: SafetyOpsError) -> int:
    """Print an error on stderr — its message, then each problem as `file:line field: message` — and return the
    exit code: 2 for bad input (InvalidInput; Click's usage errors exit 2 too), 1 for everything else."""
    typer.echo(f"error: {exc.message}", err=True)
    for p in exc.problems:
        typer.echo(f"  {located(p)}", err=True)
    if len(exc.problems) >= PROBLEMS_SHOWN:
        typer.echo(f"  (the first {len(exc.problems)} are shown; the total is above)", err=True)
    return 2 if isinstance(exc, InvalidInput) else 1


def bad_option(option: str, message: str) -> NoReturn:
    """Refuse an option's value: `error: --option: message`, exit code 2."""
    raise InvalidInput(f"{option}: {message}")


class SafeGroup(TyperGroup):
    """A command group whose commands' SafetyOps errors end as a message and an exit code, never a traceback.

    Every area's app is one (`typer_app`), and so is the root; the innermost group that sees the error reports it.
    Other exceptions are bugs and keep their traceback.
    """

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except SafetyOpsError as exc:
            raise typer.Exit(report(exc)) from None

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        # A group's own flags (--help, --install-completion) are unset (None) whenever a subcommand runs, and Typer
        # coerces a None flag through a pydantic adapter: ~40 modules that `safetyops quality --help` imported for
        # nothing (a quarter of its time). An unset flag is False, which Typer takes as it is.
        for param in self.get_params(ctx):
            if isinstance(param, TyperOption) and param.is_flag and param.default is None:
                param.default = False
        return super().parse_args(ctx, args)


def typer_app(help: str | None = None) -> typer.Typer:
    """An area's command group: errors through `report`, its help shown when it is called without a command.

    A top-level group takes its one-line help from the root's registry (`safetyops.cli`), so it is written once.
    """
    return typer.Typer(cls=SafeGroup, help=help, no_args_is_help=True, rich_markup_mode="rich")


# --- -p/--project, and the positional project it replaces -------------------------------------------------------


class ProjectFirst(TyperCommand):
    """A command that still accepts its project as the first argument (the form before -p/--project).

    DEPRECATED: kept for one release; the old form prints a note on stderr. It is recognised when -p/--project is
    absent and there is one positional argument more than the command declares: the first is the project.
    """

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        return super().parse_args(ctx, self._project_from_position(ctx, args))

    def _project_from_position(self, ctx: Any, args: list[str]) -> list[str]:
        if any(a in ("-p", "--project") or a.startswith(("--project=", "-p=")) for a in args):
            return args
        positions = self._positions(args)
        declared = sum(1 for p in self.params if isinstance(p, TyperArgument))
        if len(positions) != declared + 1:
            return args
        first = positions[0]
        note(
            f"'{ctx.command_path} PROJECT …' is deprecated and goes in the next release; "
            f"write '{ctx.command_path} -p {shlex.quote(args[first])} …'"
        )
        return ["--project", args[first], *args[:first], *args[first + 1 :]]

    def _positions(self, args: list[str]) -> list[int]:
        """Where the positional arguments are in `args` (skipping options and the values they take)."""
        takes_value = {
            name: p.nargs
            for p in self.params
            if isinstance(p, TyperOption) and not p.is_flag and not p.count
            for name in (*p.opts, *p.secondary_opts)
        }
        positions: list[int] = []
        i = 0
        while i < len(args):
            arg = args[i]
            if arg == "--":
                return positions + list(range(i + 1, len(args)))
            if arg.startswith("-") and arg != "-":
                if "=" not in arg:
                    i += takes_value.get(arg, 0)
            else:
                positions.append(i)
            i += 1
        return positions


# --- the lazy root group ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Lazy:
    """A top-level command that is imported when it runs: `module:attribute` is a Typer app or a function."""

    target: str
    help: str
    panel: str | None = None


class LazyGroup(SafeGroup):
    """The root group: lists its commands from `registry` and imports one only when it is run or its help is asked.

    Its own --help shows each command's one-line help from the registry and imports no area at all.
    """

    registry: Mapping[str, Lazy] = {}
    _listing = False

    def list_commands(self, ctx: Any) -> list[str]:
        return list(self.registry)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        entry = self.registry.get(cmd_name)
        if entry is None:
            return None
        if self._listing:
            return TyperCommand(cmd_name, help=entry.help, rich_help_panel=entry.panel)
        if cmd_name not in self.commands:
            self.commands[cmd_name] = self.load(cmd_name)
        return self.commands[cmd_name]

    def load(self, cmd_name: str) -> Any:
        """Import a command's module and build its click command, with the registry's help and panel."""
        entry = self.registry[cmd_name]
        module, _, attribute = entry.target.partition(":")
        obj = getattr(importlib.import_module(module), attribute)
        if isinstance(obj, typer.Typer):
            command: Any = typer.main.get_group(obj)
        else:
            single = typer.Typer(add_completion=False, rich_markup_mode="rich")
            single.command(cmd_name)(obj)
            command = typer.main.get_command(single)
        command.name = cmd_name
        command.help = command.help or entry.help
        command.short_help = entry.help
        command.rich_help_panel = entry.panel
        return command

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        # Typer suggests close names from the commands loaded so far (none yet): suggest from the registry.
        if args and args[0] not in self.registry and not args[0].startswith("-"):
            from difflib import get_close_matches

            matches = get_close_matches(args[0], list(self.registry))
            hint = f" Did you mean {', '.join(repr(m) for m in matches)}?" if matches else ""
            ctx.fail(f"No such command {args[0]!r}.{hint}")
        return super().resolve_command(ctx, args)

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False
