"""The OpenGDPR 1.0 processor API (issue 7, item 6): a controller instructs us by machine
and hears back through signed status callbacks; the processor SLA starts at the instruction."""
from __future__ import annotations

import base64
import json
import uuid
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from demo_world import JEANNE, PAUL

from dsar.answers import dispatch, signing
from dsar.fulfilment import queue

SUBMITTED = "2026-01-05T09:30:00Z"


@pytest.fixture
def receiver():
    from callback_server import CallbackServer

    server = CallbackServer().start()
    yield server
    server.stop()


def _body(request_type="erasure", identities=None, callbacks=(), **fields) -> dict:
    return {
        "subject_request_id": str(uuid.uuid4()),
        "subject_request_type": request_type,
        "submitted_time": SUBMITTED,
        "subject_identities": identities or [
            {"identity_type": "email", "identity_value": JEANNE["email"], "identity_format": "raw"}],
        "api_version": "1.0",
        "status_callback_urls": list(callbacks),
        **fields,
    }


def _post(client, headers, body: dict):
    raw = json.dumps(body).encode()
    return client.post("/v1/opengdpr_requests", data=raw, headers={**headers, "Content-Type": "application/json"}), raw


def _certificate(client) -> bytes:
    response = client.get("/v1/certificate.pem")
    assert response.status_code == 200 and response.mimetype == "application/x-pem-file"
    return response.data


def _verified(response, certificate: bytes) -> bool:
    return signing.verify(response.data, response.headers["X-OpenGDPR-Signature"], certificate)


def _our_request(app, subject_request_id: str):
    from dsar.extensions import db
    from dsar.models import OpenGdprRequest

    with app.app_context():
        row = db.session.get(OpenGdprRequest, subject_request_id)
        request = row.request
        db.session.expunge_all()
        return row, request


def _report_manual_tasks(app, request_id: int) -> None:
    """The hosting team (a manual system's owner) reports its part done."""
    from dsar.connectors.base import ActionResult
    from dsar.extensions import db
    from dsar.fulfilment.runner import report
    from dsar.models import Task

    with app.app_context():
        waiting = db.session.scalars(sa.select(Task.id).where(Task.request_id == request_id,
                                                              Task.status == "waiting")).all()
        assert waiting, "expected the manual system's task to wait for its owner"
        for task_id in waiting:
            report(task_id, ActionResult(outcome="not_found", notes=["searched the hosting logs"]),
                   actor="manual:hosting@septeo.example")


def _sweep(app) -> None:
    with app.app_context():
        dispatch.sweep()


def test_discovery_says_what_we_support_and_where_our_certificate_is(client):
    response = client.get("/v1/discovery")
    assert response.status_code == 200
    body = response.json
    assert body["api_version"] == "1.0"
    assert body["supported_subject_request_types"] == ["access", "portability", "erasure"]
    assert {"identity_type": "email", "identity_format": "raw"} in body["supported_identities"]
    assert {"identity_type": "email", "identity_format": "sha256"} in body["supported_identities"]
    assert {"identity_type": "controller_customer_id", "identity_format": "raw"} in body["supported_identities"]
    domain = response.headers["X-OpenGDPR-Processor-Domain"]
    assert body["processor_certificate"] == "http://127.0.0.1:5000/v1/certificate.pem" and domain == "127.0.0.1"
    assert "rectification" in body["extensions"][domain]["subject_request_types"]
    assert _verified(response, _certificate(client))


