"""`dsar deadline`: print a request's legal due dates as JSON, without the app or a database.

Example: dsar deadline --received 2026-01-31T10:00:00+01:00 --country FR --timezone Europe/Paris
"""
from __future__ import annotations

import json
from datetime import date, datetime, time

import click

from dsar.clocks.calendar import Calendar, validate_calendar
from dsar.clocks.clock import deadlines, forwarding_clock, processor_sla_clock, statutory_clock


def _parse_datetime(ctx: click.Context, param: click.Parameter, value: str) -> datetime:
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not an ISO 8601 date-time, e.g. 2026-01-31T10:00:00+01:00"
        ) from None


def _parse_date(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    try:
        return None if value is None else date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date in the form YYYY-MM-DD") from None


def _parse_time(ctx: click.Context, param: click.Parameter, value: str | None) -> time | None:
    try:
        cutoff = None if value is None else time.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a local time in the form HH:MM, e.g. 17:00") from None
    if cutoff is not None and cutoff.tzinfo is not None:
        raise click.BadParameter("give the cut-off as a local time without an offset, e.g. 17:00")
    return cutoff


@click.command("deadline")
@click.option("--received", required=True, callback=_parse_datetime,
              help="When the request arrived, ISO 8601; without an offset it is read in --timezone.")
@click.option("--country", required=True, help="ISO 3166-1 alpha-2 code of the calendar, e.g. FR.")
@click.option("--subdivision", default=None, help="holidays subdivision code, e.g. MD, ENG, BY.")
@click.option("--timezone", "timezone_name", required=True, help="IANA time zone, e.g. Europe/Paris.")
@click.option("--sla-days", type=click.IntRange(min=0), default=3, show_default=True,
              help="Processor SLA in working days (contractual).")
@click.option("--forwarding-days", type=click.IntRange(min=0), default=1, show_default=True,
              help="Forwarding target in working days.")
@click.option("--cutoff", default=None, callback=_parse_time,
              help="Contractual cut-off (HH:MM): later instructions count from the next day.")
@click.option("--today", default=None, callback=_parse_date,
              help="Also show each clock's state as of the end of this local day (YYYY-MM-DD).")
def deadline_command(
    received: datetime,
    country: str,
    subdivision: str | None,
    timezone_name: str,
    sla_days: int,
    forwarding_days: int,
    cutoff: time | None,
    today: date | None,
) -> None:
    """Print the statutory, extended, processor-SLA and forwarding due dates as JSON."""
    if problems := validate_calendar(country, subdivision, timezone_name):
        raise click.UsageError("; ".join(problems))
    calendar = Calendar(country, subdivision, timezone_name)
    if received.tzinfo is None:
        received = received.replace(tzinfo=calendar.zone)
    result = deadlines(
        calendar, received, sla_working_days=sla_days,
        forwarding_working_days=forwarding_days, cutoff=cutoff,
    )
    if today is not None:
        now = datetime.combine(today, time.max, tzinfo=calendar.zone)  # end of that local day
        clocks = [
            statutory_clock(calendar, received, now=now),
            processor_sla_clock(calendar, received, working_days=sla_days, cutoff=cutoff, now=now),
            forwarding_clock(calendar, received, working_days=forwarding_days, now=now),
        ]
        result["clocks"] = {clock.name: clock.as_dict() for clock in clocks if clock is not None}
    click.echo(json.dumps(result, indent=2))
