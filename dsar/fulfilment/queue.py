"""Handing tasks to whoever runs them: RQ workers when Redis is set, else this process.

With `DSAR_REDIS_URL`, each task becomes an RQ job on the task queue and any
number of `dsar worker` processes, on any machines, share the queue. Without it (the
embedded demo) a small thread pool in this process runs the same job function.
The queue's name is `DSAR_TASK_QUEUE` (default `dsar-tasks`).

Jobs only carry a task id; the database says what is due. `sweep` is the safety net
that makes the queue and the database agree again after a crash: it re-enqueues tasks
whose retry time has come, tasks whose worker died (lease expired), and tasks queued
but never started (the process died between commit and enqueue). Every worker, and the
in-process pool, sweeps every `SWEEP_INTERVAL` seconds.
"""
from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from flask import Flask, current_app
from sqlalchemy import and_, or_, select, update

from dsar.extensions import db
from dsar.models import Task
from dsar.models.task import QUEUED, RETRYING, RUNNING
from dsar.timeutil import now as current_time

log = logging.getLogger(__name__)

SWEEP_INTERVAL = 1.0   # seconds
QUEUED_GRACE = 600     # seconds a queued task may wait for a worker before it is enqueued again


def run_job(task_id: int) -> str:
    """The job function RQ workers and the in-process pool call."""
    from dsar.fulfilment import worker_app
    from dsar.fulfilment.runner import run

    app = worker_app()
    with app.app_context():
        try:
            return run(task_id, worker=_worker_name())
        finally:
            db.session.remove()


def _worker_name() -> str:
    try:
        from rq import get_current_job

        job = get_current_job()
        if job is not None and job.worker_name:
            return job.worker_name
    except Exception:  # noqa: BLE001 — only a label
        pass
    return f"in-process:{threading.current_thread().name}"


def enqueue(task_ids: list[int]) -> None:
    """Hand tasks to the runners (after their rows are committed)."""
    if not task_ids:
        return
    app = current_app._get_current_object()
    if app.config.get("REDIS_URL"):
        _rq_enqueue(app, task_ids)
    else:
        _pool(app).submit_many(task_ids)


def _rq_enqueue(app: Flask, task_ids: list[int]) -> None:
    from rq import Queue

    from dsar.fulfilment import redis_connection

    queue = Queue(app.config["TASK_QUEUE"], connection=redis_connection(app))
    timeout = app.config["TASK_TIMEOUT"]
    with queue.connection.pipeline() as pipe:
        queue.enqueue_many([
            Queue.prepare_data(run_job, (task_id,), timeout=timeout, result_ttl=300, failure_ttl=7 * 86400,
                               description=f"dsar task {task_id}")
            for task_id in task_ids
        ], pipeline=pipe)
        pipe.execute()


def sweep() -> list[int]:
    """Re-enqueue what is due or was lost; the task ids handed out again."""
    now = current_time()
    grace = now + timedelta(seconds=QUEUED_GRACE)
    due_retry = and_(Task.status == RETRYING, Task.next_attempt_at <= now,
                     or_(Task.lease_until.is_(None), Task.lease_until < now))
    lost = and_(Task.status.in_((QUEUED, RUNNING)), Task.lease_until < now)
    ids = list(db.session.scalars(
        update(Task).where(due_retry).values(lease_until=grace)
        .returning(Task.id).execution_options(synchronize_session=False)))
    # A running task past its lease belonged to a worker that died: queued again, so that
    # the dead run, were it only slow, can no longer write its end (`runner._finish`).
    ids += list(db.session.scalars(
        update(Task).where(lost).values(status=QUEUED, lease_until=grace)
        .returning(Task.id).execution_options(synchronize_session=False)))
    # A queued task with no lease yet is given one, so that it is found again if lost.
    db.session.execute(update(Task).where(Task.status == QUEUED, Task.lease_until.is_(None))
                       .values(lease_until=grace).execution_options(synchronize_session=False))
    db.session.commit()
    # Retrying tasks keep their status: `claim` takes a due retry as it is.
    if ids:
        log.info("sweep: handing out tasks %s again", ids)
        enqueue(ids)
    return ids


class _InProcessPool:
    """The embedded runner: threads of this process, and a sweeper thread."""

    def __init__(self, app: Flask):
        self.app = app
        self.executor = ThreadPoolExecutor(max_workers=app.config["IN_PROCESS_WORKERS"],
                                           thread_name_prefix="dsar-task")
        self.pending = 0
        self.idle = threading.Condition()
        self._stop = threading.Event()
        self.sweeper = threading.Thread(target=self._sweep_forever, name="dsar-sweeper", daemon=True)
        self.sweeper.start()

    def submit_many(self, task_ids: list[int]) -> None:
        with self.idle:
            self.pending += len(task_ids)
        for task_id in task_ids:
            self.executor.submit(self._run, task_id)

    def _run(self, task_id: int) -> None:
        try:
            with self.app.app_context():
                from dsar.fulfilment.runner import run

                try:
                    run(task_id, worker=_worker_name())
                finally:
                    db.session.remove()
        except Exception:  # noqa: BLE001 — the sweeper retries; never kill the pool thread
            log.exception("in-process task %s", task_id)
        finally:
            with self.idle:
                self.pending -= 1
                self.idle.notify_all()

    def _sweep_forever(self) -> None:
        while not self._stop.wait(SWEEP_INTERVAL):
            try:
                with self.app.app_context():
                    try:
                        sweep()
                    finally:
                        db.session.remove()
            except Exception:  # noqa: BLE001 — e.g. the database is down for a moment
                log.exception("in-process sweep")

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no task is running or queued here (tests and the demo use this)."""
        with self.idle:
            return self.idle.wait_for(lambda: self.pending == 0, timeout)


    def shutdown(self) -> None:
        self._stop.set()
        self.executor.shutdown(wait=True)


_pools: dict[int, _InProcessPool] = {}
_pools_lock = threading.Lock()


def _pool(app: Flask) -> _InProcessPool:
    with _pools_lock:
        pool = _pools.get(id(app))
        if pool is None:
            pool = _pools[id(app)] = _InProcessPool(app)
        return pool


def wait_idle(app: Flask, timeout: float = 30.0) -> bool:
    """True once the in-process runner of `app` has nothing left to run."""
    pool = _pools.get(id(app))
    return True if pool is None else pool.wait_idle(timeout)


def shutdown(app: Flask) -> None:
    """Stop the in-process runner of `app` (its threads finish the task at hand)."""
    with _pools_lock:
        pool = _pools.pop(id(app), None)
    if pool is not None:
        pool.shutdown()
