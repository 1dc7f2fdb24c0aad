"""`dsar worker` on Redis: real RQ worker processes run the tasks, and one killed with
SIGKILL in the middle of a task is taken over by the next, with every task done exactly
once in effect (issue 6, "Done when")."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from demo_world import JEANNE

REDIS_URL = os.environ.get("DSAR_TEST_REDIS", "redis://127.0.0.1:6379/0")
DSAR = str(Path(sys.executable).with_name("dsar"))


@pytest.fixture
def on_redis(app, demo_world, tmp_path):
    """The app set to queue tasks on Redis (a queue of this test's own), and a way to start
    `dsar worker` processes sharing its database, stores and queue."""
    from redis import Redis

    redis = Redis.from_url(REDIS_URL)
    try:
        redis.ping()
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"Redis is not reachable at {REDIS_URL}: {exc}")
    queue_name = f"test-{uuid.uuid4().hex[:8]}"
    app.config.update(REDIS_URL=REDIS_URL, TASK_QUEUE=queue_name, TASK_TIMEOUT=3)
    env = {**os.environ, "DSAR_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "DSAR_REDIS_URL": REDIS_URL,
           "DSAR_TASK_QUEUE": queue_name, "DSAR_TASK_TIMEOUT": "3", "DSAR_EXPORT_DIR": app.config["EXPORT_DIR"],
           "DSAR_SECRET_KEY": "test"}
    workers: list[subprocess.Popen] = []

    def start(name: str) -> subprocess.Popen:
        log = tmp_path / f"worker-{name}.log"  # a file, not a pipe: a full pipe would stall the worker
        with log.open("wb") as out:
            proc = subprocess.Popen([DSAR, "worker", "--name", f"{queue_name}-{name}"], env=env,
                                    stdout=out, stderr=subprocess.STDOUT)
        proc.log = log
        workers.append(proc)
        return proc

    yield start
    for proc in workers:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
    redis.delete(f"rq:queue:{queue_name}")


def _tasks(app, reference):
    from dsar.extensions import db
    from dsar.models import Request, Task

    with app.app_context():
        rows = db.session.execute(
            sa.select(Task.system_id, Task.status, Task.attempts, Task.result)
            .join(Request, Request.id == Task.request_id).where(Request.reference == reference)).all()
        db.session.remove()
    return {r.system_id: r for r in rows}


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_worker_killed_mid_task_is_taken_over_and_nothing_is_done_twice(app, client, token, demo_world,
                                                                          on_redis, runner):
    headers = token("operator_admin")
    reference = client.post("/api/v1/requests", headers=headers, json={
        "rights": ["erasure"], "controller": "septeo", "identity_verified": True,
        "identities": [{"type": "email", "value": JEANNE["email"]}]}).json["reference"]
    # HubSpot answers the erasure call slowly: the first worker dies while it waits.
    demo_world.hubspot.faults.paths, demo_world.hubspot.faults.latency = "gdpr-delete", 3.0
    first = on_redis("first")
    assert client.post(f"/api/v1/requests/{reference}/approve", json={}, headers=headers).status_code == 200
    try:
        _wait(lambda: demo_world.hubspot.count("POST", "gdpr-delete") == 1, 30, "the first worker's erasure call")
    except AssertionError:
        first.kill()
        raise AssertionError(first.log.read_text()[-3000:]) from None
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    assert _tasks(app, reference)["hubspot"].status == "running"  # held by a dead worker
    demo_world.hubspot.faults.latency = 0

    second = on_redis("second")
    try:
        tasks = _wait(lambda: (t := _tasks(app, reference)) and all(r.status == "done" for r in t.values()) and t,
                      40, "every task done after the takeover")
    except AssertionError:
        second.kill()
        raise AssertionError(f"{_tasks(app, reference)}\n" + second.log.read_text()[-3000:]) from None

    # HubSpot: the call that was in flight when the worker died still erased the contact;
    # the second run found nothing left and said why, and erased nothing twice.
    assert demo_world.hubspot.gdpr_deleted == [demo_world.ids["hubspot:jeanne"]]
    assert demo_world.hubspot.count("POST", "gdpr-delete") == 1
    assert tasks["hubspot"].attempts == 2
    assert any("interrupted earlier attempt" in note for note in tasks["hubspot"].result["notes"])
    assert {s: t.attempts for s, t in tasks.items() if s != "hubspot"} == {"pipedrive": 1, "product-db": 1,
                                                                           "sentry": 1}
    assert demo_world.user(JEANNE["email"])["processing_restricted"] is True  # retention: kept, restricted

    detail = client.get(f"/api/v1/requests/{reference}", headers=headers).json
    assert detail["status"] == "fulfilled"
    finished = [e["data"]["system"] for e in detail["timeline"] if e["kind"] == "task_done"]
    assert sorted(finished) == ["hubspot", "pipedrive", "product-db", "sentry"]  # each exactly once
    assert [e["kind"] for e in detail["timeline"]].count("complete") == 1
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0


def test_a_worker_needs_redis(runner):
    result = runner.invoke(args=["worker", "--burst"])
    assert result.exit_code != 0 and "DSAR_REDIS_URL is not set" in result.output
