"""The processor's report to the controller (issue 7, part 3): per system what was done,
record by record, with timestamps, and whether the processor SLA was met."""
from __future__ import annotations

from demo_world import JEANNE

from dsar.fulfilment import queue


def test_the_controller_reads_what_each_system_did_and_whether_the_sla_held(app, client, token, demo_world):
    martin = token("controller_admin", "cabinet-martin")
    reference = client.post("/api/v1/requests", headers=martin, json={
        "rights": ["erasure"], "controller": "cabinet-martin", "identity_verified": True,
        "identities": [{"type": "email", "value": JEANNE["email"]}]}).json["reference"]
    client.post(f"/api/v1/requests/{reference}/approve", json={}, headers=martin)
    assert queue.wait_idle(app, 60)

    report = client.get(f"/api/v1/requests/{reference}/processor-report", headers=martin)
    assert report.status_code == 200
    body = report.json
    by_system = {s["system"]: s for s in body["systems"]}
    assert by_system["product-db"]["outcome"] == "erased" and by_system["product-db"]["finished_at"]
    assert by_system["product-db"]["records"][0]["outcome"] == "erased"
    assert by_system["zendesk"]["counts"]["erased"] >= 2  # the user and their ticket
    assert by_system["ionos-hosting"]["status"] == "waiting" and "hosting@septeo.example" in by_system[
        "ionos-hosting"]["waiting"]
    assert by_system["sentry"]["outcome"] == "not_supported" and by_system["sentry"]["notes"]
    assert body["outcomes"]["erased"] >= 3
    assert body["processor_sla"]["state"] == "running" and body["processor_sla"]["met"] is False
    assert body["instructed_at"] and body["fulfilled_at"] is None  # the hosting team has not reported yet
    assert JEANNE["name"] not in str(body)  # what was done, never the records' content

    # Another client's people, and the subject's own link, see nothing of it.
    serrano = token("controller_admin", "notaria-serrano")
    assert client.get(f"/api/v1/requests/{reference}/processor-report", headers=serrano).status_code == 404
    assert client.get(f"/api/v1/requests/{reference}/processor-report").status_code == 401


def test_the_report_says_the_sla_was_met_once_fulfilled(app, client, token, demo_world):
    operator = token("operator_admin")
    martin = token("controller_admin", "cabinet-martin")
    reference = client.post("/api/v1/requests", headers=martin, json={
        "rights": ["access"], "controller": "cabinet-martin", "identity_verified": True,
        "identities": [{"type": "email", "value": JEANNE["email"]}]}).json["reference"]
    client.post(f"/api/v1/requests/{reference}/approve", json={}, headers=martin)
    assert queue.wait_idle(app, 60)
    # The hosting team's part is done by hand; the operator records it.
    client.post(f"/api/v1/requests/{reference}/complete", json={"summary": "hosting searched by hand"},
                headers=operator)
    body = client.get(f"/api/v1/requests/{reference}/processor-report", headers=operator).json
    assert body["status"] == "fulfilled" and body["fulfilled_at"]
    assert body["processor_sla"]["state"] == "met" and body["processor_sla"]["met"] is True
    assert "/requests/{reference}/processor-report" in client.get("/api/v1/openapi.json").json["paths"]
