"""How far fulfilment has gone: done/total, and each system's tasks, for API and queue."""
from __future__ import annotations

from sqlalchemy import func, select

from dsar.extensions import db
from dsar.models import Task
from dsar.models.task import FINISHED


def summaries(request_ids: list[int]) -> dict[int, dict]:
    """{request id: {"total", "done", "failed", "waiting", "running"}} in one query."""
    out: dict[int, dict] = {}
    if not request_ids:
        return out
    rows = db.session.execute(
        select(Task.request_id, Task.status, func.count()).where(Task.request_id.in_(request_ids))
        .group_by(Task.request_id, Task.status))
    for request_id, status, count in rows:
        entry = out.setdefault(request_id, {"total": 0, "finished": 0, "done": 0, "failed": 0,
                                            "waiting": 0, "in_progress": 0})
        entry["total"] += count
        if status in FINISHED:
            entry["finished"] += count
            entry[status] += count
        elif status == "waiting":
            entry["waiting"] += count
        else:
            entry["in_progress"] += count
    return out


def empty() -> dict:
    return {"total": 0, "finished": 0, "done": 0, "failed": 0, "waiting": 0, "in_progress": 0}


def task_dict(task: Task) -> dict:
    """One task as the API and pages show it (never the records' content)."""
    result = task.result or {}
    return {
        "id": task.id, "request": task.request.reference if task.request else None,
        "system": task.system_id, "action": task.action, "status": task.status,
        "outcome": task.outcome, "attempts": task.attempts, "error": task.error,
        "counts": result.get("counts", {}), "notes": result.get("notes", []),
        "records": result.get("records", []), "waiting": result.get("waiting"),
        "export": result.get("export"), "claimed_by": task.claimed_by,
        "created_at": _iso(task.created_at), "started_at": _iso(task.started_at),
        "finished_at": _iso(task.finished_at), "next_attempt_at": _iso(task.next_attempt_at),
        "lease_until": _iso(task.lease_until),
    }


def _iso(value):
    return value.isoformat() if value else None
