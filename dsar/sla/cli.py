"""`dsar tick`: send the alert digests due now (cron runs it, e.g. every 15 minutes)."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from dsar.commands import instant as parse_instant
from dsar.mail import outbox
from dsar.sla import alerts


@click.command("tick")
@click.option("--now", "at", default=None, help="Act as if it were this instant (ISO 8601; naive = UTC).")
@click.option("--dry-run", is_flag=True, help="Print the digests that would go out; send and record nothing.")
@with_appcontext
def tick_command(at: str | None, dry_run: bool) -> None:
    """Email the alert digests: due-soon and overdue requests, to each controller's team
    and to the operator; each threshold once per request and recipient. Then try again
    the mail that could not be sent (SMTP was down) in the last week."""
    instant = parse_instant(at)
    try:
        outcome = alerts.tick(instant, config=current_app.config, dry_run=dry_run)
    except alerts.BadThresholds as exc:
        raise click.UsageError(str(exc)) from exc
    verb = "would send" if dry_run else "sent"
    for recipient, sent in outcome.digests.items():
        click.echo(f"{verb} to {recipient}: {len(sent)} alert{'s' if len(sent) != 1 else ''}")
        for a in sent:
            click.echo(f"  {a.reference} {a.controller_id or '-'} {a.threshold} due {a.due.isoformat()}")
    for recipient in outcome.skipped:
        click.echo(f"skipped {recipient}: not one plain email address", err=True)
    if not outcome.digests:
        click.echo("nothing to send: no request crossed a new threshold")
    if not dry_run:
        from dsar.connectors.manual import remind_waiting  # owners of manual tasks due within a working day
        if reminded := remind_waiting(instant):
            click.echo(f"reminded the owners of {reminded} waiting manual task(s)")
        from dsar.answers import dispatch  # webhooks, Art. 19 notices, expired packages

        for name, count in dispatch.sweep(instant).items():
            if count:
                click.echo(f"{name.rsplit('.', 1)[-1].replace('_', ' ')}: {count}")
        retried = outbox.resend_undelivered(instant)
        if retried:
            still = sum(m.delivery == "failed" for m in retried)
            click.echo(f"retried {len(retried)} undelivered email(s): {len(retried) - still} went, {still} still failing")
