"""The webhook connector against a local HTTP endpoint (tests/fakes/webhook_peer.py): the
signed POST it receives, its three kinds of answer (result now, 202 then a callback, an
error), and the signed callback that settles the task.

Each request is filed for a tenant of its own whose only system is a webhook one, and
approved (tasks run in-process); the callback is posted with the Flask test client.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from dsar.connectors import connector_class, http
from dsar.connectors.base import ValidationError
from dsar.connectors.webhook import WebhookConnector, check_signature, sign
from fakes.webhook_peer import WebhookPeer

CONTROLLER = "hook-tests"
SYSTEM = "billing-hook"
SECRET = "whsec-0123456789abcdef"
PHONE = "+34 600 11 22 33"


# -- settings and signatures (no app needed) ---------------------------------------------

def test_registered_under_its_type():
    assert connector_class("webhook") is WebhookConnector


def test_settings_need_a_url_and_a_secret_from_the_environment():
    good = WebhookConnector.check_settings({"url": "https://hooks.example/dsar", "secret": {"env": "HOOK_SECRET"}})
    assert good["timeout"] == 10.0
    for settings, field in [({"secret": {"env": "S"}}, "url"),
                            ({"url": "ftp://hooks.example/x", "secret": {"env": "S"}}, "url"),
                            ({"url": "https://hooks.example/x"}, "secret"),
                            ({"url": "https://hooks.example/x", "secret": "literal-secret"}, "secret"),
                            ({"url": "https://hooks.example/x", "secret": {"env": "S"}, "timeout": 0}, "timeout")]:
        with pytest.raises(ValidationError) as error:
            WebhookConnector.check_settings(settings)
        assert field in error.value.messages


def test_a_signature_is_checked_on_the_raw_body_and_its_age():
    body, now = b'{"outcome":"erased"}', time.time()
    stamp = str(int(now))
    assert check_signature(SECRET, stamp, sign(SECRET, stamp, body), body, now) is None
    assert "does not match" in check_signature(SECRET, stamp, sign("other", stamp, body), body, now)
    assert "does not match" in check_signature(SECRET, stamp, sign(SECRET, stamp, body), body + b" ", now)
    old = str(int(now) - 301)
    assert "replay" in check_signature(SECRET, old, sign(SECRET, old, body), body, now)
    assert "required" in check_signature(SECRET, None, None, body, now)


# -- the full flow ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def peer():
    with WebhookPeer(SECRET) as running:
        yield running


@pytest.fixture
def endpoint(peer):
    peer.received.clear()
    peer.mode = "accept"
    return peer


@pytest.fixture
def tenant(app, endpoint, monkeypatch):
    """A controller whose one activity uses one webhook system pointed at the peer."""
    from dsar.extensions import db
    from dsar.models import Controller, ProcessingActivity, System

    monkeypatch.setenv("BILLING_HOOK_SECRET", SECRET)
    monkeypatch.setattr(http, "_backoff", lambda attempt: 0.01)  # keep 5xx retries fast
    with app.app_context():
        system = System(id=SYSTEM, name="Billing", processor="Ops", location="FR", connector_type="webhook",
                        connector_settings={"url": endpoint.url, "secret": {"env": "BILLING_HOOK_SECRET"},
                                            "timeout": 5},
                        identity_fields=["phone", "customer_id"],
                        actions=["access", "export", "erase", "rectify", "restrict"])
        controller = Controller(id=CONTROLLER, name="Hook Test SL", country="ES", timezone="Europe/Madrid",
                                language="es", contact_email="dpo@hook-test.example")
        activity = ProcessingActivity(slug="billing", controller=controller, role="processor", purpose="Billing",
                                      legal_basis="contract", retention="6 years", systems=[system])
        db.session.add_all([system, controller, activity])
        db.session.commit()
    yield CONTROLLER
    with app.app_context():
        db.session.remove()
        if db.engine.dialect.name == "postgresql":  # SQLite: the app fixture restores the whole file
            from conftest import REQUEST_TABLES

            with db.engine.begin() as conn:
                conn.execute(sa.text(f"TRUNCATE {', '.join(REQUEST_TABLES)} RESTART IDENTITY CASCADE"))
                conn.execute(sa.text("DELETE FROM activity_systems WHERE system_id = :s"), {"s": SYSTEM})
                conn.execute(sa.text("DELETE FROM processing_activities WHERE controller_id = :c"), {"c": CONTROLLER})
                conn.execute(sa.text("DELETE FROM systems WHERE id = :s"), {"s": SYSTEM})
                conn.execute(sa.text("DELETE FROM controllers WHERE id = :c"), {"c": CONTROLLER})


@pytest.fixture
def approved(app, client, token, file_request, tenant):
    """approved(rights, **fields) -> (reference, task) once the task has run."""
    from dsar.fulfilment.queue import wait_idle

    headers = token("controller_admin", CONTROLLER)
    app.config["TASK_RETRY_BASE"] = 600  # a retried task stays retrying during the test

    def make(rights=("erasure",), **fields):
        body = {"rights": list(rights), "identities": [{"type": "phone", "value": PHONE},
                                                       {"type": "email", "value": "subject@mail.example"}], **fields}
        reference = file_request(headers, **body)["reference"]
        for action, payload in (("verify", {"reason": "known customer"}), ("approve", {"instruction": "do it"})):
            response = client.post(f"/api/v1/requests/{reference}/{action}", json=payload, headers=headers)
            assert response.status_code == 200, response.json
        assert wait_idle(app, 15)
        return reference, task_of(client, headers, reference)

    make.headers = headers
    return make


def task_of(client, headers, reference) -> dict:
    (task,) = client.get(f"/api/v1/tasks?request={reference}", headers=headers).json["items"]
    return task


def request_status(client, headers, reference) -> str:
    return client.get(f"/api/v1/requests/{reference}", headers=headers).json["status"]


def callback(client, task_id, body, *, secret=SECRET, timestamp=None, raw=None):
    raw = raw if raw is not None else json.dumps(body).encode()
    stamp = str(timestamp if timestamp is not None else int(time.time()))
    return client.post(f"/api/v1/task-callbacks/{task_id}", data=raw, content_type="application/json",
                       headers={"X-DSAR-Timestamp": stamp, "X-DSAR-Signature": sign(secret, stamp, raw)})


def test_accepted_the_task_waits_and_a_signed_callback_settles_it(app, approved, client, endpoint):
    reference, task = approved(["erasure"])
    assert task["status"] == "waiting" and "waiting for its callback" in task["waiting"]
    (posted,) = endpoint.received
    assert posted.signature_ok and posted.path == "/dsar-tasks"
    body = posted.body
    assert {k: body[k] for k in ("task_id", "action", "reference", "controller")} == {
        "task_id": task["id"], "action": "erase", "reference": reference, "controller": "Hook Test SL"}
    # Only the identifiers this system is searched by are sent.
    assert body["subject"] == {"identities": {"phone": [PHONE]}, "corrections": {}}
    assert body["callback_url"] == f"{app.config['PUBLIC_BASE_URL']}/api/v1/task-callbacks/{task['id']}"
    assert body["due"] < client.get(f"/api/v1/requests/{reference}", headers=approved.headers).json[
        "clocks"]["statutory"]["due"]  # the processor SLA's date, nearer than the month

    answer = callback(client, task["id"], {"task_id": task["id"], "records": [
        {"kind": "invoice", "id": "F-2024-001", "outcome": "blocked_by_retention", "detail": "kept 6 years"},
        {"kind": "customer", "id": "C-77", "outcome": "erased"}], "notes": ["invoices are kept by law"]})
    assert answer.status_code == 200, answer.json
    assert answer.json["status"] == "done" and answer.json["outcome"] == "blocked_by_retention"
    done = task_of(client, approved.headers, reference)
    assert done["counts"] == {"blocked_by_retention": 1, "erased": 1}
    assert done["claimed_by"] == f"webhook:{SYSTEM}"
    assert request_status(client, approved.headers, reference) == "fulfilled"

    again = callback(client, task["id"], {"outcome": "erased"})
    assert again.status_code == 409 and again.json["error"]["code"] == "conflict"


def test_callbacks_that_are_not_genuine_change_nothing(app, approved, client):
    reference, task = approved(["erasure"])
    good = {"outcome": "erased"}
    forged = callback(client, task["id"], good, secret="guessed")
    assert forged.status_code == 401 and forged.json["error"]["message"] == "the signature does not match"
    stale = callback(client, task["id"], good, timestamp=int(time.time()) - 600)
    assert stale.status_code == 401 and "replay" in stale.json["error"]["message"]
    unsigned = client.post(f"/api/v1/task-callbacks/{task['id']}", json=good)
    assert unsigned.status_code == 401
    # A body signed for another task cannot be replayed on this one.
    other = callback(client, task["id"], {"task_id": task["id"] + 1, **good})
    assert other.status_code == 422 and "task_id" in other.json["error"]["fields"]
    invalid = callback(client, task["id"], {"outcome": "deleted", "records": [{"kind": "x"}]})
    assert invalid.status_code == 422
    assert set(invalid.json["error"]["fields"]) == {"outcome", "records"}
    not_json = callback(client, task["id"], None, raw=b"outcome=erased")
    assert not_json.status_code == 400
    assert callback(client, 999999, good).status_code == 404
    assert task_of(client, approved.headers, reference)["status"] == "waiting"
    assert request_status(client, approved.headers, reference) == "in_fulfilment"


def test_a_result_in_the_answer_finishes_the_task_at_once_and_an_export_is_written(app, approved, client, endpoint):
    endpoint.mode = "result"
    endpoint.result = {"records": [{"kind": "invoice", "id": "F-1", "outcome": "exported",
                                    "data": {"amount": "12.00", "phone": PHONE}}]}
    reference, task = approved(["access"])
    assert (task["status"], task["outcome"]) == ("done", "exported")
    assert request_status(client, approved.headers, reference) == "fulfilled"
    exported = json.loads((Path(app.config["EXPORT_DIR"]) / reference / f"{SYSTEM}.json").read_text())
    assert exported["records"] == [{"kind": "invoice", "id": "F-1", "outcome": "exported",
                                    "data": {"amount": "12.00", "phone": PHONE}}]
    assert len(endpoint.received) == 1


def test_an_endpoint_that_keeps_failing_is_retried_then_rescheduled(app, approved, client, endpoint):
    endpoint.mode = "fail"
    reference, task = approved(["erasure"])
    assert len(endpoint.received) == 3  # VendorHttp's attempts in place, each signed
    assert all(r.signature_ok for r in endpoint.received)
    assert task["status"] == "retrying" and "server error 503" in task["error"]
    assert task["next_attempt_at"] is not None


def test_an_answer_that_is_not_a_result_fails_the_task_visibly(app, approved, client, endpoint):
    endpoint.mode = "garbage"
    reference, task = approved(["erasure"])
    assert task["status"] == "failed" and "invalid result" in task["error"]
    assert request_status(client, approved.headers, reference) == "partially_fulfilled"


def test_a_wrong_secret_fails_the_task_without_showing_the_secret(app, approved, client, endpoint, monkeypatch):
    monkeypatch.setenv("BILLING_HOOK_SECRET", "not-the-peers-secret")
    reference, task = approved(["erasure"])
    assert task["status"] == "failed" and "401" in task["error"]
    assert "not-the-peers-secret" not in task["error"]
    assert not endpoint.received[0].signature_ok
