"""Tenant scoping of every endpoint, urgency order, filters and cursor pagination."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from dsar.api.views import API_ACTIONS


def test_another_controllers_request_is_invisible_everywhere(client, token, file_request, demo):
    fr, es = demo["by_country"]["FR"], demo["by_country"]["ES"]
    mine = file_request(token("controller_admin", fr.id))["reference"]
    for role in ("controller_admin", "controller_agent", "bot"):
        theirs = token(role, es.id)
        assert client.get(f"/api/v1/requests/{mine}", headers=theirs).status_code == 404
        for action in API_ACTIONS:
            response = client.post(f"/api/v1/requests/{mine}/{action}", headers=theirs,
                                   json={"reason": "x", "grounds": "excessive", "text": "x", "assignee": "x",
                                         "controller": es.id, "duplicate_of": mine})
            assert response.status_code == 404, (role, action, response.json)
            assert mine not in response.get_data(as_text=True) or "no request" in response.json["error"]["message"]
        listed = client.get("/api/v1/requests", headers=theirs).json["items"]
        assert mine not in [r["reference"] for r in listed]
        assert client.get(f"/api/v1/requests?controller={fr.id}", headers=theirs).json["items"] == []
        assert [c["id"] for c in client.get("/api/v1/controllers", headers=theirs).json["items"]] == [es.id]
    # Nothing changed behind the scenes: the owner still sees one untouched event.
    timeline = client.get(f"/api/v1/requests/{mine}", headers=token("controller_agent", fr.id)).json["timeline"]
    assert [e["kind"] for e in timeline] == ["received"]


def test_operators_see_every_tenant(client, token, file_request, demo):
    refs = {file_request(token("bot", c.id))["reference"] for c in demo["clients"]}
    for role in ("operator_admin", "operator_agent", "bot"):
        listed = {r["reference"] for r in client.get("/api/v1/requests", headers=token(role)).json["items"]}
        assert refs <= listed
    controllers = client.get("/api/v1/controllers", headers=token("operator_agent")).json["items"]
    assert {c["id"] for c in controllers} == {c.id for c in demo["clients"]} | {demo["operator"].id}


def test_list_is_most_urgent_first_and_pages_without_gaps(client, token, file_request, demo):
    fr = demo["by_country"]["FR"]
    headers = token("controller_agent", fr.id)
    created = [file_request(headers, days_ago=d)["reference"] for d in (1, 40, 10, 25, 3, 33, 0)]
    seen, cursor, pages = [], None, 0
    while True:
        url = "/api/v1/requests?limit=3" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(url, headers=headers).json
        seen += page["items"]
        pages += 1
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert pages == 3
    assert sorted(r["reference"] for r in seen) == sorted(created)
    # Overdue first (received 40 and 33 days ago), then by nearest due date.
    urgencies = [min(c["due"] for c in r["clocks"].values() if c["days_left"] is not None) for r in seen]
    assert urgencies == sorted(urgencies)
    assert seen[0]["reference"] == created[1]
    assert {r["reference"] for r in seen[:2]} == {created[1], created[5]}


def test_filters(client, token, file_request, demo):
    fr = demo["by_country"]["FR"]
    headers = token("controller_admin", fr.id)
    old = file_request(headers, days_ago=40, rights=["erasure"])["reference"]
    new = file_request(headers, days_ago=1, rights=["access", "portability"], identity_verified=True)["reference"]

    def refs(query: str) -> set[str]:
        response = client.get(f"/api/v1/requests?{query}", headers=headers)
        assert response.status_code == 200, response.json
        return {r["reference"] for r in response.json["items"]}

    assert refs("right=portability") == {new}
    assert refs("right=erasure") == {old}
    assert refs("status=routed") == {new}
    assert refs("status=received,routed") == {old, new}
    assert refs("overdue=true") == {old}
    assert refs("overdue=false") == {new}
    soon = (datetime.now(timezone.utc) + timedelta(days=10)).date().isoformat()
    assert refs(f"due_before={soon}") == {old}
    assert refs(f"controller={fr.id}") == {old, new}


def test_bad_list_queries(client, token, file_request):
    headers = token("operator_admin")
    for query, status in [("status=lost", 422), ("right=flying", 422), ("limit=0", 422), ("limit=abc", 422),
                          ("due_before=yesterday", 422), ("cursor=%%%%", 400), ("cursor=bm9wZQ", 400)]:
        response = client.get(f"/api/v1/requests?{query}", headers=headers)
        assert response.status_code == status, (query, response.json)
        assert response.json["error"]["message"]


def test_finished_requests_come_after_running_ones_and_page_without_gaps(client, token, file_request, demo):
    fr = demo["by_country"]["FR"]
    headers, admin = token("controller_agent", fr.id), token("controller_admin", fr.id)
    running = [file_request(headers, days_ago=d)["reference"] for d in (5, 20, 1)]
    finished = []
    for _ in range(4):
        reference = file_request(headers)["reference"]
        assert client.post(f"/api/v1/requests/{reference}/cancel", headers=admin,
                           json={"reason": "withdrawn by the subject"}).status_code == 200
        finished.append(reference)
    for query in ("", "&status=cancelled"):
        seen, cursor = [], None
        while True:  # pages of 2 cross from running clocks to none mid-page
            page = client.get(f"/api/v1/requests?limit=2{query}" + (f"&cursor={cursor}" if cursor else ""),
                              headers=headers).json
            seen += [r["reference"] for r in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        if query:
            assert seen == finished  # by filing order (id), each once
        else:
            assert sorted(seen[:3]) == sorted(running) and seen[3:] == finished
