"""The clocks of one request, computed from its row and its controller's calendar."""
from __future__ import annotations

from datetime import datetime, time

from dsar.clocks import Clock, forwarding_clock, processor_sla_clock, statutory_clock
from dsar.clocks.calendar import Calendar
from dsar.models import Controller, Request
from dsar.models.request import NO_DUE_DATE


def _cutoff(controller: Controller) -> time | None:
    return time.fromisoformat(controller.processor_sla_cutoff) if controller.processor_sla_cutoff else None


def request_clocks(request: Request, operator: Controller, now: datetime) -> dict[str, Clock]:
    """Every clock that applies to `request` as of `now`.

    The statutory month always runs (it is the controller's, counted from the first
    receipt anywhere in the chain). The processor SLA runs when the operator processes
    for a client, from the client's instruction. Forwarding runs when a subject wrote to
    the operator about a client's processing (or nobody knows whose yet).
    """
    controller = request.controller
    calendar: Calendar = (controller or operator).calendar
    finished_at = request.answered_at or request.closed_at
    clocks = {
        "statutory": statutory_clock(
            calendar, request.received_at,
            pauses=[(p.started_at, p.ended_at) for p in request.pauses],
            extended=request.extended, completed_at=finished_at, now=now,
        )
    }
    if controller is not None and not controller.is_operator:
        sla = processor_sla_clock(
            calendar, request.instructed_at, working_days=controller.processor_sla_working_days,
            cutoff=_cutoff(controller), completed_at=request.fulfilled_at or request.closed_at, now=now,
        )
        if sla is not None:
            clocks["processor_sla"] = sla
    if (controller is None or not controller.is_operator) and not request.via_controller:
        clocks["forwarding"] = forwarding_clock(
            calendar, request.received_at,
            working_days=(controller or operator).forwarding_working_days,
            completed_at=request.forwarded_at or request.closed_at, now=now,
        )
    return clocks


def urgency(clocks: dict[str, Clock]) -> tuple:
    """(nearest due date of a clock still ticking, statutory due) for the denormalised columns."""
    ticking = [c.due for c in clocks.values() if c.days_left is not None and c.due is not None]
    return (min(ticking) if ticking else NO_DUE_DATE), clocks["statutory"].due
