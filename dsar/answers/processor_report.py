"""The processor's report to the controller (GDPR Art. 28(3)(e)–(h); DESIGN §9).

For one request: per system and action what was found, exported, corrected, restricted,
suppressed, erased, blocked by retention, or not found (the tasks' own results, record
by record, never their content), with timestamps; and whether the processor SLA (3
working days from the instruction, by default) was met.
"""
from __future__ import annotations

from dsar.models import Request
from dsar.requests import service


def build(request: Request) -> dict:
    """The report of `request`, as JSON-ready data."""
    clocks = service.clocks_of(request)
    sla = clocks.get("processor_sla")
    systems = []
    totals: dict[str, int] = {}
    for task in service.request_tasks(request):
        result = task.result or {}
        for outcome, count in (result.get("counts") or {}).items():
            totals[outcome] = totals.get(outcome, 0) + count
        system = task.system
        systems.append({
            "system": task.system_id, "name": system.name, "processor": system.processor,
            "location": system.location, "action": task.action, "status": task.status,
            "outcome": task.outcome, "counts": result.get("counts") or {},
            "records": result.get("records") or [], "notes": result.get("notes") or [],
            "error": task.error, "waiting": result.get("waiting"),
            "started_at": _iso(task.started_at), "finished_at": _iso(task.finished_at),
        })
    return {
        "reference": request.reference,
        "controller": request.controller_id,
        "rights": request.rights,
        "status": request.status,
        "instructed_at": _iso(request.instructed_at),
        "fulfilled_at": _iso(request.fulfilled_at),
        "processor_sla": {**sla.as_dict(), "met": str(sla.state) == "met"} if sla else None,
        "outcomes": totals,
        "systems": systems,
    }


def _iso(value):
    return value.isoformat() if value else None
