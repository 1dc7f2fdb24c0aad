"""The processor report reaches the client controller (issue 7, part 3): by email to its
contact address, as text its people can read, and as signed JSON to its webhook.
Done when: "A rectification produces ... a processor report the controller can read"."""
from __future__ import annotations

import json
import time

import pytest
from demo_world import JEANNE
from sqlalchemy import select

from dsar.answers import dispatch, signing
from dsar.connectors.base import ActionResult
from dsar.extensions import db
from dsar.fulfilment import queue
from dsar.fulfilment.runner import report
from dsar.models import Controller, Request, Task, WebhookDelivery

MARTIN = "rgpd@cabinet-martin.example"


@pytest.fixture
def receiver():
    from callback_server import CallbackServer

    server = CallbackServer().start()
    yield server
    server.stop()


@pytest.fixture
def martin_webhook(app):
    """martin_webhook(url): Cabinet Martin's webhook pointed at `url` for this test only."""
    with app.app_context():
        saved = db.session.get(Controller, "cabinet-martin").webhook_url

    def point(url):
        with app.app_context():
            db.session.get(Controller, "cabinet-martin").webhook_url = url
            db.session.commit()

    yield point
    point(saved)


def _rectify(app, client, token, controller="cabinet-martin", complete=True):
    headers = token("controller_admin", controller) if controller != "septeo" else token("operator_admin")
    reference = client.post("/api/v1/requests", headers=headers, json={
        "rights": ["rectification"], "controller": controller, "identity_verified": True,
        "corrections": {"name": "Jeanne Dupont"},
        "identities": [{"type": "email", "value": JEANNE["email"]}, {"type": "name", "value": JEANNE["name"]}],
    }).json["reference"]
    assert client.post(f"/api/v1/requests/{reference}/approve", json={}, headers=headers).status_code == 200
    assert queue.wait_idle(app, 60)
    if complete:  # the hosting team's manual part is confirmed by the operator
        done = client.post(f"/api/v1/requests/{reference}/complete", json={"summary": "hosting checked"},
                           headers=token("operator_admin"))
        assert done.status_code == 200 and done.json["status"] == "fulfilled", done.json
    return reference


def _wait(app, condition, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        with app.app_context():
            dispatch.sweep()
        time.sleep(0.1)
    return True


def test_the_controller_receives_a_readable_report_by_email(app, client, token, demo_world, smtp, martin_webhook):
    martin_webhook(None)
    reference = _rectify(app, client, token)
    assert _wait(app, lambda: smtp.to(MARTIN))
    [mail] = smtp.to(MARTIN)
    body = mail.body.replace("\r\n", "\n")
    assert reference in mail.message["Subject"] and "SLA met" in mail.message["Subject"]
    assert "PROCESSOR SLA\nMET" in body
    for system in ("product-db", "ovh-sms", "ovh-monitoring-db", "sentry", "zendesk", "ionos-hosting"):
        assert f"({system};" in body
    assert body.count("rectification: corrected (1 corrected)") == 2  # product-db and zendesk
    assert body.count("rectification: not supported by the system") == 3  # sentry, the OVH systems
    assert "waiting for a person's report" in body  # the hosting team's manual task
    assert "finished 20" in body and "IN TOTAL (records): 2 corrected" in body
    assert JEANNE["email"] not in body and "Jeanne Dupont" not in body  # what was done, never the content
    with app.app_context():
        assert db.session.scalars(select(WebhookDelivery)).all() == []  # no webhook configured: none owed


def test_a_configured_webhook_receives_the_report_signed(app, client, token, demo_world, smtp, receiver,
                                                         martin_webhook):
    martin_webhook(receiver.url("/hooks/dsar"))
    reference = _rectify(app, client, token)
    assert _wait(app, lambda: receiver.received)
    [post] = receiver.received
    assert post.path == "/hooks/dsar"
    with app.app_context():
        assert signing.verify(post.body, post.headers["X-OpenGDPR-Signature"], signing.certificate_pem())
    report = json.loads(post.body)
    assert report["reference"] == reference and report["status"] == "fulfilled"
    assert report["processor_sla"]["met"] is True
    by_system = {(s["system"], s["action"]): s for s in report["systems"]}
    assert by_system[("zendesk", "rectify")]["outcome"] == "rectified"
    # Every task appears as it ended, the last one included.
    assert all(s["status"] in ("done", "waiting") for s in report["systems"])
    with app.app_context():
        [delivery] = db.session.scalars(select(WebhookDelivery)).all()
        assert (delivery.kind, delivery.status) == ("processor_report", "delivered")


def test_the_report_sent_when_the_last_task_settles_shows_that_task_done(app, client, token, demo_world, smtp,
                                                                         receiver, martin_webhook):
    # The hosting team reports the last task: the request is fulfilled in the transaction
    # that records that task's end, and the report must already show it done.
    martin_webhook(receiver.url())
    reference = _rectify(app, client, token, complete=False)
    with app.app_context():
        request = db.session.scalars(select(Request).where(Request.reference == reference)).one()
        manual = db.session.scalars(select(Task).where(Task.request_id == request.id,
                                                       Task.system_id == "ionos-hosting")).one()
        result = ActionResult()
        result.add("hosted database row", "42", "rectified")
        report(manual.id, result, "person:hosting@septeo.example")
    assert _wait(app, lambda: receiver.received)
    body = json.loads(receiver.received[0].body)
    hosting = next(s for s in body["systems"] if s["system"] == "ionos-hosting")
    assert body["status"] == "fulfilled" and hosting["status"] == "done" and hosting["outcome"] == "rectified"


def test_the_operators_own_requests_send_no_report(app, client, token, demo_world, smtp):
    reference = _rectify(app, client, token, controller="septeo", complete=False)
    with app.app_context():
        request = db.session.scalars(select(Request).where(Request.reference == reference)).one()
        assert request.status == "fulfilled"
        dispatch.sweep()
    assert smtp.to("dpo@septeo.example") == []
