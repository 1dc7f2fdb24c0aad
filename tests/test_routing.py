"""Routing (DESIGN §6): each rule, splitting across controllers, unroutable, operator routing."""
from __future__ import annotations

import pytest

from conftest import SUBJECT_EMAIL
from dsar.routing import register_discoverer, unregister_discoverer


@pytest.fixture
def discovered():
    """Install a discoverer answering with the given controller ids, as a connector would."""
    installed = []

    def install(*controller_ids, fail=False):
        def fake(identities):
            if fail:
                raise TimeoutError("CRM did not answer")
            return list(controller_ids) if SUBJECT_EMAIL in identities.get("email", []) else []
        register_discoverer(fake)
        installed.append(fake)

    yield install
    for fake in installed:
        unregister_discoverer(fake)


def test_a_clients_alias_routes_to_it(client, token, file_request, demo):
    target = next(c for c in demo["clients"] if c.aliases)
    body = file_request(token("bot"), channel="email", recipients=[target.aliases[0].upper()])
    assert body["controller"] == target.id and body["routing"]["rule"] == "alias"


def test_the_operators_own_address_does_not_decide(client, token, file_request, demo, discovered):
    operator = demo["operator"]
    if not operator.aliases:
        pytest.skip("demo operator has no alias")
    body = file_request(token("bot"), channel="email", recipients=[operator.aliases[0]])
    assert body["controller"] is None and body["routing"]["rule"] == "none"


def test_a_form_routes_to_its_controller(client, token, file_request, demo):
    target = next(c for c in demo["clients"] if c.forms)
    body = file_request(token("bot"), channel="form", form=target.forms[0])
    assert body["controller"] == target.id and body["routing"]["rule"] == "form"


def test_a_controller_named_in_the_text(client, token, file_request, demo):
    target = next(c for c in demo["clients"] if c.names)
    body = file_request(token("bot"), channel="email",
                   details=f"I am a user of {target.names[0]}; please delete my account.")
    assert body["controller"] == target.id and body["routing"]["rule"] == "named"


def test_discovery_splits_one_request_per_controller(client, token, file_request, demo, discovered):
    first, second = demo["clients"][0], demo["clients"][1]
    discovered(first.id, second.id)
    operator = token("operator_admin")
    body = file_request(operator, channel="email", identity_verified=True)
    assert body["routing"]["rule"] == "discovery"
    assert body["controller"] == first.id and len(body["split_into"]) == 1
    child = client.get(f"/api/v1/requests/{body['split_into'][0]}", headers=operator).json
    assert child["controller"] == second.id and child["parent"] == body["reference"]
    assert child["received_at"] == body["received_at"]  # one receipt, each its own clocks
    assert child["status"] == body["status"] == "routed"
    # Each controller sees only its own half.
    assert client.get(f"/api/v1/requests/{child['reference']}", headers=token("controller_agent", first.id)).status_code == 404


def test_discovery_failure_leaves_it_unroutable_for_an_operator(client, token, file_request, demo, discovered):
    discovered(fail=True)
    operator = token("operator_agent")
    body = file_request(operator, channel="email", identity_verified=True)
    assert body["status"] == "unroutable" and body["controller"] is None
    assert "CRM did not answer" in body["routing"]["reason"]
    # Only operators see it.
    for c in demo["clients"]:
        assert client.get(f"/api/v1/requests/{body['reference']}", headers=token("controller_admin", c.id)).status_code == 404
    assert client.post(f"/api/v1/requests/{body['reference']}/route", headers=operator, json={}).status_code == 422
    target = demo["clients"][0]
    routed = client.post(f"/api/v1/requests/{body['reference']}/route", headers=operator,
                         json={"controller": target.id, "reason": "the subject named the firm on the phone"})
    assert routed.json["status"] == "routed" and routed.json["controller"] == target.id
    assert client.get(f"/api/v1/requests/{body['reference']}", headers=token("controller_admin", target.id)).status_code == 200
