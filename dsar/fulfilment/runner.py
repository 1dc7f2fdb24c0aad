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
from types import SimpleNamespace

from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.orm import joinedload

from dsar import audit, connectors
from dsar.audit.chain import GENESIS
from dsar.connectors.base import (BLOCKED_BY_RETENTION, FOUND, NOT_FOUND, NOT_SUPPORTED, RESTRICTED, ActionResult, ConnectorError,
                                  RetryLater, Subject, TaskContext)
from dsar.extensions import db
from dsar.fulfilment.plan import retention_block
from dsar.fulfilment.results import dump_result
from dsar.models import Controller, Event, Request, Role, SubjectIdentity, System, Task
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
    attempt = _claim(task_id, worker, now)
    if attempt is None:
        db.session.commit()
        return "skipped"
    task, request, system = _load(task_id)
    block = retention_block(request, system) if task.action == "erase" else None
    db.session.commit()  # the claim, before the connector runs: a vendor call may take seconds
    action, reference, system_id = task.action, request.reference, system.id
    subject = Subject(reference, request.identities, dict(request.corrections or {}))
    context = TaskContext(task_id=task_id, action=action, attempt=attempt, reference=reference,
                          system_id=system_id, system_name=system.name, owner_email=system.owner_email,
                          controller=request.controller_name or "", due=request.statutory_due)
    try:
        result = _act(task, system, subject, context, block)
    except RetryLater as exc:
        return _retry(task, attempt, str(exc), exc.delay)
    except ConnectorError as exc:
        return _finish(task, attempt, FAILED, None, str(exc))
    except Exception as exc:  # noqa: BLE001 — a bug or a timeout: retried, then failed visibly
        log.exception("task %s (%s on %s) raised", task_id, action, system_id)
        db.session.rollback()
        return _retry(task, attempt, f"unexpected error: {type(exc).__name__}: {exc}"[:500], None)
    if result.waiting:
        return _finish(task, attempt, WAITING, result, None)
    if attempt > 1 and result.overall == NOT_FOUND and action == "erase":
        result.notes.append(f"nothing left to erase on attempt {attempt}: an interrupted earlier "
                            "attempt may already have erased it")
    export = _write_export(reference, system_id, result) if action == "export" else None
    return _finish(task, attempt, DONE, result, None, export=export)


def claim(task_id: int, worker: str, now: datetime) -> int | None:
    """Take the task for one run; its attempt number, or None if it is not ours to run."""
    attempt = _claim(task_id, worker, now)
    db.session.commit()
    return attempt


# The statements of every run, built once (Core, on the tables: building an ORM
# statement again for each task costs more than running it).
_tasks, _requests, _systems = Task.__table__, Request.__table__, System.__table__
_controllers, _identities, _events = Controller.__table__, SubjectIdentity.__table__, Event.__table__
_siblings = _tasks.alias("siblings")
_NOW = bindparam("now", type_=_tasks.c.started_at.type)

_CLAIM = (
    update(_tasks)
    .where(_tasks.c.id == bindparam("task_id"),
           or_(_tasks.c.status.in_((QUEUED, RETRYING))
               & or_(_tasks.c.next_attempt_at.is_(None), _tasks.c.next_attempt_at <= _NOW),
               (_tasks.c.status == RUNNING) & (_tasks.c.lease_until < _NOW)))
    .values(status=RUNNING, attempts=_tasks.c.attempts + 1, started_at=_NOW, claimed_by=bindparam("worker"),
            lease_until=bindparam("lease_until", type_=_tasks.c.lease_until.type), next_attempt_at=None)
    .returning(_tasks.c.attempts)
)

_LOAD = (
    select(_tasks.c.request_id, _tasks.c.system_id, _tasks.c.action,
           _requests.c.reference, _requests.c.controller_id, _requests.c.corrections, _requests.c.statutory_due,
           _controllers.c.name.label("controller_name"),
           _identities.c.kind.label("identity_kind"), _identities.c.value.label("identity_value"),
           select(func.count()).select_from(_siblings).where(_siblings.c.request_id == _tasks.c.request_id)
           .scalar_subquery().label("tasks_of_request"),
           *(c.label(f"system__{c.name}") for c in _systems.c))
    .select_from(_tasks.join(_requests, _requests.c.id == _tasks.c.request_id)
                 .join(_systems, _systems.c.id == _tasks.c.system_id)
                 .outerjoin(_controllers, _controllers.c.id == _requests.c.controller_id)
                 .outerjoin(_identities, _identities.c.request_id == _requests.c.id))
    .where(_tasks.c.id == bindparam("task_id"))
    .order_by(_identities.c.id)
)

