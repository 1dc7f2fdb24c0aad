"""Period arithmetic under Regulation (EEC, Euratom) 1182/71, applied to GDPR time limits.

The day of the event is never counted (Art. 3(1) second paragraph). The EDPB applies these
rules to GDPR periods (Guidelines 01/2022 §160–161).
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from dateutil.relativedelta import relativedelta

from dsar.clocks.calendar import Calendar


def months_after(start: date, months: int, calendar: Calendar) -> date:
    """Last day of a period of `months` months running from `start`.

    Art. 3(2)(c): the period ends on the same date in the last month, or on that month's
    last day when it has no such date (relativedelta clamps 31 Jan + 1 month to 28/29 Feb).
    Art. 3(4): a period ending on a Saturday, Sunday or public holiday ends on the next
    working day.
    """
    if months < 0:
        raise ValueError(f"number of months must be >= 0, got {months}")
    # One step from the start, never chained: 31 Jan + 3 months is 30 Apr, whereas
    # (+1) then (+2) would give 28 Apr (ICO: an extension runs from the original start).
    return calendar.roll_forward(start + relativedelta(months=months))


def working_days_after(start: date, n: int, calendar: Calendar) -> date:
    """Last day of a period of `n` working days running from `start` (Art. 3(3)).

    Counts whole working days after `start`; the result is always a working day, so
    Art. 3(4) has nothing left to move. n = 0 rolls `start` forward to a working day.
    """
    return calendar.add_working_days(start, n)


def instruction_start_date(instructed_at: datetime, calendar: Calendar, cutoff: time | None) -> date:
    """The day from which a processor's working-day SLA runs (not itself counted).

    The local date of the instruction; with a contractual `cutoff` (off by default: GDPR
    sets no processor deadline, Art. 28(3)(e)), an instruction at or after the cut-off
    time counts as received on the next working day (DESIGN §5), so a Friday-evening
    instruction runs from Monday, not from Saturday.
    """
    local = calendar.local_datetime(instructed_at)
    if cutoff is not None and local.time() >= cutoff:
        return calendar.roll_forward(local.date() + timedelta(days=1))
    return local.date()
