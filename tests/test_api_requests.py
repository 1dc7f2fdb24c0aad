"""The JSON API: creating, listing, reading and acting on requests, as a client would."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest


def _body(**overrides) -> dict:
    body = {"rights": ["access"], "identities": [{"type": "email", "value": "ana@mail.example"}],
            "details": "Please send me a copy of my data."}
    body.update(overrides)
    return body


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def test_operator_creates_a_request_for_a_controller(client, token, demo):
    fr = demo["by_country"]["FR"]
    response = client.post("/api/v1/requests", json=_body(controller=fr.id), headers=token("operator_admin"))
    assert response.status_code == 201, response.json
    body = response.json
    assert body["reference"].startswith("DSR-")
    assert response.headers["Location"].endswith(f"/api/v1/requests/{body['reference']}")
    assert body["controller"] == fr.id and body["status"] == "received"
    assert body["rights"] == ["access"]
    assert body["identities"] == [{"type": "email", "value": "ana@mail.example"}]
    assert body["routing"]["rule"] == "explicit"
    statutory = body["clocks"]["statutory"]
    assert statutory["state"] == "running" and 27 <= statutory["days_left"] <= 34
    # A subject wrote to the operator about a client's processing: it must be forwarded.
    assert body["clocks"]["forwarding"]["state"] == "running"
    assert "processor_sla" not in body["clocks"]  # no instruction from the controller yet


def test_a_controller_instructing_us_starts_the_processor_sla(client, token, demo):
    es = demo["by_country"]["ES"]
    received = datetime.now(timezone.utc) - timedelta(days=3)
    response = client.post("/api/v1/requests", headers=token("bot", es.id),
                           json=_body(rights=["erasure", "objection"], received_at=_iso(received),
                                      identity_verified=True))
    assert response.status_code == 201, response.json
    body = response.json
    assert body["controller"] == es.id and body["via_controller"] is True
    assert body["status"] == "routed" and body["verification"] == "verified"
    assert body["routing"]["rule"] == "caller"
    assert sorted(body["rights"]) == ["erasure", "objection"]
    assert body["received_at"].startswith(received.date().isoformat())  # never restamped
    assert body["clocks"]["processor_sla"]["state"] == "running"
    assert "forwarding" not in body["clocks"]


def test_a_controller_cannot_file_for_another_controller(client, token, demo):
    fr, es = demo["by_country"]["FR"], demo["by_country"]["ES"]
    response = client.post("/api/v1/requests", json=_body(controller=es.id), headers=token("controller_agent", fr.id))
    assert response.status_code == 403
    assert response.json["error"]["code"] == "forbidden"


@pytest.mark.parametrize("raw, content_type, status, field", [
    ("not json", "application/json", 400, None),
    ("[1, 2]", "application/json", 400, None),
    ('{"identities": [{"type": "email", "value": "a@b.example"}]}', "application/json", 422, "rights"),
    ('{"rights": ["access"], "identities": []}', "application/json", 422, "identities"),
    ('{"rights": ["forget-me"], "identities": [{"type": "email", "value": "a@b.example"}]}', "application/json", 422, "rights"),
    ('{"rights": ["access"], "identities": [{"type": "email", "value": "not-an-address"}]}', "application/json", 422, "identities"),
    ('{"rights": ["access"], "identities": [{"type": "email", "value": "a@b.example"}], "colour": "red"}', "application/json", 422, "colour"),
    ('{"rights": ["access"], "identities": [{"type": "email", "value": "a@b.example"}], "received_at": "2026-01-05T10:00:00"}', "application/json", 422, "received_at"),
    ('{"rights": ["rectification"], "identities": [{"type": "email", "value": "a@b.example"}]}', "application/json", 422, "corrections"),
    ('{"rights": ["access", "access"], "identities": [{"type": "email", "value": "a@b.example"}]}', "application/json", 422, "rights"),
])
def test_bad_bodies_get_a_clear_error(client, token, raw, content_type, status, field):
    response = client.post("/api/v1/requests", data=raw, content_type=content_type, headers=token("operator_admin"))
    assert response.status_code == status
    error = response.json["error"]
    assert error["code"] and error["message"]
    if field:
        assert field in error["fields"], error


def test_future_received_at_and_unknown_controller_are_refused(client, token):
    headers = token("operator_admin")
    future = datetime.now(timezone.utc) + timedelta(days=2)
    response = client.post("/api/v1/requests", json=_body(received_at=_iso(future)), headers=headers)
    assert response.status_code == 422 and "future" in response.json["error"]["message"]
    response = client.post("/api/v1/requests", json=_body(controller="no-such-client"), headers=headers)
    assert response.status_code == 422 and "no-such-client" in response.json["error"]["message"]


def test_oversized_body_is_refused_with_the_error_shape(client, token):
    response = client.post("/api/v1/requests", json=_body(details="x" * (2 * 1024 * 1024)), headers=token("operator_admin"))
    assert response.status_code == 413
    assert response.json["error"]["code"]


@pytest.mark.parametrize("header", [None, "Basic abc", "Bearer ", "Bearer dsar_unknown"])
def test_every_call_needs_a_valid_token(client, header):
    headers = {"Authorization": header} if header else {}
    for method, path in [("get", "/api/v1/requests"), ("post", "/api/v1/requests"),
                         ("get", "/api/v1/requests/DSR-0000-0000"), ("post", "/api/v1/requests/DSR-0000-0000/verify"),
                         ("get", "/api/v1/controllers")]:
        response = getattr(client, method)(path, headers=headers, json={})
        assert response.status_code == 401, (method, path)
        assert response.json["error"]["code"] == "unauthorized"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_revoked_tokens_stop_working(client, runner, app):
    result = runner.invoke(args=["tokens", "create", "--role", "operator_agent", "--label", "ops"])
    assert result.exit_code == 0, result.output
    value = result.output.strip()
    headers = {"Authorization": f"Bearer {value}"}
    assert client.get("/api/v1/requests", headers=headers).status_code == 200
    assert runner.invoke(args=["tokens", "revoke", value]).exit_code == 0
    assert client.get("/api/v1/requests", headers=headers).status_code == 401


def test_token_command_refuses_nonsense(runner, demo):
    result = runner.invoke(args=["tokens", "create", "--role", "controller_admin"])
    assert result.exit_code == 2 and "needs --controller" in result.output
    result = runner.invoke(args=["tokens", "create", "--role", "bot", "--controller", "nobody"])
    assert result.exit_code == 2 and "unknown controller" in result.output


def test_unknown_routes_and_methods_answer_json(client, token):
    headers = token("operator_admin")
    assert client.get("/api/v1/nothing-here", headers=headers).json["error"]["code"] == "not_found"
    response = client.delete("/api/v1/requests", headers=headers)
    assert response.status_code == 405 and response.json["error"]["code"] == "method_not_allowed"
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}
    response = client.post("/api/v1/requests/DSR-0000-0000/fly", headers=headers)
    assert response.status_code == 404 and "actions:" in response.json["error"]["message"]


def test_the_same_person_asking_the_same_thing_again_is_flagged_for_triage(client, token, file_request):
    operator = token("operator_admin")
    first = file_request(operator, rights=["erasure"], controller="cabinet-martin")
    again = file_request(operator, rights=["erasure", "access"], controller="cabinet-martin")
    other_right = file_request(operator, rights=["rectification"], controller="cabinet-martin",
                               corrections={"address": "1 rue de la Paix"})
    assert again["suspected_duplicate_of"] == first["reference"]
    assert first["suspected_duplicate_of"] is None and other_right["suspected_duplicate_of"] is None
    shown = client.get(f"/api/v1/requests/{again['reference']}", headers=operator).get_json()
    assert shown["timeline"][0]["data"]["suspected_duplicate_of"] == first["reference"]


def test_an_old_or_closed_request_is_not_a_duplicate(client, token, file_request):
    operator, martin = token("operator_admin"), token("controller_admin", "cabinet-martin")
    file_request(operator, rights=["erasure"], controller="cabinet-martin", days_ago=30)
    cancelled = file_request(operator, rights=["erasure"], controller="cabinet-martin")
    response = client.post(f"/api/v1/requests/{cancelled['reference']}/cancel", headers=martin,
                           json={"reason": "sent by mistake"})
    assert response.status_code == 200, response.json
    fresh = file_request(operator, rights=["erasure"], controller="cabinet-martin")
    assert fresh["suspected_duplicate_of"] is None