_LOCK = (select(_requests.c.reference, _requests.c.status).where(_requests.c.id == bindparam("request_id"))
         .with_for_update())

_HELD = (_tasks.update()
         .where(_tasks.c.id == bindparam("task_id"), _tasks.c.attempts == bindparam("attempt"),
                _tasks.c.status == RUNNING))


def _tail_statement():
    request_id = bindparam("request_id")
    last = (select(_events.c.seq, _events.c.hash).where(_events.c.request_id == request_id)
            .order_by(_events.c.seq.desc()).limit(1))
    count = select(func.count()).select_from(_tasks).where(_tasks.c.request_id == request_id)
    return select(last.with_only_columns(_events.c.seq).scalar_subquery(),
                  last.with_only_columns(_events.c.hash).scalar_subquery(),
                  count.where(_tasks.c.status.not_in(FINISHED)).scalar_subquery(),
                  count.where(_tasks.c.status == FAILED).scalar_subquery(),
                  count.scalar_subquery())


_TAIL = _tail_statement()


def _claim(task_id: int, worker: str, now: datetime) -> int | None:
    """The conditional UPDATE that takes a task (queued, due for a retry, or running under
    an expired lease: its worker died), not yet committed."""
    lease_until = now + timedelta(seconds=current_app.config["TASK_TIMEOUT"] + 5)
    return db.session.execute(_CLAIM, {"task_id": task_id, "now": now, "worker": worker[:120],
                                       "lease_until": lease_until}).scalar_one_or_none()


def _load(task_id: int) -> tuple[SimpleNamespace, SimpleNamespace, SimpleNamespace]:
    """What a run needs of the claimed task, its request (identities, controller's name)
    and its system, in one query in the claim's transaction, as plain values."""
    rows = db.session.execute(_LOAD, {"task_id": task_id}).all()
    first = rows[0]
    task = SimpleNamespace(id=task_id, request_id=first.request_id, system_id=first.system_id,
                           action=first.action, alone=first.tasks_of_request == 1)
    identities: dict[str, list[str]] = {}
    for row in rows:
        if row.identity_kind is not None:
            identities.setdefault(row.identity_kind, []).append(row.identity_value)
    request = SimpleNamespace(id=first.request_id, reference=first.reference, controller_id=first.controller_id,
                              corrections=first.corrections, statutory_due=first.statutory_due,
                              controller_name=first.controller_name, identities=identities)
    system = SimpleNamespace(**{c.name: first._mapping[f"system__{c.name}"] for c in _systems.c})
    return task, request, system


def _act(task: Task, system, subject: Subject, context: TaskContext, block) -> ActionResult:
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
    connector = connectors.build(system)
    connector.context = context
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


def _retry(task, attempt: int, error: str, delay: float | None) -> str:
    if attempt >= current_app.config["TASK_MAX_ATTEMPTS"]:
        return _finish(task, attempt, FAILED, None, f"{error} (gave up after {attempt} attempts)")
    if delay is None:
        base = current_app.config["TASK_RETRY_BASE"]
        delay = random.uniform(base, base * 2 ** attempt)  # exponential, jittered
    delay = min(max(delay, 0.0), RETRY_CAP)
    return _finish(task, attempt, RETRYING, None, error, retry_in=delay)


def _finish(task, attempt: int, status: str, result: ActionResult | None, error: str | None, *,
            export: dict | None = None, retry_in: float | None = None) -> str:
    """Store the run's end if this run still holds the task; settle the request. One
    transaction: the task's end, then under the request's lock its audit event and the
    settlement. `task` is what `_load` read of it."""
    now = current_time()
    values = {"status": status, "error": error, "lease_until": None,
              "finished_at": now if status in FINISHED else None,
              "next_attempt_at": now + timedelta(seconds=retry_in) if retry_in is not None else None}
    if result is not None:
        values.update(outcome=None if result.waiting else result.overall,
                      result=dump_result(result, **({"export": export} if export else {}),
                                         **({"waiting": result.waiting} if result.waiting else {})))
    # The task's row first, outside the request's lock (which the request's other tasks
    # wait for as they finish): nobody who holds that lock waits for a running task's row.
    held = db.session.execute(_HELD.values(**values), {"task_id": task.id, "attempt": attempt}).rowcount
    if not held:  # a longer-lived duplicate run already took over: its result stands
        db.session.rollback()
        return "superseded"
    if status == RETRYING:  # retries are visible on the task; the trail records what was done
        db.session.commit()  # and the task is not finished: nothing to settle
        return status
    if task.alone:  # its request's only task when the run began: it will most likely settle it
        request = _lock(task.request_id)  # so lock and load the whole row at once
        head, counts = _tail(task.request_id)
    else:  # the reference and status are enough unless this run turns out to be the last
        locked = db.session.execute(_LOCK, {"request_id": task.request_id}).one()
        head, counts = _tail(task.request_id)  # under the lock: every other task's end is committed or not begun
        if counts["unfinished"] or locked.status != "in_fulfilment":
            # enough for its event, and for `_settle` to see there is nothing to settle
            request = SimpleNamespace(id=task.request_id, reference=locked.reference, status=locked.status)
        else:  # this run settles the request: the whole row, its controller and pauses for the clocks
            request = db.session.scalars(
                select(Request).where(Request.id == task.request_id)
                .options(joinedload(Request.controller), joinedload(Request.pauses))
                .execution_options(populate_existing=True)).unique().one()
    event = _record(request, task, status, values, now, head)
    _settle(request, now, counts, (event.seq, event.hash))
    return status


