"""Concurrent actions on one request keep one unbroken audit chain (no lost or forked events)."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor


def test_parallel_actions_on_one_request_serialise(app, token, demo, runner):
    headers = token("controller_agent", demo["clients"][0].id)
    client = app.test_client()
    reference = client.post("/api/v1/requests", headers=headers, json={
        "rights": ["access"], "identities": [{"type": "email", "value": "par@mail.example"}]}).json["reference"]

    def add_notes(worker: int) -> list[int]:
        own = app.test_client()
        return [own.post(f"/api/v1/requests/{reference}/note", headers=headers,
                         json={"text": f"worker {worker} note {i}"}).status_code for i in range(8)]

    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = [s for batch in pool.map(add_notes, range(4)) for s in batch]
    assert statuses == [200] * 32
    timeline = client.get(f"/api/v1/requests/{reference}", headers=headers).json["timeline"]
    assert [e["seq"] for e in timeline] == list(range(1, 34))
    assert len({e["data"].get("text") for e in timeline[1:]}) == 32
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
