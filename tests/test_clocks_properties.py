"""Property tests of the period rules, checked against an independent working-day oracle.

The oracle is plain Reg. 1182/71 Art. 2(2): Monday to Friday and not in the holidays
package's list for the place; month ends are clamped with `calendar.monthrange`.
"""
import calendar as stdlib_calendar
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import holidays
from hypothesis import given, settings
from hypothesis import strategies as st

from dsar.clocks import Calendar, months_after, processor_sla_clock, statutory_clock, working_days_after
from dsar.clocks.periods import instruction_start_date

CALENDARS = [
    Calendar("FR", None, "Europe/Paris"),
    Calendar("ES", "MD", "Europe/Madrid"),
    Calendar("DE", "BY", "Europe/Berlin"),
    Calendar("GB", "ENG", "Europe/London"),
    Calendar("IE", None, "Europe/Dublin"),
]
HOLIDAYS = {c: holidays.country_holidays(c.country, subdiv=c.subdivision) for c in CALENDARS}
ZONES = [ZoneInfo(z) for z in ("UTC", "Europe/Paris", "America/New_York", "Asia/Tokyo",
                               "Pacific/Kiritimati", "Pacific/Pago_Pago")]

FAST = settings(max_examples=150, deadline=None, database=None)
calendars = st.sampled_from(CALENDARS)
days = st.dates(min_value=date(2000, 1, 1), max_value=date(2060, 12, 31))
instants = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2060, 12, 31), timezones=st.sampled_from(ZONES)
)


def working(cal: Calendar, day: date) -> bool:
    return day.weekday() < 5 and day not in HOLIDAYS[cal]


def same_date_later(start: date, months: int) -> date:
    """Art. 3(2)(c) by hand: same day of the month, or the month's last day."""
    year, month = divmod(start.month - 1 + months, 12)
    year, month = start.year + year, month + 1
    return date(year, month, min(start.day, stdlib_calendar.monthrange(year, month)[1]))


@FAST
@given(calendars, days, st.sampled_from([1, 3]))
def test_month_period_ends_on_the_first_working_day_from_the_same_date(
    cal: Calendar, start: date, months: int
) -> None:
    due = months_after(start, months, cal)
    nominal = same_date_later(start, months)
    assert working(cal, due)
    assert nominal <= due <= nominal + timedelta(days=7)
    # Rolled no further than needed: every day skipped is a weekend day or a holiday.
    assert not any(working(cal, nominal + timedelta(days=i)) for i in range((due - nominal).days))


@FAST
@given(calendars, days)
def test_extended_due_is_after_statutory_due(cal: Calendar, start: date) -> None:
    assert months_after(start, 3, cal) > months_after(start, 1, cal)


@FAST
@given(calendars, days, st.integers(min_value=1, max_value=15))
def test_working_day_period_holds_exactly_n_working_days(cal: Calendar, start: date, n: int) -> None:
    due = working_days_after(start, n, cal)
    assert due > start and working(cal, due)
    span = [start + timedelta(days=i) for i in range(1, (due - start).days + 1)]
    assert sum(working(cal, day) for day in span) == n


@FAST
@given(calendars, instants, st.integers(min_value=-30 * 60, max_value=30 * 60), st.sampled_from(ZONES))
def test_statutory_due_depends_only_on_the_local_date(
    cal: Calendar, first: datetime, minutes: int, zone: ZoneInfo
) -> None:
    second = (first + timedelta(minutes=minutes)).astimezone(zone)
    now = first
    due_first = statutory_clock(cal, first, now=now).due
    due_second = statutory_clock(cal, second, now=now).due
    # The same instant written in another zone, or as naive UTC, changes nothing.
    assert statutory_clock(cal, first.astimezone(zone), now=now).due == due_first
    naive_utc = first.astimezone(timezone.utc).replace(tzinfo=None)
    assert statutory_clock(cal, naive_utc, now=now).due == due_first
    day_first, day_second = cal.local_date(first), cal.local_date(second)
    if day_first == day_second:
        assert due_first == due_second
    elif day_first < day_second:
        assert due_first <= due_second
    else:
        assert due_first >= due_second


@FAST
@given(
    calendars,
    instants,
    st.integers(min_value=1, max_value=10),
    st.none() | st.times(min_value=time(12), max_value=time(20)),
)
def test_processor_sla_due_is_a_working_day_after_the_start(
    cal: Calendar, instructed: datetime, n: int, cutoff: time | None
) -> None:
    clock = processor_sla_clock(cal, instructed, working_days=n, cutoff=cutoff, now=instructed)
    assert clock is not None and clock.due is not None and clock.started_on is not None
    local = cal.local_datetime(instructed)
    assert clock.started_on == instruction_start_date(instructed, cal, cutoff)
    late = cutoff is not None and local.time() >= cutoff
    # Late instructions count from the next working day (DESIGN §5).
    assert clock.started_on == (cal.roll_forward(local.date() + timedelta(days=1)) if late else local.date())
    assert working(cal, clock.due) and clock.due > clock.started_on
