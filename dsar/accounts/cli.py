"""`dsar users create|list|unlock`."""
from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from dsar.accounts import service

users_cli = AppGroup("users", help="Staff accounts for the web UI.")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--role", required=True, help="operator_admin, operator_agent, controller_admin or controller_agent")
@click.option("--controller", "controller_id", default=None, help="The controller a controller role works for.")
@click.option("--name", default="")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_command(email: str, role: str, controller_id: str | None, name: str, password_stdin: bool) -> None:
    """Create a staff user; the password is asked twice (or read from stdin)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = service.create_user(email, role, password, controller_id, name)
    except service.AccountError as exc:
        raise click.UsageError(str(exc)) from exc
    click.echo(f"created {user.email} ({user.role}{', ' + user.controller_id if user.controller_id else ''})")


@users_cli.command("list")
def list_command() -> None:
    """Every staff user: email, role, controller, and whether locked."""
    for user in service.all_users():
        locked = f" locked until {user.locked_until:%Y-%m-%d %H:%M} UTC" if user.locked_until else ""
        click.echo(f"{user.email}\t{user.role}\t{user.controller_id or '-'}\t"
                   f"{'active' if user.active else 'inactive'}{locked}")


@users_cli.command("unlock")
@click.argument("email")
def unlock_command(email: str) -> None:
    """Clear the failed logins and the lock of a user."""
    try:
        user = service.unlock(email)
    except service.AccountError as exc:
        raise click.UsageError(str(exc)) from exc
    click.echo(f"unlocked {user.email}")
