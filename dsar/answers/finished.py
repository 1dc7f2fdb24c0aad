"""What fulfilment's end owes: `@when_finished` listeners, run as a request becomes
fulfilled or partially fulfilled, inside the transaction recording it (see
`audit.on_status_change`): the Art. 19 notices and the processor report use it."""
from __future__ import annotations

from datetime import datetime

from dsar import audit
from dsar.extensions import db
from dsar.models import Request

FINISHED = ("fulfilled", "partially_fulfilled")


def when_finished(listener):
    """Register `listener(request: Request, at)`; returns it, so it can decorate."""

    def on_change(request, from_status: str | None, to_status: str, at: datetime) -> None:
        if to_status not in FINISHED:
            return
        if not isinstance(request, Request):  # only its id and reference (the runner's settle)
            request = db.session.get(Request, request.id)
        listener(request, at)

    on_change.__qualname__ = f"when_finished({listener.__qualname__})"
    audit.on_status_change(on_change)
    return listener
