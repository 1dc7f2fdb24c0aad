"""`dsar purge`: remove finished requests past the retention period (cron runs it, e.g. daily).

`--dry-run` lists each request due, its closing date and what would be removed, and
changes nothing. Exit status 1 when a request was due but not purged (its audit chain
is broken, or a file or the database refused), so cron's mail says so.
"""
from __future__ import annotations

from datetime import datetime

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.exc import SQLAlchemyError

from dsar.audit.chain import verify_chain
from dsar.commands import instant as parse_instant
from dsar.extensions import db
from dsar.retention import purge


MAX_DAYS = 36500  # a century: beyond it the setting is a typo, not a policy


def _retention_days(given: int | None) -> int:
    if given is not None:
        return given
    configured = current_app.config.get("RETENTION_DAYS")
    try:
        days = int(configured)
    except (TypeError, ValueError):
        days = 0
    if not 1 <= days <= MAX_DAYS:
        raise click.UsageError(f"RETENTION_DAYS must be a whole number of days from 1 to {MAX_DAYS}; "
                               f"it is {configured!r}")
    return days


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


@click.command("purge")
@click.option("--dry-run", is_flag=True, help="List the requests due and what would be removed; change nothing.")
@click.option("--older-than", "days", type=click.IntRange(min=1, max=MAX_DAYS), default=None, metavar="DAYS",
              help="Purge requests closed more than DAYS days ago (default: RETENTION_DAYS, 1095).")
@click.option("--now", "at", default=None, help="Act as if it were this instant (ISO 8601; naive = UTC).")
@click.option("--include-broken", is_flag=True,
              help="Also purge requests whose audit chain is broken (recorded as not verified); "
                   "by default they are kept for investigation.")
@with_appcontext
def purge_command(dry_run: bool, days: int | None, at: str | None, include_broken: bool) -> None:
    """Purge closed, cancelled and duplicate requests closed more than the retention period
    ago: their identities, messages, tasks, notices, packages, export files and audit
    events go; a non-identifying skeleton of each request stays, with a one-event audit
    chain recording the purge. Rejected requests are purged once closed."""
    now = parse_instant(at)
    days = _retention_days(days)
    try:
        before = purge.cutoff(now, days)
    except OverflowError:
        raise click.BadParameter(f"{days} days before {now.isoformat()} is before year 1", param_hint="--now") from None
    verb = "would purge" if dry_run else "purged"
    done = kept = 0
    after_id = 0
    while batch := purge.due(before, after_id=after_id):
        for due in batch:
            after_id = due.id
            one = _dry_run_one if dry_run else _purge_one
            went, line = one(due, now, before, include_broken)
            if went is None:  # no longer due (purged or changed meanwhile)
                continue
            done, kept = done + went, kept + (not went)
            click.echo(f"{due.reference}  {due.status} {due.closed_at.date().isoformat()}  {line}", err=not went)
    scope = f"closed before {before.date().isoformat()} ({days} days before {now.date().isoformat()})"
    click.echo(f"{verb} {_plural(done, 'request')} {scope}" if done or kept else f"nothing to purge: no request {scope}")
    if stale := purge.stale_rejections(before):
        click.echo(f"note: {_plural(stale, 'rejected request')} older than that never closed; "
                   "close them to have them purged")
    if kept:
        click.echo(f"{_plural(kept, 'request')} due but kept: see above", err=True)
        raise SystemExit(1)


def _dry_run_one(due: purge.Due, now: datetime, before: datetime, include_broken: bool) -> tuple[bool, str]:
    """(would it go, what to print) for one request due; reads only."""
    try:
        broken = verify_chain(due.id, due.reference)
        held = purge.holdings(due.id, due.reference)
    except OSError as exc:
        return False, f"would be kept: {exc}"
    finally:
        db.session.rollback()  # hold no snapshot between requests
    if broken is not None and not include_broken:
        return False, f"would be kept: audit chain broken at event #{broken.seq}: {broken.problem}"
    return True, f"would remove {held.describe()}"


def _purge_one(due: purge.Due, now: datetime, before: datetime, include_broken: bool) -> tuple[bool | None, str]:
    """(did it go, or None when no longer due; what to print) for one request due."""
    try:
        purged = purge.purge_request(due.id, now, before=before, include_broken=include_broken)
    except purge.ChainBroken as exc:
        return False, (f"kept: audit chain broken at event #{exc.link.seq}: {exc.link.problem}; "
                       "investigate, then purge it with --include-broken")
    except (OSError, SQLAlchemyError) as exc:  # rolled back: the rows are whole; the next run tries again
        return False, f"not purged: {str(exc).splitlines()[0]}"
    if purged is None:
        return None, ""
    unverified = "" if purged.chain_verified else " (its audit chain was broken)"
    return True, f"removed {purged.holdings.describe()}{unverified}"
