"""Handing tasks to whoever runs them: RQ workers when Redis is set, else this process.

With `DSAR_REDIS_URL`, each task becomes an RQ job on the task queue and any
number of `dsar worker` processes, on any machines, share the queue. Without it (the
embedded demo) a small thread pool in this process runs the same job function.
The queue's name is `DSAR_TASK_QUEUE` (default `dsar-tasks`).

Jobs only carry task ids; the database says what is due. A job carries one task,
except when many are handed out at once (a backlog, the sweeper after an outage): then
up to `BATCH_MAX` tasks share a job, which saves RQ's own bookkeeping (several Redis
round trips a job) while there are still at least `BATCH_SPREAD` jobs to share between
workers. The tasks of a batch stay independent: each is claimed, run and finished on
its own, under its own timeout, and those not started yet are leased, so that if the
worker dies the sweeper hands them out again like any lost task. `sweep` is the safety net
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
BATCH_MAX = 10         # tasks in one job at most
BATCH_SPREAD = 16      # a hand-out is batched only as far as it still makes this many jobs


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


def run_jobs(task_ids: list[int]) -> dict[int, str]:
    """The job function of a batch: each task run on its own, as `run_job` would, each
    under the task timeout; what became of each. A task that raised is left to the sweeper
    (its lease runs out) and the job fails once the others are done, naming it."""
    from dsar.fulfilment import worker_app
    from dsar.fulfilment.runner import run

    app = worker_app()
    outcomes: dict[int, str] = {}
    raised: dict[int, str] = {}
    with app.app_context():
        timeout = app.config["TASK_TIMEOUT"]
        try:
            _lease(task_ids, current_time() + timedelta(seconds=timeout + 5))
        finally:
            db.session.remove()
        worker = _worker_name()
        for task_id in task_ids:
            try:
                with _time_limit(timeout):
                    outcomes[task_id] = run(task_id, worker=worker)
            except Exception as exc:  # noqa: BLE001 — the next tasks of the batch still run
                log.exception("task %s of a batch", task_id)
                raised[task_id] = f"{type(exc).__name__}: {exc}"
            finally:
                db.session.remove()
    if raised:
        raise RuntimeError(f"{len(raised)} of {len(task_ids)} tasks raised (the sweeper hands them out again): "
                           + "; ".join(f"task {k}: {v}" for k, v in raised.items())[:2000])
    return outcomes


def _lease(task_ids: list[int], until) -> None:
    """Give the batch's queued tasks the lease a claimed task has: if this worker dies
    before it reaches them, the sweeper hands them out again when it runs out (and if it
    is only slow, another worker may take them first: each task is claimed once)."""
    db.session.execute(update(Task).where(Task.id.in_(task_ids), Task.status == QUEUED)
                       .values(lease_until=until).execution_options(synchronize_session=False))
    db.session.commit()


class _time_limit:
    """RQ's timeout (a SIGALRM), for one task of a batch. Only the main thread gets
    signals: elsewhere (not how RQ runs jobs) there is no limit."""

    def __init__(self, seconds: int):
        self.penalty = None
        if threading.current_thread() is threading.main_thread() and seconds > 0:
            from rq.timeouts import JobTimeoutException, UnixSignalDeathPenalty

            self.penalty = UnixSignalDeathPenalty(seconds, JobTimeoutException)

    def __enter__(self):
        if self.penalty is not None:
            self.penalty.__enter__()

    def __exit__(self, *exc):
        return self.penalty.__exit__(*exc) if self.penalty is not None else False


def _batches(task_ids: list[int]) -> list[list[int]]:
    """Consecutive slices of the hand-out: single tasks unless it is large."""
    size = max(1, min(BATCH_MAX, len(task_ids) // BATCH_SPREAD))
    return [task_ids[i:i + size] for i in range(0, len(task_ids), size)]


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
    jobs = []
    for batch in _batches(list(task_ids)):
        if len(batch) == 1:
            jobs.append(Queue.prepare_data(run_job, (batch[0],), timeout=timeout, result_ttl=300,
                                           failure_ttl=7 * 86400, description=f"dsar task {batch[0]}"))
        else:  # each task has its own limit inside; this one bounds the whole batch
            jobs.append(Queue.prepare_data(run_jobs, (batch,), timeout=timeout * len(batch) + 5, result_ttl=300,
                                           failure_ttl=7 * 86400,
                                           description=f"dsar tasks {', '.join(map(str, batch))}"))
    with queue.connection.pipeline() as pipe:
        queue.enqueue_many(jobs, pipeline=pipe)
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
    from dsar.answers import dispatch  # webhooks, notices and packages owed (at most every few seconds)

    dispatch.sweep(now, force=False)
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
        # The sweeper's last round (tasks, then the answers' duties) ends before we return:
        # a caller disposing of the engine next must not leave it a connection to drop.
        self.sweeper.join(timeout=60)
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
