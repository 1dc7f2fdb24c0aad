"""Running one task through its connector, and settling its request (being written)."""
from __future__ import annotations

from dsar.connectors.base import ActionResult


def report(task_id: int, result: ActionResult, actor: str) -> None:
    """Record the result a person or outside program reports for a waiting task, and
    settle its request. Raises `TaskNotWaiting` when the task is not waiting any more."""
    raise NotImplementedError


class TaskNotWaiting(Exception):
    """A report for a task that is not waiting for one (already reported, or never handed out)."""
