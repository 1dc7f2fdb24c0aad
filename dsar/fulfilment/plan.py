"""Which tasks an approved request needs: one per (system, action), from the register.

The systems are those of the controller's processing activities; the action follows
from each right asked for. A task is planned even where the register says the system
cannot do the action, so the processor's report says so instead of leaving it out.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from dsar.extensions import db
from dsar.models import ProcessingActivity, Request, System, Task, activity_systems
from dsar.models.task import QUEUED

# The task that each right asks of a system. Objection (Art. 21) stops processing for
# marketing: suppression where the system offers it, else restriction (Art. 18(1)(d)).
# Review of an automated decision (Art. 22(3)) needs the data it was based on found,
# for the person reviewing it; access and portability need it exported.
RIGHT_ACTIONS = {
    "access": ("export",),
    "portability": ("export",),
    "rectification": ("rectify",),
    "erasure": ("erase",),
    "restriction": ("restrict",),
    "objection": ("suppress", "restrict"),
    "automated_decision": ("access",),
}


def systems_in_scope(request: Request) -> list[System]:
    """The systems of the controller's processing activities, in id order (one query)."""
    if request.controller_id is None:
        return []
    in_scope = (select(activity_systems.c.system_id)
                .join(ProcessingActivity, ProcessingActivity.id == activity_systems.c.activity_id)
                .where(ProcessingActivity.controller_id == request.controller_id))
    return list(db.session.scalars(select(System).where(System.id.in_(in_scope)).order_by(System.id)))


def action_for(right: str, system: System) -> str:
    """The action a right asks of `system`: the first of its choices the system offers."""
    choices = RIGHT_ACTIONS[right]
    return next((a for a in choices if a in system.actions), choices[0])


def retention_block(request: Request, system: System) -> ProcessingActivity | None:
    """The activity whose retention duty forbids erasing from `system`, if any."""
    if request.controller_id is None:
        return None
    return db.session.scalars(
        select(ProcessingActivity).where(ProcessingActivity.controller_id == request.controller_id,
                                         ProcessingActivity.retention_blocks_erasure.is_(True),
                                         ProcessingActivity.systems.any(System.id == system.id))
        .order_by(ProcessingActivity.slug).limit(1)
    ).first()


def plan_tasks(request: Request, now: datetime) -> list[Task]:
    """Add the request's missing tasks to the session (existing ones are kept as they are)."""
    existing = {(t.system_id, t.action) for t in db.session.scalars(select(Task).where(Task.request_id == request.id))}
    planned: list[Task] = []
    for system in systems_in_scope(request):
        for action in dict.fromkeys(action_for(right, system) for right in request.rights):
            if (system.id, action) in existing:
                continue
            task = Task(request_id=request.id, system_id=system.id, action=action, status=QUEUED,
                        attempts=0, created_at=now)
            db.session.add(task)
            planned.append(task)
    return planned
