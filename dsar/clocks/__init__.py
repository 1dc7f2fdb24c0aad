"""Legal clocks: GDPR Art. 12(3) deadlines, processor SLAs and forwarding targets.

Pure date arithmetic under Reg. 1182/71 on a per-controller working-day calendar; see
DESIGN §5. No database and no Flask app needed.
"""
from dsar.clocks.calendar import Calendar, validate_calendar
from dsar.clocks.clock import (
    Clock,
    ClockState,
    deadlines,
    extension_allowed,
    forwarding_clock,
    processor_sla_clock,
    statutory_clock,
)
from dsar.clocks.periods import months_after, working_days_after

__all__ = [
    "Calendar",
    "Clock",
    "ClockState",
    "deadlines",
    "extension_allowed",
    "forwarding_clock",
    "months_after",
    "processor_sla_clock",
    "statutory_clock",
    "validate_calendar",
    "working_days_after",
]
