"""The health check reports the real database and Redis it talks to."""
from __future__ import annotations

import os
from contextlib import contextmanager

from dsar import create_app
from dsar.extensions import db

REDIS = os.environ.get("DSAR_TEST_REDIS", "redis://127.0.0.1:6379/15")


def test_health_without_redis_runs_jobs_in_process(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"ok": True, "database": "ok", "jobs": "in-process"}


@contextmanager
def app_with_redis(database, redis_url):
    app = create_app({"SQLALCHEMY_DATABASE_URI": database[0], "REDIS_URL": redis_url, "TESTING": True})
    yield app
    with app.app_context():
        db.engine.dispose()


def test_health_with_a_live_redis(database):
    with app_with_redis(database, REDIS) as app:
        response = app.test_client().get("/healthz")
    assert response.status_code == 200, response.json
    assert response.json["jobs"] == "redis"


def test_health_names_a_dead_redis(database):
    with app_with_redis(database, "redis://127.0.0.1:1/0") as app:
        response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["ok"] is False and "redis unreachable" in response.json["problems"][0]
