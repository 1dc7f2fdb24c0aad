"""`config check [PATH]`: validate a register without touching the database."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup, ScriptInfo

from dsar.register.loader import RegisterError, load_register

config_cli = AppGroup("config", help="Check the register (controllers, systems, activities).")


def _default_path() -> str:
    """The app's REGISTER_PATH, from the active app or the one the CLI would load."""
    if current_app:
        return current_app.config["REGISTER_PATH"]
    app = click.get_current_context().ensure_object(ScriptInfo).load_app()
    return app.config["REGISTER_PATH"]


@config_cli.command("check", with_appcontext=False)
@click.argument("path", required=False, type=click.Path())
def check(path: str | None) -> None:
    """Load the register at PATH (default: the app's REGISTER_PATH) and report every problem.

    Exits 1 when there is any problem, 0 with a one-line summary otherwise.
    """
    path = path or _default_path()
    try:
        register = load_register(path)
    except RegisterError as exc:
        for issue in exc.issues:
            click.echo(str(issue))
        click.echo(f"FAILED {path}: {len(exc.issues)} problem(s)", err=True)
        raise click.exceptions.Exit(1) from None
    click.echo(f"OK {path}: {len(register.controllers)} controllers, {len(register.systems)} systems, "
               f"{len(register.activities)} activities")
