"""`safetyops users …` and `safetyops tokens …`: accounts and API tokens."""

from __future__ import annotations

import typer
from rich.table import Table
from sqlalchemy import select

from safetyops.auth import service
from safetyops.auth.enums import Role
from safetyops.auth.models import User
from safetyops.auth.principal import SYSTEM
from safetyops.cli_support import console, friendly_errors
from safetyops.db.engine import session_scope
from safetyops.workforce.service import get_vendor

users_app = typer.Typer(help="User accounts.", no_args_is_help=True)
tokens_app = typer.Typer(help="API tokens.", no_args_is_help=True)


@users_app.command("create")
@friendly_errors
def create_user(
    username: str,
    role: Role = typer.Option(..., help="one of the roles of docs/architecture.md §1"),
    password: str = typer.Option(None, help="omit to be asked (hidden)", show_default=False),
    vendor: str = typer.Option(None, help="vendor name or id (vendor managers)"),
    name: str = typer.Option("", help="display name"),
) -> None:
    """Create a user.  Example: safetyops users create maria --role ops_manager --password 's3cret-pass'"""
    if password is None:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    with session_scope() as session:
        vendor_id = get_vendor(session, vendor).id if vendor else None
        user = service.create_user(
            session, SYSTEM, username, role, password=password, vendor_id=vendor_id, display_name=name
        )
        console.print(f"created user {user.username} (id {user.id}, {user.role})")


@users_app.command("list")
def list_users() -> None:
    """List users.  Example: safetyops users list"""
    table = Table("id", "username", "role", "vendor", "active")
    with session_scope() as session:
        for u in session.scalars(select(User).order_by(User.id)):
            table.add_row(str(u.id), u.username, u.role, str(u.vendor_id or ""), "yes" if u.is_active else "no")
    console.print(table)


@tokens_app.command("create")
@friendly_errors
def create_token(username: str, name: str = typer.Option("cli", help="what the token is for")) -> None:
    """Create an API token for a user; it is printed once.  Example: safetyops tokens create maria --name laptop"""
    with session_scope() as session:
        user = service.get_user(session, username)
        raw, token = service.issue_token(session, SYSTEM, user.id, name)
    console.print(f"token id {token.id} for {username} (shown once):")
    print(raw)


@tokens_app.command("revoke")
@friendly_errors
def revoke_token(token_id: int) -> None:
    """Revoke a token by id.  Example: safetyops tokens revoke 12"""
    with session_scope() as session:
        service.revoke_token(session, SYSTEM, token_id)
    console.print(f"token {token_id} revoked")