def test_an_erasure_gets_signed_callbacks_up_to_completed(app, client, token, demo_world, receiver):
    """Done when (issue 7): an OpenGDPR client posting an erasure gets signed callbacks up to completed."""
    martin = token("controller_agent", "cabinet-martin")
    body = _body(callbacks=[receiver.url("/opengdpr_callbacks")])
    before = datetime.now(timezone.utc).replace(microsecond=0)
    response, raw = _post(client, martin, body)
    assert response.status_code == 201, response.json
    certificate = _certificate(client)
    assert _verified(response, certificate)
    created = response.json
    assert created["subject_request_id"] == body["subject_request_id"]
    assert created["controller_id"] == "cabinet-martin"
    assert base64.b64decode(created["encoded_request"]) == raw
    assert signing.verify(created["encoded_request"].encode(), created["processor_signature"], certificate)
    received = datetime.fromisoformat(created["received_time"])
    assert before <= received <= datetime.now(timezone.utc)
    expected = datetime.fromisoformat(created["expected_completion_time"])
    assert timedelta(days=3) <= expected - received <= timedelta(days=6)  # 3 working days (a weekend may fall in)
    assert response.headers["Location"].endswith(f"/v1/opengdpr_requests/{body['subject_request_id']}")

    # Our request: the client's instruction, so the processor SLA runs from its receipt,
    # and the statutory month from when the subject asked the controller.
    row, request = _our_request(app, body["subject_request_id"])
    assert (request.via_controller, request.channel, request.verification) == (True, "opengdpr", "verified")
    assert request.instructed_at.replace(microsecond=0) == received
    assert request.received_at == datetime(2026, 1, 5, 9, 30, tzinfo=timezone.utc)
    assert request.controller_id == "cabinet-martin" and request.rights == ["erasure"]

    assert queue.wait_idle(app, 60)
    _report_manual_tasks(app, request.id)
    _sweep(app)
    _sweep(app)  # the second callback waits for the first to land
    statuses = [r.json["request_status"] for r in receiver.received]
    assert statuses == ["in_progress", "completed"]
    for callback in receiver.received:
        assert callback.path == "/opengdpr_callbacks"
        assert callback.headers["X-OpenGDPR-Processor-Domain"] == "127.0.0.1"
        assert signing.verify(callback.body, callback.headers["X-OpenGDPR-Signature"], certificate)
        assert callback.json["status_callback_url"] == receiver.url("/opengdpr_callbacks")
        assert callback.json["subject_request_id"] == body["subject_request_id"]
        assert callback.json["controller_id"] == "cabinet-martin"
        assert callback.json["expected_completion_time"] == created["expected_completion_time"]
    tampered = receiver.received[-1].body.replace(b"completed", b"cancelled")
    assert not signing.verify(tampered, receiver.received[-1].headers["X-OpenGDPR-Signature"], certificate)
    assert "results_url" not in receiver.received[-1].json  # an erasure has no results to read

    # What the callbacks announce happened in the stores.
    assert demo_world.user(JEANNE["email"]) is None and demo_world.user(PAUL["email"]) is not None
    assert demo_world.ids["zendesk:jeanne"] in demo_world.zendesk.purged_users
    status = client.get(f"/v1/opengdpr_requests/{body['subject_request_id']}", headers=martin)
    assert status.status_code == 200 and _verified(status, certificate)
    assert status.json["request_status"] == "completed"
    _sweep(app)
    assert len(receiver.received) == 2  # each change told once


def test_a_completed_access_request_points_at_its_results(app, client, token, demo_world, receiver):
    martin = token("controller_admin", "cabinet-martin")
    body = _body("access", callbacks=[receiver.url()])
    response, _ = _post(client, martin, body)
    assert response.status_code == 201, response.json
    assert queue.wait_idle(app, 60)
    _, request = _our_request(app, body["subject_request_id"])
    _report_manual_tasks(app, request.id)
    status = client.get(f"/v1/opengdpr_requests/{body['subject_request_id']}", headers=martin).json
    assert status["request_status"] == "completed"
    results = status["results_url"]
    assert results == f"http://127.0.0.1:5000/api/v1/requests/{request.reference}/processor-report"
    report = client.get(results.removeprefix("http://127.0.0.1:5000"), headers=martin)
    assert report.status_code == 200 and report.json["systems"]


def test_hashed_identities_are_kept_and_reported_not_searched(app, client, token, demo_world):
    import hashlib

    martin = token("controller_admin", "cabinet-martin")
    digest = hashlib.sha256(JEANNE["email"].encode()).hexdigest().upper()
    body = _body("access", identities=[
        {"identity_type": "email", "identity_value": digest, "identity_format": "sha256"},
        {"identity_type": "ios_advertising_id", "identity_value": "6D92078A-8246-4BA4-AE5B-76104861E7DC",
         "identity_format": "raw"}])
    response, _ = _post(client, martin, body)
    assert response.status_code == 201, response.json
    assert queue.wait_idle(app, 60)
    _, request = _our_request(app, body["subject_request_id"])
    detail = client.get(f"/api/v1/requests/{request.reference}", headers=martin).json
    assert detail["identities"] == [{"type": "email_sha256", "value": digest.lower()}]
    automatic = [t for t in detail["tasks"] if t["system"] != "ionos-hosting"]
    assert automatic and all(t["outcome"] == "not_found" and "not searched" in t["notes"][0] for t in automatic)


