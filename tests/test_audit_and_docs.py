"""The audit trail is append-only and its chains verify; the OpenAPI document and docs page."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from dsar.extensions import db


def _make_requests(client, headers, n=2) -> list[str]:
    refs = []
    for _ in range(n):
        response = client.post("/api/v1/requests", headers=headers, json={
            "rights": ["access"], "identities": [{"type": "email", "value": "eve@mail.example"}], "identity_verified": True})
        refs.append(response.json["reference"])
        client.post(f"/api/v1/requests/{refs[-1]}/note", headers=headers, json={"text": "checked"})
    return refs


def test_the_database_refuses_to_change_history(app, client, token, demo):
    _make_requests(client, token("bot", demo["clients"][0].id), 1)
    with app.app_context():
        for statement in ("UPDATE events SET actor = 'someone else'", "DELETE FROM events"):
            with pytest.raises(sa.exc.DatabaseError, match="append-only"):
                with db.engine.begin() as conn:
                    conn.execute(sa.text(statement))


def _tamper(app, backend: str, statement: str) -> None:
    """Change history the way an attacker with database rights would: around the trigger."""
    with app.app_context(), db.engine.begin() as conn:
        if backend == "postgresql":
            conn.execute(sa.text("ALTER TABLE events DISABLE TRIGGER events_append_only"))
            conn.execute(sa.text(statement))
            conn.execute(sa.text("ALTER TABLE events ENABLE TRIGGER events_append_only"))
        else:
            conn.execute(sa.text("DROP TRIGGER events_no_update"))
            conn.execute(sa.text("DROP TRIGGER events_no_delete"))
            conn.execute(sa.text(statement))


def test_audit_verify_names_the_first_broken_link(app, client, token, demo, runner, backend):
    refs = _make_requests(client, token("bot", demo["clients"][0].id), 2)
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0 and "OK: 2 requests, 8 events" in result.output
    _tamper(app, backend, "UPDATE events SET actor = 'nobody' WHERE seq = 2 AND request_id = "
                          f"(SELECT id FROM requests WHERE reference = '{refs[0]}')")
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"BROKEN {refs[0]}: event #2" in result.output and "was changed" in result.output
    assert refs[1] not in result.output


def test_audit_verify_sees_a_removed_event(app, client, token, demo, runner, backend):
    refs = _make_requests(client, token("bot", demo["clients"][0].id), 1)
    _tamper(app, backend, "DELETE FROM events WHERE seq = 3")
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and f"{refs[0]}: event #4" in result.output and "removed" in result.output


def test_openapi_document_describes_the_api(client):
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.")
    assert {"/requests", "/requests/{reference}", "/requests/{reference}/{action}", "/controllers"} <= set(spec["paths"])
    create = spec["components"]["schemas"]["RequestCreate"]
    assert set(create["required"]) == {"rights", "identities"}
    assert "erasure" in create["properties"]["rights"]["items"]["enum"]
    actions = spec["paths"]["/requests/{reference}/{action}"]["post"]["parameters"][1]["schema"]["enum"]
    assert {"verify", "approve", "reject", "extend", "cancel", "assign", "note", "request-information"} <= set(actions)
    controllers = spec["paths"]["/controllers"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert controllers["$ref"].endswith("/ControllerPage")
    assert "split_into" in spec["components"]["schemas"]["RequestCreated"]["properties"]
    page = client.get("/api/v1/docs")
    assert page.status_code == 200 and b"/requests/{reference}/{action}" in page.data
