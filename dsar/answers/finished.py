"""What fulfilment's end owes: `@when_finished` listeners, run as a request becomes
fulfilled or partially fulfilled, inside the transaction recording it (see
`audit.on_status_change`): the Art. 19 notices and the processor report use it.

Listeners get `tasks`, a function returning the request's tasks as the transaction now
has them (the last task's end may have been written a moment ago by a Core UPDATE, the
runner's `_finish`, that the session's objects have not seen): read at most once, and
only when a listener needs them (this runs as every request finishes).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from dsar import audit
from dsar.extensions import db
from dsar.models import Request, Task

FINISHED = ("fulfilled", "partially_fulfilled")
LISTENERS: list = []


def when_finished(listener):
    """Register `listener(request, tasks, at)`; returns it, so it can decorate."""
    if listener not in LISTENERS:
        LISTENERS.append(listener)
    return listener


@audit.on_status_change
def _on_change(request, from_status: str | None, to_status: str, at: datetime) -> None:
    if to_status not in FINISHED or not LISTENERS:
        return
    if not isinstance(request, Request):  # only its id and reference (the runner's settle)
        request = db.session.get(Request, request.id)
    loaded: list[list[Task]] = []

    def tasks() -> list[Task]:
        if not loaded:
            db.session.flush()
            loaded.append(list(db.session.scalars(
                select(Task).where(Task.request_id == request.id).order_by(Task.id)
                .execution_options(populate_existing=True))))
        return loaded[0]

    for listener in LISTENERS:
        listener(request, tasks, at)
