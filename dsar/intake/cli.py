"""`dsar ingest FILE...`: the intake commands."""
from __future__ import annotations

import sys
from collections import Counter

import click
from flask.cli import with_appcontext

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
