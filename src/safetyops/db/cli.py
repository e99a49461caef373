"""`safetyops db …`: bring the database schema up to date."""

from __future__ import annotations

from safetyops.clikit import JSON, say, show, typer_app

db_app = typer_app()


@db_app.command("upgrade")
def upgrade_command() -> None:
    """Apply every pending migration.

    Example: SAFETYOPS_DATABASE_URL=postgresql://postgres@127.0.0.1/safetyops safetyops db upgrade
    """
    from safetyops.db.engine import get_engine
    from safetyops.db.migrate import current_revision, upgrade

    engine = get_engine()
    upgrade(engine)
    say(f"database at revision {current_revision(engine)} ({engine.url.render_as_string()})")


@db_app.command("current")
def current_command(as_json: bool = JSON) -> None:
    """Print the schema revision of the database.  Example: safetyops db current"""
    from safetyops.db.engine import get_engine
    from safetyops.db.migrate import current_revision

    revision = current_revision(get_engine())
    if as_json:
        show({"revision": revision}, True)
        return
    say(revision or "empty database (run: safetyops db upgrade)")