def _lock(request_id: int) -> Request:
    """The request row, locked for this transaction (its audit chain and settlement)."""
    return db.session.scalars(
        select(Request).where(Request.id == request_id).with_for_update(of=Request)
        .options(joinedload(Request.controller), joinedload(Request.pauses))
        .execution_options(populate_existing=True)).unique().one()


def _tail(request_id: int) -> tuple[tuple[int, str], dict[str, int]]:
    """Read under the request's lock, in one statement: the head of its audit chain
    (seq, hash) and how many of its tasks are unfinished, failed, and in all."""
    row = db.session.execute(_TAIL, {"request_id": request_id}).one()
    head = (row[0], row[1]) if row[0] is not None else (0, GENESIS)
    return head, {"unfinished": row[2], "failed": row[3], "all": row[4]}


def _record(request: Request, task, status: str, values: dict, now: datetime,
            head: tuple[int, str] | None = None) -> Event:
    data = {"task": task.id, "system": task.system_id, "action": task.action}
    if status == DONE or status == WAITING:
        data.update({k: values["result"][k] for k in ("outcome", "counts", "notes") if values["result"].get(k)})
        if status == WAITING:
            data["waiting"] = values["result"]["waiting"]
    else:
        data["error"] = values["error"]
    return audit.record(request, actor=FULFILMENT.actor, kind=f"task_{status}", at=now, data=data, chain_head=head)


def _settle(request: Request, now: datetime, counts: dict[str, int], head: tuple[int, str]) -> None:
    """Commit; if every task of the request has finished, complete it (partially if one
    failed) in the same transaction, under the request's lock. `head` is its audit chain's."""
    if counts["unfinished"] or request.status != "in_fulfilment":
        db.session.commit()
        return
    from dsar.requests.service import complete_fulfilment

    failed = counts["failed"]
    action = "complete_partially" if failed else "complete"
    summary = f"{failed} of {counts['all']} tasks failed" if failed else f"all {counts['all']} tasks done"
    complete_fulfilment(request, action, FULFILMENT, summary, now=now, chain_head=head)
    db.session.commit()


def report(task_id: int, result: ActionResult, actor: str, *, failed: str | None = None) -> Task:
    """Record the result a person or outside program reports for a waiting task, and
    settle its request. `failed` (why) ends the task failed instead of done: a refusal
    the controller must act on, which leaves the request partially fulfilled until staff
    run the task again or finish it by hand. Raises TaskNotWaiting when the task is not
    waiting for a report."""
    now = current_time()
    task = db.session.get(Task, task_id)
    if task is None:
        raise TaskNotWaiting("no such task")
    request = _lock(task.request_id)
    db.session.refresh(task)
    if task.status != WAITING:
        db.session.rollback()
        raise TaskNotWaiting(f"task {task_id} is {task.status}, not waiting for a result")
    values = {"status": FAILED if failed else DONE, "error": failed, "lease_until": None, "finished_at": now,
              "claimed_by": actor[:120], "outcome": result.overall, "result": dump_result(result, reported_by=actor)}
    if task.action == "export":
        values["result"]["export"] = _write_export(request.reference, task.system_id, result)
    for key, value in values.items():
        setattr(task, key, value)
    head, counts = _tail(request.id)  # flushes the task's new state first
    event = audit.record(request, actor=actor, kind="task_failed" if failed else "task_done", at=now, data={
        "task": task.id, "system": task.system_id, "action": task.action, "outcome": result.overall,
        **({"notes": result.notes} if result.notes else {}), **({"error": failed} if failed else {})},
        chain_head=head)
    _settle(request, now, counts, (event.seq, event.hash))
    return task
