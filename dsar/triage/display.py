"""How the staff pages show clocks and requests: pure functions, no database."""
from __future__ import annotations

from dsar.clocks import Clock
from dsar.clocks.clock import ClockState

CLOCK_NAMES = {"statutory": "Answer to the subject", "processor_sla": "Processor SLA", "forwarding": "Forwarding"}


def clock_badge(clock: Clock) -> tuple[str, str]:
    """(colour, text) of a clock: overdue red, 3 days or less amber, else green; paused grey."""
    if clock.state is ClockState.PAUSED:
        return "grey", "paused"
    if clock.days_left is None:  # completed
        return ("grey", "met") if clock.state is ClockState.MET else ("red", "missed")
    days = clock.days_left
    if days < 0:
        return "red", f"{-days} day{'s' if days != -1 else ''} overdue"
    if days <= 3:
        return "amber", "due today" if days == 0 else f"{days} day{'s' if days != 1 else ''} left"
    return "green", f"{days} days left"


def flags(request) -> list[str]:
    """Short flags of a queue row: a likely duplicate, a chased request."""
    found = []
    if request.suspected_duplicate_of_id is not None:
        found.append("likely duplicate")
    if request.chased_at is not None:
        found.append("chased")
    return found
