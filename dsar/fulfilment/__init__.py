"""Fulfilment: approval fans a request out into tasks, run by RQ workers (or in-process).

`plan` decides the tasks, `runner` runs one task through its connector and settles the
request, `queue` hands tasks to RQ or to threads of this process, `worker` is the
`dsar worker` command, `api` the task endpoints for staff and outside bots.
"""
from __future__ import annotations

import importlib
import threading

from flask import Flask

_worker_app: Flask | None = None
_lock = threading.RLock()  # worker_app() builds an app, whose init_app asks for Redis
_redis: dict[str, object] = {}


def init_app(app: Flask) -> None:
    from dsar.connectors import ratelimit
    from dsar.fulfilment import api, discovery, worker
    from dsar.routing import register_discoverer

    from dsar.api import openapi

    app.cli.add_command(worker.worker_command)
    if "tasks_api" not in app.blueprints:
        app.register_blueprint(api.bp)
    openapi.extend(api.document)
    register_discoverer(discovery.controllers_holding)
    # Process-wide: the latest app decides (an app without Redis must not keep an earlier
    # app's connection, e.g. tests that create apps with and without REDIS_URL).
    ratelimit.configure(redis_connection(app) if app.config.get("REDIS_URL") else None)
    for module in ("manual_views", "callbacks"):  # the manual and webhook connectors' pages
        try:
            views = importlib.import_module(f"dsar.fulfilment.{module}")
        except ModuleNotFoundError as exc:
            if exc.name != f"dsar.fulfilment.{module}":
                raise
            continue
        if views.bp.name not in app.blueprints:
            app.register_blueprint(views.bp)


def redis_connection(app: Flask):
    """One Redis client per URL, shared by the threads of this process."""
    from redis import Redis

    url = app.config["REDIS_URL"]
    with _lock:
        if url not in _redis:
            _redis[url] = Redis.from_url(url)
        return _redis[url]


def set_worker_app(app: Flask) -> None:
    global _worker_app
    _worker_app = app


def worker_app() -> Flask:
    """The app a worker runs jobs in: the one `dsar worker` made, else a new one."""
    global _worker_app
    with _lock:
        if _worker_app is None:
            from dsar import create_app

            _worker_app = create_app()
        return _worker_app
