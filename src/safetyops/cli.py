"""The `safetyops` command: the registry of every area's commands, each imported only when it runs.

`safetyops --help` reads the one-line help below and imports no area; `safetyops quality …` imports
`safetyops.quality.cli` and nothing else. To add an area's commands, add a line here (see `clikit.Lazy`).
"""

from __future__ import annotations

import typer

from safetyops.clikit import Lazy, LazyGroup

RUN, PEOPLE, WORK, QUALITY, CALCULATORS = "Run", "People", "Work", "Quality", "Calculators (on files, no database)"

COMMANDS: dict[str, Lazy] = {
    "serve": Lazy("safetyops.server:serve_command", "Start the web/API server (migrating the database first).", RUN),
    "demo": Lazy("safetyops.server:demo_command", "Load the demo users, vendor, labelers and ConvAbuse project.", RUN),
    "db": Lazy("safetyops.db.cli:db_app", "Database schema.", RUN),
    "users": Lazy("safetyops.auth.cli:users_app", "User accounts.", PEOPLE),
    "tokens": Lazy("safetyops.auth.cli:tokens_app", "API tokens.", PEOPLE),
    "vendors": Lazy("safetyops.workforce.cli:vendors_app", "BPO vendors.", PEOPLE),
    "labelers": Lazy("safetyops.workforce.cli:labelers_app", "Labelers.", PEOPLE),
    "training": Lazy(
        "safetyops.workforce.training_cli:training_app", "Training plans, quizzes and certification.", PEOPLE
    ),
    "requests": Lazy("safetyops.intake.cli:requests_app", "Labeling requests: file, evaluate, decide.", WORK),
    "plans": Lazy("safetyops.planning.cli:plans_app", "Manpower plans.", WORK),
    "projects": Lazy("safetyops.projects.cli:projects_app", "Labeling projects.", WORK),
    "guidelines": Lazy("safetyops.guidelines.cli:guidelines_app", "Guidelines, taxonomy and examples.", WORK),
    "import": Lazy(
        "safetyops.projects.cli:import_app",
        "Import item batches and gold answers into a project (JSONL, CSV or Parquet; all or nothing).",
        WORK,
    ),
    "export": Lazy(
        "safetyops.delivery.cli:export_command",
        "Export a project's items with their labels and status (JSONL, CSV or Parquet).",
        WORK,
    ),
    "quality": Lazy(
        "safetyops.quality.cli:quality_app",
        "Quality of a project: gold accuracy, agreement, QA review, calibration.",
        QUALITY,
    ),
    "stats": Lazy(
        "safetyops.quality.stats_cli:stats_app", "Statistics on any CSV of item,rater,label rows.", CALCULATORS
    ),
    "staffing": Lazy(
        "safetyops.planning.staffing_cli:staffing_app", "Staffing calculators (queueing maths).", CALCULATORS
    ),
}


class Root(LazyGroup):
    registry = COMMANDS


app = typer.Typer(
    name="safetyops",
    cls=Root,
    help="SafetyOps: run Trust & Safety data-labeling operations.\n\n"
    "The database comes from SAFETYOPS_DATABASE_URL (default: ./safetyops.db, SQLite).",
    no_args_is_help=True,
    rich_markup_mode="rich",
)


@app.callback()
def root() -> None:
    """The root group has no options of its own; Typer needs a callback to build a group with no commands."""


def main() -> None:
    app()


if __name__ == "__main__":
    main()
