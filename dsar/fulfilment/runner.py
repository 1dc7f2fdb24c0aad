"""Running one task through its connector, recording what it did, settling its request.

A run is safe to repeat and to interrupt:
- `claim` takes the task with one conditional UPDATE (queued, or due for a retry, or
  running under an expired lease: its worker died), so two workers never run it at once;
- the connector's actions are idempotent, and the SQL connector writes in one
  transaction, so a run killed half-way is simply run again;
- `finish` writes the result only if this run still holds the task (same attempt), and
  records it as an audit event under the request's lock; the last task to finish moves
  the request to `fulfilled`, or `partially_fulfilled` when one failed for good.

Transient failures (RetryLater, a timeout, an unexpected error) are retried with
exponential backoff and jitter, honouring a vendor's Retry-After, up to
`TASK_MAX_ATTEMPTS`; anything else fails the task at once with its message.
"""
from __future__ import annotations

import json
import logging
import os
import random
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import func, or_, select, update

from dsar import audit, connectors
from dsar.connectors.base import (BLOCKED_BY_RETENTION, FOUND, NOT_FOUND, NOT_SUPPORTED, RESTRICTED, ActionResult, ConnectorError,
                                  RetryLater, Subject, TaskContext)
from dsar.extensions import db
from dsar.fulfilment.plan import retention_block
from dsar.fulfilment.results import dump_result
from dsar.models import Request, Role, Task
from dsar.models.task import DONE, FAILED, FINISHED, QUEUED, RETRYING, RUNNING, WAITING
from dsar.permissions import Principal
from dsar.timeutil import now as current_time

log = logging.getLogger(__name__)

# Automatic steps of fulfilment are recorded as this bot's.
FULFILMENT = Principal(Role.BOT, None, "fulfilment")
RETRY_CAP = 3600.0  # seconds: the longest backoff between two attempts


class TaskNotWaiting(Exception):
    """A report for a task that is not waiting for one (already reported, or never handed out)."""


def run(task_id: int, *, worker: str = "in-process") -> str:
    """Run task `task_id` once if it is due; return what became of it."""
    now = current_time()
    attempt = claim(task_id, worker, now)
    if attempt is None:
        return "skipped"
    task = db.session.get(Task, task_id)
    request, system = task.request, task.system
    subject = _subject(request)
    context = TaskContext(task_id=task.id, action=task.action, attempt=attempt, reference=request.reference,
                          system_id=system.id, system_name=system.name, owner_email=system.owner_email,
                          controller=request.controller.name if request.controller else "",
                          due=request.statutory_due)
    try:
        result = _act(task, system, request, subject, context)
    except RetryLater as exc:
        return _retry(task_id, attempt, str(exc), exc.delay)
    except ConnectorError as exc:
        return _finish(task_id, attempt, FAILED, None, str(exc))
    except Exception as exc:  # noqa: BLE001 — a bug or a timeout: retried, then failed visibly
        log.exception("task %s (%s on %s) raised", task_id, task.action, task.system_id)
        db.session.rollback()
        return _retry(task_id, attempt, f"unexpected error: {type(exc).__name__}: {exc}"[:500], None)
    if result.waiting:
        return _finish(task_id, attempt, WAITING, result, None)
    if attempt > 1 and result.overall == NOT_FOUND and task.action == "erase":
        result.notes.append(f"nothing left to erase on attempt {attempt}: an interrupted earlier "
                            "attempt may already have erased it")
    export = _write_export(request.reference, system.id, result) if task.action == "export" else None
    return _finish(task_id, attempt, DONE, result, None, export=export)


