"""Every staff page and JSON API route, as every role of two tenants and as nobody.

Anonymous callers are sent to the login page (401 on the API); another tenant's request
or message is a 404, exactly like an unknown one; an action the role may take succeeds or
is refused for the request's state (409/422), one it may not is a 403; and no queue,
search or list ever shows another tenant's reference.
"""
from __future__ import annotations

import re

import pytest
from werkzeug.routing import BuildError

from dsar.triage.actions import STAFF_ACTIONS

MARTIN, SERRANO = "cabinet-martin", "notaria-serrano"
ROLES = [("operator_admin", None), ("operator_agent", None),
         ("controller_admin", MARTIN), ("controller_agent", MARTIN),
         ("controller_admin", SERRANO), ("controller_agent", SERRANO)]
# The staff routes that take arguments or POST, each checked by name below; any other
# /staff route must be a plain GET page, which every role fetches (no other tenant's
# reference may appear on it).
STAFF_ENDPOINTS = {"accounts.login", "accounts.logout", "staff.request_page", "staff.request_action",
                   "staff.message_page", "staff.message_action"}
OPERATOR_ONLY = {"route", "forward", "start_fulfilment", "complete"}
CONTROLLER_DECISIONS = {"verify", "request_information", "approve", "reject", "extend", "cancel", "mark_duplicate",
                        "reply", "answer"}
# Non-destructive first, so each later action still meets an open request.
ORDER = ["note", "reply", "assign", "extend", "route", "forward", "request_information", "verify", "approve",
         "start_fulfilment", "complete", "answer", "mark_duplicate", "reject", "cancel"]
PAYLOAD = {"note": {"text": "n"}, "reply": {"text": "hello"}, "assign": {"assignee": "Ana"}, "extend": {"reason": "complex"},
           "route": {"controller": MARTIN}, "request_information": {"reason": "id card"},
           "verify": {"reason": "checked"}, "approve": {"instruction": "go"},
           "reject": {"grounds": "excessive", "reason": "r"}, "cancel": {"reason": "r"}, "complete": {"summary": "by hand"}}
assert set(ORDER) == set(STAFF_ACTIONS)


def _refs(html: str) -> set[str]:
    return set(re.findall(r"DSR-[A-Z0-9]{4}-[A-Z0-9]{4}", html))


def _listed(html: str) -> set[str]:
    """The references a staff page links to (a search box may echo what was typed)."""
    return set(re.findall(r'href="/staff/requests/(DSR-[A-Z0-9-]+)"', html))


@pytest.fixture
def world(app, token, file_request):
    """One verified, routed request per tenant, and an inbound message on each."""
    from datetime import datetime, timezone

    from dsar.extensions import db
    from dsar.models import Message, Request

    operator = token("operator_admin")
    requests = {c: file_request(operator, controller=c, identity_verified=True)["reference"] for c in (MARTIN, SERRANO)}
    messages = {}
    with app.app_context():
        for controller, reference in requests.items():
            req = db.session.query(Request).filter_by(reference=reference).one()
            message = Message(request_id=req.id, direction="in", source="file", sender="s@mail.example",
                              subject=f"about {reference}", body_text="hello", at=datetime.now(timezone.utc),
                              disposition="threaded")
            db.session.add(message)
            db.session.commit()
            messages[controller] = message.id
    return {"requests": requests, "messages": messages}


def _plain_pages(app) -> list[str]:
    """Every /staff GET page without arguments (the queue, the inbox, dashboards…)."""
    return sorted(rule.rule for rule in app.url_map.iter_rules()
                  if rule.rule.startswith("/staff") and not rule.arguments and "GET" in rule.methods
                  and rule.endpoint not in STAFF_ENDPOINTS)


def _staff_urls(app, world) -> dict[str, tuple[str, str]]:
    """(method, url) of every /staff route, for MARTIN's objects."""
    ref, msg = world["requests"][MARTIN], world["messages"][MARTIN]
    urls = {}
    with app.test_request_context():
        from flask import url_for

        for rule in app.url_map.iter_rules():
            if not rule.rule.startswith("/staff"):
                continue
            values = {"reference": ref, "message_id": msg,
                      "action": "dismiss" if rule.endpoint == "staff.message_action" else "note"}
            try:
                url = url_for(rule.endpoint, **{k: values[k] for k in rule.arguments})
            except BuildError:  # pragma: no cover
                raise
            method = "GET" if "GET" in rule.methods else "POST"
            urls[rule.endpoint] = (method, url)
    return urls


def test_every_staff_route_is_known_and_needs_a_login(app, client, world):
    urls = _staff_urls(app, world)
    assert STAFF_ENDPOINTS <= set(urls)
    plain = {rule.endpoint for rule in app.url_map.iter_rules() if rule.rule in _plain_pages(app)}
    assert set(urls) - STAFF_ENDPOINTS <= plain, "a new staff route with arguments or a POST: add it to this matrix"
    for endpoint, (method, url) in urls.items():
        if endpoint == "accounts.login":
            assert client.get(url).status_code == 200
            continue
        if method == "POST":
            # Without a session there is no CSRF token either: refused before anything else.
            assert client.post(url).status_code in (302, 400), url
        else:
            response = client.get(url)
            assert response.status_code == 302 and "/staff/login?next=" in response.headers["Location"], url


