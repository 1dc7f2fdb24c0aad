"""Fulfilment seen and driven from outside: progress and tasks in the API, retries with
backoff, a task failing for good, an operator retrying it, and an outside bot claiming
and reporting a task of a `bot` system."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from demo_world import JEANNE

from dsar.fulfilment import queue


def _file(client, headers, controller, rights, email=JEANNE["email"]):
    response = client.post("/api/v1/requests", headers=headers, json={
        "rights": rights, "controller": controller, "identity_verified": True,
        "identities": [{"type": "email", "value": email}]})
    assert response.status_code == 201, response.json
    return response.json["reference"]


def _approve(app, client, headers, reference):
    assert client.post(f"/api/v1/requests/{reference}/approve", json={}, headers=headers).status_code == 200
    assert queue.wait_idle(app, 60)
    return client.get(f"/api/v1/requests/{reference}", headers=headers).json


def _wait_for(client, headers, reference, statuses, timeout=20):
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = client.get(f"/api/v1/requests/{reference}", headers=headers).json
        if body["status"] in statuses:
            return body
        time.sleep(0.1)
    raise AssertionError(f"{reference} stayed {body['status']}: {[(t['system'], t['status'], t['error']) for t in body['tasks']]}")


def test_tasks_are_listed_filtered_and_scoped_to_the_tenant(app, client, token, demo_world):
    operator = token("operator_admin")
    reference = _file(client, operator, "septeo", ["access"])
    _approve(app, client, operator, reference)
    listed = client.get(f"/api/v1/tasks?request={reference}", headers=operator).json["items"]
    assert sorted(t["system"] for t in listed) == ["hubspot", "pipedrive", "product-db", "sentry"]
    assert all(t["status"] == "done" and t["outcome"] == "exported" for t in listed)
    one = client.get("/api/v1/tasks?system=hubspot&status=done&limit=1", headers=operator).json
    assert [t["system"] for t in one["items"]] == ["hubspot"]
    task_id = listed[0]["id"]
    assert client.get(f"/api/v1/tasks/{task_id}", headers=operator).json["request"] == reference
    # A client's staff and bots see none of the operator's own tasks.
    martin = token("controller_agent", "cabinet-martin")
    assert client.get(f"/api/v1/tasks?request={reference}", headers=martin).json["items"] == []
    assert client.get(f"/api/v1/tasks/{task_id}", headers=martin).status_code == 404
    assert client.get("/api/v1/tasks?status=sleeping", headers=operator).status_code == 422
    page = client.get("/api/v1/tasks?limit=2", headers=operator).json
    rest = client.get(f"/api/v1/tasks?limit=50&cursor={page['next_cursor']}", headers=operator).json
    assert len(page["items"]) == 2 and {t["id"] for t in page["items"]}.isdisjoint(t["id"] for t in rest["items"])


def test_a_vendor_that_keeps_failing_leaves_the_request_partially_fulfilled_until_retried(
        app, client, token, demo_world):
    app.config.update(TASK_RETRY_BASE=0.05, TASK_MAX_ATTEMPTS=2)
    demo_world.hubspot.faults.server_errors = 1000  # HubSpot is down
    operator = token("operator_admin")
    reference = _file(client, operator, "septeo", ["access"])
    client.post(f"/api/v1/requests/{reference}/approve", json={}, headers=operator)
    body = _wait_for(client, operator, reference, {"partially_fulfilled"})
    hubspot = next(t for t in body["tasks"] if t["system"] == "hubspot")
    assert hubspot["status"] == "failed" and hubspot["attempts"] == 2
    assert "server error 503" in hubspot["error"] and "gave up after 2 attempts" in hubspot["error"]
    assert body["progress"]["failed"] == 1 and body["progress"]["done"] == 3
    assert "hs-token" not in str(body)  # no secret in an error

    # The controller cannot restart fulfilment; the operator can, once HubSpot is back.
    martin = token("controller_admin", "cabinet-martin")
    assert client.post(f"/api/v1/requests/{reference}/start-fulfilment", headers=martin).status_code == 404
    demo_world.hubspot.faults.server_errors = 0
    retried = client.post(f"/api/v1/requests/{reference}/start-fulfilment", json={}, headers=operator)
    assert retried.status_code == 200 and retried.json["status"] == "in_fulfilment"
    body = _wait_for(client, operator, reference, {"fulfilled"})
    assert next(t for t in body["tasks"] if t["system"] == "hubspot")["outcome"] == "exported"
    kinds = [e["kind"] for e in body["timeline"]]
    assert kinds.count("task_failed") == 1 and kinds[-1] == "complete"


def test_a_429_is_honoured_the_task_waits_for_retry_after(app, client, token, demo_world):
    demo_world.hubspot.faults.rate_limited, demo_world.hubspot.faults.retry_after = 5, 120
    operator = token("operator_admin")
    reference = _file(client, operator, "septeo", ["access"])
    body = _approve(app, client, operator, reference)
    hubspot = next(t for t in body["tasks"] if t["system"] == "hubspot")
    assert hubspot["status"] == "retrying" and "rate limited (429)" in hubspot["error"]
    wait = datetime.fromisoformat(hubspot["next_attempt_at"]) - datetime.now(timezone.utc)
    assert 100 < wait.total_seconds() <= 120
    assert body["status"] == "in_fulfilment"


@pytest.fixture
def bot_system(app):
    """A system of Kanzlei Huber that a program outside dsar fulfils (connector `bot`)."""
    import sqlalchemy as sa

    from dsar.extensions import db
    from dsar.models import ProcessingActivity, System, Task

    with app.app_context():
        system = System(id="huber-crm", name="Huber CRM", processor="Kanzlei Huber", location="DE",
                        connector_type="bot", connector_settings={}, identity_fields=["email"],
                        actions=["access", "export", "erase"])
        activity = ProcessingActivity(slug="huber-clients", controller_id="kanzlei-huber", role="processor",
                                      purpose="Client files", legal_basis="contract", retention="10 years",
                                      systems=[system])
        db.session.add_all([system, activity])
        db.session.commit()
        activity_id = activity.id
    yield "huber-crm"
    queue.shutdown(app)
    with app.app_context():
        db.session.execute(sa.delete(Task).where(Task.system_id == "huber-crm"))
        db.session.delete(db.session.get(ProcessingActivity, activity_id))
        db.session.delete(db.session.get(System, "huber-crm"))
        db.session.commit()


def test_an_outside_bot_claims_a_task_and_reports_its_result(app, client, token, bot_system):
    huber = token("controller_admin", "kanzlei-huber")
    reference = _file(client, huber, "kanzlei-huber", ["erasure"])
    body = _approve(app, client, huber, reference)
    task = next(t for t in body["tasks"] if t["system"] == "huber-crm")
    assert task["status"] == "waiting" and "outside bot" in task["waiting"]

    bot = token("bot", "kanzlei-huber", "huber-crm-bot")
    other_bot = token("bot", "cabinet-martin", "martin-bot")
    waiting = client.get("/api/v1/tasks?system=huber-crm&status=waiting", headers=bot).json["items"]
    assert [t["id"] for t in waiting] == [task["id"]]
    assert client.get("/api/v1/tasks?system=huber-crm", headers=other_bot).json["items"] == []
    assert client.post(f"/api/v1/tasks/{task['id']}/claim", headers=other_bot).status_code == 404
    assert client.post(f"/api/v1/tasks/{task['id']}/claim", headers=huber).status_code == 403
    assert client.post(f"/api/v1/tasks/{task['id']}/result", json={"outcome": "erased"}, headers=bot).status_code == 409

    claimed = client.post(f"/api/v1/tasks/{task['id']}/claim", headers=bot)
    assert claimed.status_code == 200
    assert claimed.json["subject"] == {"identities": {"email": [JEANNE["email"]]}, "corrections": {}}
    second_bot = token("bot", "kanzlei-huber", "another-bot")
    assert client.post(f"/api/v1/tasks/{task['id']}/claim", headers=second_bot).status_code == 409

    bad = client.post(f"/api/v1/tasks/{task['id']}/result", json={"outcome": "vanished"}, headers=bot)
    assert bad.status_code == 422 and "outcome" in bad.json["error"]["fields"]
    done = client.post(f"/api/v1/tasks/{task['id']}/result", headers=bot, json={
        "records": [{"kind": "client file", "id": "F-17", "outcome": "erased"}], "notes": ["paper copy shredded"]})
    assert done.status_code == 200 and done.json["status"] == "done" and done.json["outcome"] == "erased"
    assert client.post(f"/api/v1/tasks/{task['id']}/result", json={"outcome": "erased"}, headers=bot).status_code == 409
    events = client.get(f"/api/v1/requests/{reference}", headers=huber).json["timeline"]
    reported = next(e for e in events if e["kind"] == "task_done" and e["data"]["system"] == "huber-crm")
    assert reported["actor"] == "bot:kanzlei-huber:huber-crm-bot"


def test_the_tasks_api_is_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert {"/tasks", "/tasks/{task_id}", "/tasks/{task_id}/claim", "/tasks/{task_id}/result"} <= set(paths)
