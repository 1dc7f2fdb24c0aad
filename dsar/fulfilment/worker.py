"""`dsar worker`: an RQ worker for the task queue, plus the sweeper.

A thin wrapper around RQ's own worker: it builds the app once (so jobs reuse its
database pool), runs RQ's `SimpleWorker` (jobs run in this process, bounded by RQ's
timeout; no fork per job, which would cost more than most tasks take), and starts the
sweeper thread that re-enqueues due retries and the tasks of workers that died.
Start as many as you like, on as many machines: they share the Redis queue.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import time

import click
from flask import current_app
from flask.cli import with_appcontext

from dsar.extensions import db

HEARTBEAT_EVERY = 1.0  # seconds: RQ's worker key lives worker_ttl + 60 s (480 s by default)


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty (for scripts and tests).")
@click.option("--name", default=None, help="Worker name (default: host and process id).")
@with_appcontext
def worker_command(burst: bool, name: str | None) -> None:
    """Run fulfilment tasks from the Redis queue (needs DSAR_REDIS_URL)."""
    from rq import Queue

    from dsar.fulfilment import redis_connection, set_worker_app

    app = current_app._get_current_object()
    if not app.config.get("REDIS_URL"):
        raise click.ClickException(
            "DSAR_REDIS_URL is not set: without Redis, tasks run inside the web process and "
            "no worker is needed")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    set_worker_app(app)
    connection = redis_connection(app)
    try:
        connection.ping()
    except Exception as exc:  # noqa: BLE001
        raise click.ClickException(f"cannot reach Redis at {app.config['REDIS_URL']}: {exc}") from None
    name = name or f"{socket.gethostname()}.{os.getpid()}"
    _warm_up(app)
    stop = threading.Event()
    sweeper = threading.Thread(target=_sweep_until, args=(app, stop), name="dsar-sweeper", daemon=True)
    sweeper.start()
    worker = _worker_class()([Queue(app.config["TASK_QUEUE"], connection=connection)], connection=connection,
                             name=name)
    try:
        worker.work(burst=burst, logging_level="WARNING")
    finally:
        stop.set()


def _worker_class():
    """RQ's SimpleWorker, with a cheaper heartbeat: RQ sends one (three Redis commands, one
    round trip each) before and after waiting for a job and after each job. Here they go
    as one pipeline, and a full heartbeat is not sent again within a second of the last
    one; a heartbeat with a shorter expiry (RQ's, while a job runs) is always sent and
    makes the next full one due at once, so the worker's key never expires early."""
    from rq import SimpleWorker

    class Worker(SimpleWorker):
        _full_at: float | None = None

        def heartbeat(self, timeout: int | None = None, pipeline=None):
            full = timeout is None or timeout >= self.worker_ttl + 60
            if pipeline is not None:
                super().heartbeat(timeout, pipeline=pipeline)
                self._full_at = time.monotonic() if full else None
                return
            if full and self._full_at is not None and time.monotonic() - self._full_at < HEARTBEAT_EVERY:
                return
            with self.connection.pipeline(transaction=False) as pipe:
                super().heartbeat(timeout, pipeline=pipe)
                pipe.execute()
            self._full_at = time.monotonic() if full else None

    return Worker


def _warm_up(app) -> None:
    """Pay before the first job what a worker's first tasks would otherwise pay on the
    clock: importing the connectors, and building the holiday calendars of the register's
    controllers, which a request's clocks need when its last task settles it (the
    `holidays` package takes about 0.2 s for a country's year)."""
    from datetime import date

    from sqlalchemy import select

    from dsar import connectors
    from dsar.models import Controller
    from dsar.timeutil import now

    try:
        connectors.connector_class("sql")  # imports every built-in connector
        with app.app_context():
            try:
                for controller in db.session.scalars(select(Controller)):
                    calendar = controller.calendar
                    year = calendar.local_date(now()).year
                    for each in (year, year + 1):  # a due date may fall in the next year
                        calendar.is_working_day(date(each, 1, 2))
            finally:
                db.session.remove()
    except Exception:  # noqa: BLE001 — only a head start: the first task does it otherwise
        logging.getLogger(__name__).warning("warm-up failed", exc_info=True)


def _sweep_until(app, stop: threading.Event) -> None:
    from dsar.fulfilment.queue import SWEEP_INTERVAL, sweep

    # Sweep at once: the tasks of a worker that died are found when another starts.
    while True:
        try:
            with app.app_context():
                try:
                    sweep()
                finally:
                    db.session.remove()
        except Exception:  # noqa: BLE001 — a database blip must not stop the worker
            logging.getLogger(__name__).exception("sweep")
        if stop.wait(SWEEP_INTERVAL):
            return
