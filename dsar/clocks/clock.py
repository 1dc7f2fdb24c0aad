"""The three clocks of a request (statutory, processor SLA, forwarding) and their states.

Pure functions of a calendar and a few instants: no database, no app. Dates are the
controller's local dates; a due date means "by the end of that local day".
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from dateutil.relativedelta import relativedelta

from dsar.clocks.calendar import Calendar
from dsar.clocks.periods import instruction_start_date, months_after, working_days_after

Pause = tuple[datetime, datetime | None]


class ClockState(StrEnum):
    """Where a clock stands."""

    RUNNING = "running"
    PAUSED = "paused"
    MET = "met"
    MISSED = "missed"


@dataclass(frozen=True)
class Clock:
    """One deadline of a request, as of a given moment."""

    name: str  # "statutory" | "processor_sla" | "forwarding"
    started_on: date | None  # day of the event the period runs from (not counted)
    due: date | None  # None while paused
    state: ClockState
    days_left: int | None  # due minus today; None when paused or completed
    extended: bool = False

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form: ISO dates, state as a plain string."""
        return {
            "name": self.name,
            "started_on": self.started_on.isoformat() if self.started_on else None,
            "due": self.due.isoformat() if self.due else None,
            "state": str(self.state),
            "days_left": self.days_left,
            "extended": self.extended,
        }


def _settle(
    name: str,
    calendar: Calendar,
    started_on: date,
    due: date,
    *,
    completed_at: datetime | None,
    now: datetime,
    extended: bool = False,
) -> Clock:
    """State of a clock with a known due date (met/missed by local date, end of day)."""
    if completed_at is not None:
        met = calendar.local_date(completed_at) <= due
        state = ClockState.MET if met else ClockState.MISSED
        return Clock(name, started_on, due, state, None, extended)
    days_left = (due - calendar.local_date(now)).days
    state = ClockState.MISSED if days_left < 0 else ClockState.RUNNING
    return Clock(name, started_on, due, state, days_left, extended)


def _statutory_start(
    calendar: Calendar, received_at: datetime, pauses: Sequence[Pause], months: int
) -> date | None:
    """Day the statutory month runs from; None while a pause is open.

    GDPR Art. 12(6) lets the controller ask for identity information. The ICO runs the
    month from the day that information arrives; EDPB 01/2022 §159 allows a "suspension
    in time". DESIGN §5 takes the ICO reading: each closed pause restarts the month from
    its end (not a resume with the days left).
    """
    local = calendar.local_datetime  # also makes naive (UTC) and aware values comparable
    start = calendar.local_date(received_at)
    for paused_at, resumed_at in sorted(pauses, key=lambda p: local(p[0])):
        if resumed_at is not None and local(resumed_at) < local(paused_at):
            raise ValueError(f"pause ends ({resumed_at}) before it starts ({paused_at})")
        # Only a pause taken while the clock runs counts: asking for ID after the
        # deadline (EDPB §159: "without undue delay") cannot revive a missed month.
        if calendar.local_date(paused_at) > months_after(start, months, calendar):
            break
        if resumed_at is None:
            return None
        start = calendar.local_date(resumed_at)
    return start


def statutory_clock(
    calendar: Calendar,
    received_at: datetime,
    *,
    pauses: Sequence[Pause] = (),
    extended: bool = False,
    completed_at: datetime | None = None,
    now: datetime,
) -> Clock:
    """One month from receipt (GDPR Art. 12(3)), or three when extended.

    Receipt is when the request reaches an official channel, whatever the day or hour
    (EDPB §159); the extension runs from the same start, never chained (ICO).
    """
    months = 3 if extended else 1
    start = _statutory_start(calendar, received_at, pauses, months)
    if start is None:
        return Clock("statutory", None, None, ClockState.PAUSED, None, extended)
    due = months_after(start, months, calendar)
    return _settle("statutory", calendar, start, due, completed_at=completed_at, now=now, extended=extended)