def test_every_api_route_needs_a_token(app, client, world):
    from dsar.api.views import PUBLIC_ENDPOINTS

    with app.test_request_context():
        from flask import url_for

        for rule in app.url_map.iter_rules():
            if not rule.rule.startswith("/api/") or rule.endpoint in PUBLIC_ENDPOINTS:
                continue
            if rule.endpoint.startswith("task_callbacks."):
                continue  # signed with the system's webhook secret instead (test_connector_webhook.py)
            url = url_for(rule.endpoint, **{k: {"reference": world["requests"][MARTIN], "message_id": 1,
                                                "task_id": 1, "action": "note"}[k] for k in rule.arguments})
            method = "GET" if "GET" in rule.methods else "POST"
            response = client.open(url, method=method, json={})
            assert response.status_code == 401, (method, url, response.status_code)


@pytest.mark.parametrize("role, controller", ROLES)
def test_staff_pages_as_each_role(app, staff, world, role, controller):
    browser = staff(role, controller)
    operator = controller is None
    mine = {c: r for c, r in world["requests"].items() if operator or c == controller}
    theirs = {c: r for c, r in world["requests"].items() if c not in mine}

    queue = browser.get("/staff/").get_data(as_text=True)
    assert _listed(queue) == set(mine.values())
    for other in theirs.values():
        assert _listed(browser.get(f"/staff/?search={other}").get_data(as_text=True)) == set()
        assert _listed(browser.get("/staff/?search=subject@mail.example").get_data(as_text=True)) == set(mine.values())
        assert browser.get(f"/staff/requests/{other}").status_code == 404
        their_message = world["messages"][[c for c in theirs][0]]
        assert browser.get(f"/staff/messages/{their_message}").status_code == 404
        assert browser.post(f"/staff/messages/{their_message}/dismiss",
                            data={"csrf_token": browser.csrf_token}).status_code == 404
        for action in ORDER:
            response = browser.post(f"/staff/requests/{other}/{action}",
                                    data={"csrf_token": browser.csrf_token, **PAYLOAD.get(action, {})})
            assert response.status_code == 404, (action, response.status_code)
    assert browser.get("/staff/messages").status_code == (200 if operator else 404)
    for url in _plain_pages(app):
        response = browser.get(url)
        assert response.status_code in (200, 403, 404), (url, response.status_code)
        assert not _refs(response.get_data(as_text=True)) & set(theirs.values()), url

    for tenant, reference in mine.items():
        page = browser.get(f"/staff/requests/{reference}")
        assert page.status_code == 200
        assert browser.get(f"/staff/messages/{world['messages'][tenant]}").status_code == 200
        # Inbound email is triaged by the operator, and only while it belongs to no request.
        dismiss = browser.post(f"/staff/messages/{world['messages'][tenant]}/dismiss",
                               data={"csrf_token": browser.csrf_token})
        assert dismiss.status_code == (409 if operator else 403)
        html = page.get_data(as_text=True)
        assert _refs(html) <= set(mine.values())
        for action in ORDER:
            payload = dict(PAYLOAD.get(action, {}))
            if action == "mark_duplicate":
                payload = {"duplicate_of": reference, "reason": "same"}
            response = browser.post(f"/staff/requests/{reference}/{action}",
                                    data={"csrf_token": browser.csrf_token, **payload})
            forbidden = (action in OPERATOR_ONLY and not operator) or (action in CONTROLLER_DECISIONS and operator)
            if forbidden:
                assert response.status_code == 403, (role, action, response.status_code)
            else:
                assert response.status_code in (303, 409, 422), (role, action, response.status_code)
                if action in ("note", "assign") or (action == "extend" and not operator):
                    assert response.status_code == 303, (role, action, response.get_data(as_text=True)[:500])
        timeline = browser.get(f"/staff/requests/{reference}").get_data(as_text=True)
        assert "<strong>note</strong>" in timeline


@pytest.mark.parametrize("role, controller", ROLES + [("bot", MARTIN), ("bot", None)])
def test_api_as_each_role(client, token, world, role, controller):
    headers = token(role, controller)
    operator = controller is None
    listed = _refs(client.get("/api/v1/requests?limit=200", headers=headers).get_data(as_text=True))
    for tenant, reference in world["requests"].items():
        visible = operator or tenant == controller
        assert (reference in listed) is visible
        assert client.get(f"/api/v1/requests/{reference}", headers=headers).status_code == (200 if visible else 404)
        note = client.post(f"/api/v1/requests/{reference}/note", json={"text": "n"}, headers=headers)
        assert note.status_code == (200 if visible else 404)
        message = client.get(f"/api/v1/messages/{world['messages'][tenant]}", headers=headers)
        assert message.status_code == (200 if visible else 404)
    messages = client.get("/api/v1/messages", headers=headers).get_data(as_text=True)
    assert all(ref not in messages for tenant, ref in world["requests"].items() if not (operator or tenant == controller))
