"""Registers every operator command on the app's CLI (`dsar --help` lists them)."""
from __future__ import annotations

import json
import sys
from datetime import datetime, timezone

import click
from flask import Flask
from flask.cli import AppGroup


def init_app(app: Flask) -> None:
    from dsar.api.auth import tokens_cli
    from dsar.clocks.cli import deadline_command
    from dsar.register.cli import config_cli
    from dsar.register.sync import register_cli
    from dsar.demo_data import demo_data_command
    from dsar.understanding.cli import classify

    for command in (tokens_cli, deadline_command, config_cli, register_cli, audit_cli, classify, demo_data_command):
        app.cli.add_command(command)


def instant(value: str | None, option: str = "--now") -> datetime:
    """A command's `--now` option: an ISO 8601 date or date-time (naive = UTC); none = now."""
    from dsar.timeutil import now

    if not value:
        return now()
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"not an ISO date or date-time: {value!r}", param_hint=option) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


audit_cli = AppGroup("audit", help="Check the audit trail.")


@audit_cli.command("verify")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def verify_command(as_json: bool) -> None:
    """Recompute every request's hash chain; name the first broken link of each."""
    from dsar.audit import verify_chains

    requests, events, broken = verify_chains()
    if as_json:
        click.echo(json.dumps({"requests": requests, "events": events, "broken": [str(b) for b in broken]}))
    else:
        for link in broken:
            click.echo(f"BROKEN {link}")
        click.echo(f"{'FAILED' if broken else 'OK'}: {requests} requests, {events} events checked, "
                   f"{len(broken)} broken chain(s)")
    sys.exit(1 if broken else 0)