def claim(task_id: int, worker: str, now: datetime) -> int | None:
    """Take the task for one run; its attempt number, or None if it is not ours to run."""
    timeout = current_app.config["TASK_TIMEOUT"]
    due = or_(Task.next_attempt_at.is_(None), Task.next_attempt_at <= now)
    statement = (
        update(Task)
        .where(Task.id == task_id,
               or_(Task.status.in_((QUEUED, RETRYING)) & due,
                   (Task.status == RUNNING) & (Task.lease_until < now)))
        .values(status=RUNNING, attempts=Task.attempts + 1, started_at=now, claimed_by=worker[:120],
                lease_until=now + timedelta(seconds=timeout + 5), next_attempt_at=None)
        .returning(Task.attempts)
        .execution_options(synchronize_session=False)
    )
    attempt = db.session.execute(statement).scalar_one_or_none()
    db.session.commit()
    return attempt


def _subject(request: Request) -> Subject:
    identities: dict[str, list[str]] = {}
    for identity in request.identities:
        identities.setdefault(identity.kind, []).append(identity.value)
    return Subject(request.reference, identities, dict(request.corrections or {}))


def _act(task: Task, system, request: Request, subject: Subject, context: TaskContext) -> ActionResult:
    """Call the connector, or say why it was not called."""
    if task.action not in system.actions:
        return ActionResult.not_supported(
            f"the register does not list {task.action!r} for {system.name}; actions there: "
            f"{', '.join(system.actions) or 'none'}")
    searchable = {k: v for k, v in subject.identities.items() if k in system.identity_fields}
    if not searchable:
        return ActionResult(outcome=NOT_FOUND, notes=[
            f"not searched: the request gives none of the identifiers {system.name} is searched by "
            f"({', '.join(system.identity_fields)})"])
    subject = Subject(subject.reference, searchable, subject.corrections)
    block = retention_block(request, system) if task.action == "erase" else None
    connector = connectors.build(system)
    connector.context = context
    db.session.commit()  # end the read transaction: a vendor call may take seconds
    if block is None:
        return getattr(connector, task.action)(subject)
    return _blocked_erasure(connector, system, subject, block)


def _blocked_erasure(connector, system, subject: Subject, activity) -> ActionResult:
    """Art. 17(3)(b): a legal duty to keep the data turns erasure into restriction."""
    result = connector.restrict(subject) if "restrict" in system.actions else None
    restricted = result is not None and result.overall != NOT_SUPPORTED
    if not restricted:
        result = connector.access(subject)
    for record in result.records:
        if record.outcome in (RESTRICTED, FOUND):
            record.detail = "kept and restricted" if restricted else "kept; this system cannot restrict it"
            record.outcome = BLOCKED_BY_RETENTION
    result.outcome = BLOCKED_BY_RETENTION if result.records else result.outcome
    result.notes.insert(0, f"erasure blocked by the retention duty of {activity.purpose!r} "
                           f"({activity.retention}): the records are kept"
                           + (" and restricted" if restricted else ""))
    return result


def _write_export(reference: str, system_id: str, result: ActionResult) -> dict:
    """Write the exported records to the request's export folder (atomic replace, so a
    second run overwrites the first); the access package is built from these files."""
    folder = Path(current_app.config["EXPORT_DIR"]) / reference
    folder.mkdir(parents=True, exist_ok=True)
    records = [{"kind": r.kind, "id": r.id, "outcome": r.outcome, "data": r.data} for r in result.records]
    handle, temp = tempfile.mkstemp(dir=folder, prefix=f".{system_id}.", suffix=".json")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        json.dump({"reference": reference, "system": system_id, "records": records, "notes": result.notes},
                  out, ensure_ascii=False, default=str)
    target = folder / f"{system_id}.json"
    os.replace(temp, target)
    return {"file": f"{reference}/{target.name}", "records": len(records)}


def _retry(task_id: int, attempt: int, error: str, delay: float | None) -> str:
    if attempt >= current_app.config["TASK_MAX_ATTEMPTS"]:
        return _finish(task_id, attempt, FAILED, None, f"{error} (gave up after {attempt} attempts)")
    if delay is None:
        base = current_app.config["TASK_RETRY_BASE"]
        delay = random.uniform(base, base * 2 ** attempt)  # exponential, jittered
    delay = min(max(delay, 0.0), RETRY_CAP)
    return _finish(task_id, attempt, RETRYING, None, error, retry_in=delay)