@pytest.mark.parametrize(("change", "field"), [
    ({"subject_request_id": None}, "subject_request_id"),
    ({"subject_request_id": "A7551968-D5D6-44B2-9831-815AC9017798"}, "subject_request_id"),
    ({"subject_request_id": "a7551968-d5d6-14b2-9831-815ac9017798"}, "subject_request_id"),  # UUID v1
    ({"subject_request_type": "rectify"}, "subject_request_type"),
    ({"submitted_time": "2026-01-05 09:30"}, "submitted_time"),
    ({"api_version": "2.0"}, "api_version"),
    ({"subject_identities": []}, "subject_identities"),
    ({"subject_identities": [{"identity_type": "email", "identity_value": "nobody", "identity_format": "raw"}]},
     "subject_identities.0.identity_value"),
    ({"subject_identities": [{"identity_type": "email", "identity_value": "abc", "identity_format": "sha256"}]},
     "subject_identities.0.identity_value"),
    ({"subject_identities": [{"identity_type": "android_id", "identity_value": "x", "identity_format": "raw"}]},
     "subject_identities"),
    ({"status_callback_urls": ["http://controller.example/cb"]}, "status_callback_urls.0"),
    ({"subject_request_type": "rectification"}, "extensions"),
    ({"extensions": {"127.0.0.1": {"password": "x"}}}, "extensions.127.0.0.1.password"),
    ({"unexpected": 1}, "unexpected"),
])
def test_invalid_requests_get_the_specs_error_shape(app, client, token, change, field):
    body = {k: v for k, v in {**_body(), **change}.items() if v is not None}
    response, _ = _post(client, token("controller_admin", "cabinet-martin"), body)
    assert response.status_code == 400, response.json
    error = response.json["error"]
    assert error["code"] == 400 and error["message"]
    assert all(set(e) >= {"domain", "reason", "message"} for e in error["errors"])
    assert field in [e["field"] for e in error["errors"]], error
    _assert_no_request(app)


def _assert_no_request(app):
    from dsar.extensions import db
    from dsar.models import Request

    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Request)) == 0