def extension_allowed(
    calendar: Calendar, received_at: datetime, *, pauses: Sequence[Pause] = (), now: datetime
) -> bool:
    """Whether the two-month extension may still be notified.

    Art. 12(3): the subject must be told "within one month of receipt", so only until
    the first month's (rolled) due date, and not while the clock is paused.
    """
    clock = statutory_clock(calendar, received_at, pauses=pauses, now=now)
    return clock.due is not None and calendar.local_date(now) <= clock.due


def processor_sla_clock(
    calendar: Calendar,
    instructed_at: datetime | None,
    *,
    working_days: int = 3,
    cutoff: time | None = None,
    completed_at: datetime | None = None,
    now: datetime,
) -> Clock | None:
    """Contractual working-day SLA from the controller's instruction; None before one.

    GDPR sets no processor deadline (Art. 28(3)(e) only says "assist"), so the period
    and the cut-off come from the contract.
    """
    if instructed_at is None:
        return None
    start = instruction_start_date(instructed_at, calendar, cutoff)
    due = working_days_after(start, working_days, calendar)
    return _settle("processor_sla", calendar, start, due, completed_at=completed_at, now=now)


def forwarding_clock(
    calendar: Calendar,
    received_at: datetime,
    *,
    working_days: int = 1,
    completed_at: datetime | None = None,
    now: datetime,
) -> Clock:
    """Internal target for passing a request on ("as soon as possible"; DESIGN §5)."""
    start = calendar.local_date(received_at)
    due = working_days_after(start, working_days, calendar)
    return _settle("forwarding", calendar, start, due, completed_at=completed_at, now=now)


def _moving_holidays(calendar: Calendar, first: date, last: date) -> dict[date, str]:
    """Public holidays on otherwise-working days in [first, last]: each moved a due date."""
    found: dict[date, str] = {}
    day = first
    while day <= last:
        name = calendar.holiday_name(day)
        if name and not calendar.is_weekend(day):  # a holiday on a Sunday moves nothing
            found[day] = name
        day += timedelta(days=1)
    return found


def deadlines(
    calendar: Calendar,
    received_at: datetime,
    *,
    sla_working_days: int = 3,
    forwarding_working_days: int = 1,
    cutoff: time | None = None,
) -> dict[str, Any]:
    """Every due date of a request received at `received_at`, JSON-ready.

    `holidays_skipped` lists the public holidays that pushed a due date later: those
    between a month period's nominal end and its rolled end, and those inside a
    working-day period.
    """
    received_on = calendar.local_date(received_at)
    sla_start = instruction_start_date(received_at, calendar, cutoff)
    dues = {
        "statutory_due": months_after(received_on, 1, calendar),
        "extended_due": months_after(received_on, 3, calendar),
        "processor_sla_due": working_days_after(sla_start, sla_working_days, calendar),
        "forwarding_due": working_days_after(received_on, forwarding_working_days, calendar),
    }
    skipped: dict[date, str] = {}
    for months, key in ((1, "statutory_due"), (3, "extended_due")):
        nominal = received_on + relativedelta(months=months)
        skipped |= _moving_holidays(calendar, nominal, dues[key] - timedelta(days=1))
    skipped |= _moving_holidays(calendar, sla_start + timedelta(days=1), dues["processor_sla_due"])
    skipped |= _moving_holidays(calendar, received_on + timedelta(days=1), dues["forwarding_due"])
    return {
        "received": calendar.local_datetime(received_at).isoformat(),
        "received_local_date": received_on.isoformat(),
        "timezone": calendar.timezone,
        "country": calendar.country,
        "subdivision": calendar.subdivision,
        **{key: day.isoformat() for key, day in dues.items()},
        "holidays_skipped": [
            {"date": day.isoformat(), "name": name} for day, name in sorted(skipped.items())
        ],
    }