def _finish(task_id: int, attempt: int, status: str, result: ActionResult | None, error: str | None, *,
            export: dict | None = None, retry_in: float | None = None) -> str:
    """Store the run's end if this run still holds the task; settle the request."""
    now = current_time()
    task = db.session.get(Task, task_id)
    request = db.session.scalars(
        select(Request).where(Request.id == task.request_id).with_for_update()
        .execution_options(populate_existing=True)).one()
    values = {"status": status, "error": error, "lease_until": None,
              "finished_at": now if status in FINISHED else None,
              "next_attempt_at": now + timedelta(seconds=retry_in) if retry_in is not None else None}
    if result is not None:
        values.update(outcome=None if result.waiting else result.overall,
                      result=dump_result(result, **({"export": export} if export else {}),
                                         **({"waiting": result.waiting} if result.waiting else {})))
    held = db.session.execute(
        update(Task).where(Task.id == task_id, Task.attempts == attempt, Task.status == RUNNING)
        .values(**values).execution_options(synchronize_session=False)).rowcount
    if not held:  # a longer-lived duplicate run already took over: its result stands
        db.session.rollback()
        return "superseded"
    _record(request, task, status, values, now)
    _settle(request, now)
    return status


def _record(request: Request, task: Task, status: str, values: dict, now: datetime) -> None:
    if status == RETRYING:
        return  # retries are visible on the task; the trail records what was done
    data = {"task": task.id, "system": task.system_id, "action": task.action}
    if status == DONE or status == WAITING:
        data.update({k: values["result"][k] for k in ("outcome", "counts", "notes") if values["result"].get(k)})
        if status == WAITING:
            data["waiting"] = values["result"]["waiting"]
    else:
        data["error"] = values["error"]
    audit.record(request, actor=FULFILMENT.actor, kind=f"task_{status}", at=now, data=data)


def _settle(request: Request, now: datetime) -> None:
    """Commit; if every task of the request has finished, complete it (partially if one failed)."""
    counts = dict(db.session.execute(
        select(Task.status, func.count()).where(Task.request_id == request.id).group_by(Task.status)).all())
    unfinished = sum(n for s, n in counts.items() if s not in FINISHED)
    if unfinished or request.status != "in_fulfilment":
        db.session.commit()
        return
    from dsar.requests.service import perform

    failed = counts.get(FAILED, 0)
    action = "complete_partially" if failed else "complete"
    summary = (f"{failed} of {sum(counts.values())} tasks failed" if failed
               else f"all {sum(counts.values())} tasks done")
    perform(request.reference, action, FULFILMENT, {"summary": summary}, now=now)  # commits


def report(task_id: int, result: ActionResult, actor: str) -> Task:
    """Record the result a person or outside program reports for a waiting task, and
    settle its request. Raises TaskNotWaiting when the task is not waiting for one."""
    now = current_time()
    task = db.session.get(Task, task_id)
    if task is None:
        raise TaskNotWaiting("no such task")
    request = db.session.scalars(
        select(Request).where(Request.id == task.request_id).with_for_update()
        .execution_options(populate_existing=True)).one()
    db.session.refresh(task)
    if task.status != WAITING:
        db.session.rollback()
        raise TaskNotWaiting(f"task {task_id} is {task.status}, not waiting for a result")
    values = {"status": DONE, "error": None, "lease_until": None, "finished_at": now, "claimed_by": actor[:120],
              "outcome": result.overall, "result": dump_result(result, reported_by=actor)}
    if task.action == "export":
        values["result"]["export"] = _write_export(request.reference, task.system_id, result)
    for key, value in values.items():
        setattr(task, key, value)
    audit.record(request, actor=actor, kind="task_done", at=now, data={
        "task": task.id, "system": task.system_id, "action": task.action, "outcome": result.overall,
        **({"notes": result.notes} if result.notes else {})})
    _settle(request, now)
    return task