@pytest.mark.parametrize("raw", [b"not json", b"[1, 2]", b"{\"subject_request_id\": "])
def test_a_body_that_is_not_a_json_object_is_a_400(app, client, token, raw):
    response = client.post("/v1/opengdpr_requests", data=raw, headers={
        **token("controller_admin", "cabinet-martin"), "Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json["error"]["errors"][0]["reason"] == "malformed_json"
    _assert_no_request(app)


def test_a_submitted_time_in_the_future_is_refused(app, client, token):
    later = (datetime.now(timezone.utc) + timedelta(hours=1)).isoformat()
    response, _ = _post(client, token("controller_admin", "cabinet-martin"), _body(submitted_time=later))
    assert response.status_code == 400 and "future" in response.json["error"]["message"]


def test_a_repeated_subject_request_id_is_a_409(app, client, token, demo_world):
    martin = token("controller_admin", "cabinet-martin")
    body = _body()
    assert _post(client, martin, body)[0].status_code == 201
    again, _ = _post(client, martin, body)
    assert again.status_code == 409
    assert again.json["error"]["errors"][0]["reason"] == "duplicate_subject_request_id"
    serrano, _ = _post(client, token("controller_admin", "notaria-serrano"), body)
    assert serrano.status_code == 409


def test_cancel_while_pending_but_not_once_in_progress(app, client, token, demo_world, receiver):
    martin = token("controller_admin", "cabinet-martin")
    app.config["OPENGDPR_AUTO_APPROVE"] = False  # the controller's people approve in triage
    waiting = _body(callbacks=[receiver.url()])
    assert _post(client, martin, waiting)[0].status_code == 201
    path = f"/v1/opengdpr_requests/{waiting['subject_request_id']}"
    assert client.get(path, headers=martin).json["request_status"] == "pending"
    cancelled = client.delete(path, headers=martin)
    assert cancelled.status_code == 202
    assert _verified(cancelled, _certificate(client))
    assert cancelled.json["subject_request_id"] == waiting["subject_request_id"]
    assert signing.verify(cancelled.json["encoded_request"].encode(), cancelled.json["processor_signature"],
                          _certificate(client))
    assert client.get(path, headers=martin).json["request_status"] == "cancelled"
    _, request = _our_request(app, waiting["subject_request_id"])
    assert request.status == "cancelled"
    _sweep(app)
    assert [r.json["request_status"] for r in receiver.received] == ["cancelled"]
    assert client.delete(path, headers=martin).status_code == 409  # cancelled is not pending

    app.config["OPENGDPR_AUTO_APPROVE"] = True
    started = _body()
    assert _post(client, martin, started)[0].status_code == 201
    refused = client.delete(f"/v1/opengdpr_requests/{started['subject_request_id']}", headers=martin)
    assert refused.status_code == 409
    assert refused.json["error"]["code"] == 409
    assert refused.json["error"]["errors"][0]["reason"] == "not_pending"
    assert queue.wait_idle(app, 60)
    _, request = _our_request(app, started["subject_request_id"])
    assert request.status == "in_fulfilment"  # the refused DELETE changed nothing


def test_each_controller_sees_only_its_own_instructions(app, client, token, demo_world):
    martin = token("controller_admin", "cabinet-martin")
    body = _body()
    assert _post(client, martin, body)[0].status_code == 201
    assert queue.wait_idle(app, 60)
    path = f"/v1/opengdpr_requests/{body['subject_request_id']}"
    serrano = token("controller_admin", "notaria-serrano")
    for response in (client.get(path, headers=serrano), client.delete(path, headers=serrano)):
        assert response.status_code == 404 and response.json["error"]["code"] == 404
    assert client.get(f"/v1/opengdpr_requests/{uuid.uuid4()}", headers=martin).status_code == 404
    assert client.get("/v1/opengdpr_requests/not-a-uuid", headers=martin).status_code == 404
    unauthenticated = client.get(path)
    assert unauthenticated.status_code == 401 and unauthenticated.json["error"]["code"] == 401
    assert unauthenticated.headers["WWW-Authenticate"].startswith("Bearer")
    # The operator reads every status but instructs and cancels for no client.
    operator = token("operator_admin")
    assert client.get(path, headers=operator).json["controller_id"] == "cabinet-martin"
    assert _post(client, operator, _body())[0].status_code == 403
    assert client.delete(path, headers=operator).status_code == 403


def test_requests_filed_otherwise_owe_no_opengdpr_callback(app, client, token, demo_world):
    from dsar.extensions import db
    from dsar.models import WebhookDelivery

    martin = token("controller_admin", "cabinet-martin")
    reference = client.post("/api/v1/requests", headers=martin, json={
        "rights": ["erasure"], "identity_verified": True,
        "identities": [{"type": "email", "value": JEANNE["email"]}]}).json["reference"]
    assert client.post(f"/api/v1/requests/{reference}/approve", json={}, headers=martin).status_code == 200
    assert queue.wait_idle(app, 60)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(WebhookDelivery)
                                 .where(WebhookDelivery.kind == "opengdpr_status")) == 0


def test_the_openapi_document_lists_the_v1_routes(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert paths["/opengdpr_requests"]["post"]["servers"] == [
        {"url": "/v1", "description": "OpenGDPR 1.0 processor API"}]
    assert {"get", "delete"} <= set(paths["/opengdpr_requests/{subject_request_id}"])
    assert "/discovery" in paths and "/certificate.pem" in paths
def test_v1_unknown_method_and_path_answer_in_the_opengdpr_shape(client):
    response = client.put("/v1/discovery")
    assert response.status_code == 405 and "GET" in response.headers["Allow"]
    assert response.get_json()["error"]["code"] == 405
    response = client.get("/v1/nothing-here")
    assert response.status_code == 404 and response.get_json()["error"]["errors"][0]["domain"] == "request"
