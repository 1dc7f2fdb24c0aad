"""`dsar ingest FILE...` and `dsar mail poll`: the intake commands."""
from __future__ import annotations

import sys
from collections import Counter

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from dsar.intake.pipeline import Outcome


def describe(outcome: Outcome) -> str:
    """One line of what intake did: Message-ID, disposition, references; "already had" for a repeat."""
    refs = " ".join(r.reference for r in outcome.requests)
    what = f"{outcome.disposition} {refs}".strip()
    if not outcome.stored:
        what = f"already had (message {outcome.message.id}: {what})"
    return f"<{outcome.message.message_id}>  {what}"


def _summary(outcomes: list[Outcome], failed: int) -> str:
    counts = Counter(o.disposition if o.stored else "already had" for o in outcomes)
    parts = [f"{n} {what}" for what, n in sorted(counts.items())]
    text = f"{len(outcomes)} message(s)" + (": " + ", ".join(parts) if parts else "")
    return text + (f"; {failed} unreadable" if failed else "")


@click.command("ingest")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=str))
@with_appcontext
def ingest_command(paths: tuple[str, ...]) -> None:
    """Import saved email: .eml files, mbox files, or folders of them.

    Each message goes through the same intake as IMAP and the webhook; importing the
    same file twice opens nothing twice. Exits 1 if a file could not be read (the
    others are still imported).
    """
    from dsar.intake.files import read_messages
    from dsar.intake.pipeline import ingest

    outcomes: list[Outcome] = []
    failed = 0
    for item in read_messages(paths):
        if item.error is not None:
            failed += 1
            click.echo(f"{item.label}  ERROR: {item.error}", err=True)
            continue
        outcome = ingest(item.raw, source="file")
        outcomes.append(outcome)
        click.echo(f"{item.label}  {describe(outcome)}")
    click.echo(_summary(outcomes, failed))
    sys.exit(1 if failed else 0)


mail_cli = AppGroup("mail", help="The DPO mailbox: poll it over IMAP into intake.")


@mail_cli.command("poll")
@click.option("--once", is_flag=True, help="Poll once and exit (for cron and tests).")
@click.option("--interval", type=click.FloatRange(min=1), default=60.0, show_default=True,
              help="Seconds between polls.")
@click.option("--max-backoff", type=click.FloatRange(min=1), default=900.0, show_default=True,
              help="Longest wait between polls while the server is unreachable.")
def poll_command(once: bool, interval: float, max_backoff: float) -> None:
    """Read new mail from the IMAP folder into intake (settings: DSAR_IMAP_*)."""
    from dsar.mail.imap import ImapSettings, PollResult, poll_forever, poll_once

    try:
        settings = ImapSettings.from_config(current_app.config)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc

    def show(uid: int, outcome: Outcome) -> None:
        click.echo(f"{settings.mailbox_id} uid {uid}  {describe(outcome)}")

    def report(result: PollResult, quiet: bool = False) -> None:
        if result.renumbered:
            click.echo(f"{result.mailbox}: UIDVALIDITY changed; read again from the start")
        if result.error:
            click.echo(f"{result.mailbox}: ERROR {result.error}", err=True)
        if result.outcomes or not quiet:
            click.echo(f"{result.mailbox}: {_summary([o for _, o in result.outcomes], 0)}")

    if once:
        result = poll_once(settings, on_outcome=show)
        report(result)
        sys.exit(1 if result.error else 0)
    click.echo(f"polling {settings.mailbox_id} every {interval:g}s (Ctrl-C stops)")
    poll_forever(settings, interval=interval, max_backoff=max_backoff, on_outcome=show,
                 on_result=lambda result: report(result, quiet=True))  # a line a minute saying "nothing" is noise
