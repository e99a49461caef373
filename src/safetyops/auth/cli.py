"""`safetyops users …` and `safetyops tokens …`: accounts and API tokens."""

from __future__ import annotations

import typer

from safetyops.auth.enums import Role
from safetyops.auth.principal import SYSTEM
from safetyops.clikit import JSON, say, show, typer_app

users_app = typer_app()
tokens_app = typer_app()


@users_app.command("create")
def create_user(
    username: str,
    role: Role = typer.Option(..., help="one of the roles of docs/architecture.md §1"),
    password: str = typer.Option(None, help="omit to be asked (hidden)", show_default=False),
    vendor: str = typer.Option(None, help="vendor name or id (vendor managers)"),
    name: str = typer.Option("", help="display name"),
) -> None:
    """Create a user.  Example: safetyops users create maria --role ops_manager --password 's3cret-pass'"""
    from safetyops.auth import service
    from safetyops.db.engine import session_scope
    from safetyops.workforce.service import get_vendor

    if password is None:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    with session_scope() as session:
        vendor_id = get_vendor(session, vendor).id if vendor else None
        user = service.create_user(
            session, SYSTEM, username, role, password=password, vendor_id=vendor_id, display_name=name
        )
        say(f"created user {user.username} (id {user.id}, {user.role})")


@users_app.command("list")
def list_users(as_json: bool = JSON) -> None:
    """List users.  Example: safetyops users list --json"""
    from sqlalchemy import select

    from safetyops.auth.models import User
    from safetyops.db.engine import session_scope

    with session_scope() as session:
        rows = [
            {"id": u.id, "username": u.username, "role": u.role, "vendor": u.vendor_id, "active": u.is_active}
            for u in session.scalars(select(User).order_by(User.id))
        ]
    show(rows, as_json, columns=["id", "username", "role", "vendor", "active"])


@tokens_app.command("create")
def create_token(username: str, name: str = typer.Option("cli", help="what the token is for")) -> None:
    """Create an API token for a user; it is printed once.  Example: safetyops tokens create maria --name laptop"""
    from safetyops.auth import service
    from safetyops.db.engine import session_scope

    with session_scope() as session:
        user = service.get_user(session, username)
        raw, token = service.issue_token(session, SYSTEM, user.id, name)
    say(f"token id {token.id} for {username} (shown once):")
    print(raw)


@tokens_app.command("revoke")
def revoke_token(token_id: int) -> None:
    """Revoke a token by id.  Example: safetyops tokens revoke 12"""
    from safetyops.auth import service
    from safetyops.db.engine import session_scope

    with session_scope() as session:
        service.revoke_token(session, SYSTEM, token_id)
    say(f"token {token_id} revoked")
