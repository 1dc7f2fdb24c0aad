"""`/healthz`: can this process reach its database and (when configured) Redis?

Load balancers and the operator's monitoring poll it; a 503 names what is down.
"""
from __future__ import annotations

from flask import Blueprint, current_app
from sqlalchemy import text

from dsar.extensions import db

bp = Blueprint("health", __name__)


def _database() -> str | None:
    try:
        db.session.execute(text("SELECT 1"))
        return None
    except Exception as exc:  # any failure is the answer, not a crash
        db.session.rollback()
        return f"database unreachable: {exc.__class__.__name__}"


def _redis() -> str | None:
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None  # embedded default: jobs run in-process
    from redis import Redis
    from redis.exceptions import RedisError

    try:
        Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping()
        return None
    except (RedisError, OSError, ValueError) as exc:
        return f"redis unreachable: {exc.__class__.__name__}"


@bp.get("/healthz")
def healthz():
    database, redis = _database(), _redis()
    problems = [p for p in (database, redis) if p]
    body = {"ok": not problems, "database": "down" if database else "ok",
            "jobs": "redis" if current_app.config.get("REDIS_URL") else "in-process"}
    if problems:
        body["problems"] = problems
    return body, (503 if problems else 200)
