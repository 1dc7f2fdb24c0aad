"""The messages API: the triage queue, tenant scope, and a human's open / attach / dismiss."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from emails_intake import load, make

UNSURE = make(sender="Petra Novak <petra.novak@mail.example>", subject="Question",
              message_id="<unsure-1@mail.example>",
              body="Hello, I have a question about the GDPR and how you handle my personal data at your company.\n")


@pytest.fixture
def ingest(app):
    from dsar.intake import pipeline

    def run(raw: bytes, source: str = "file"):
        with app.app_context():
            return pipeline.ingest(raw, source=source)

    return run


@pytest.fixture
def operator(token):
    return token("operator_agent")


def test_the_triage_queue_lists_newest_first_a_page_at_a_time(ingest, client, operator):
    ids = [ingest(make(message_id=f"<q-{n}@mail.example>", subject="Question",
                       body="Hello, I have a question about the GDPR and my personal data.\n")).message.id
           for n in range(5)]
    ingest(load("not_request.eml"))
    first = client.get("/api/v1/messages?disposition=needs_triage&limit=2", headers=operator).json
    assert [m["id"] for m in first["items"]] == ids[:-3:-1]
    assert all(m["disposition"] == "needs_triage" and m["request"] is None for m in first["items"])
    seen = [m["id"] for m in first["items"]]
    cursor = first["next_cursor"]
    while cursor:
        page = client.get(f"/api/v1/messages?disposition=needs_triage&limit=2&cursor={cursor}", headers=operator).json
        seen += [m["id"] for m in page["items"]]
        cursor = page["next_cursor"]
    assert seen == ids[::-1]
    everything = client.get("/api/v1/messages?disposition=needs_triage,not_request", headers=operator).json
    assert len(everything["items"]) == 6


def test_a_message_shows_its_headers_text_understanding_and_attachments(ingest, client, operator):
    raw = load("erasure_en_named.eml")
    outcome = ingest(raw)
    body = client.get(f"/api/v1/messages/{outcome.message.id}", headers=operator).json
    assert body["request"] == outcome.requests[0].reference and body["disposition"] == "opened"
    assert {"name": "Message-ID", "value": "<20260203180244.erasure-en@mail.example>"} in body["headers"]
    assert "Article 17 GDPR" in body["text"] and body["size"] == len(raw)
    assert {"erasure", "objection"} <= set(body["understanding"]["rights"])
    assert body["understanding"]["decision"] == "a request understood with confidence"
    assert body["attachments"] == [] and body["in_reply_to"] == []


@pytest.mark.parametrize("query", ["disposition=nonsense", "limit=0", "direction=sideways", "cursor=%%%"])
def test_bad_queries_get_a_4xx_in_the_error_shape(client, operator, query):
    response = client.get(f"/api/v1/messages?{query}", headers=operator)
    assert response.status_code in (400, 422) and response.json["error"]["code"]


def test_messages_need_a_token(client):
    assert client.get("/api/v1/messages").status_code == 401


def test_controllers_see_the_messages_of_their_own_requests_only(ingest, client, token, demo):
    routed = ingest(load("access_fr_alias.eml"))  # cabinet-martin's
    unrouted = ingest(UNSURE)
    other_client = ingest(load("erasure_en_named.eml"))  # kanzlei-huber's
    martin = token("controller_agent", "cabinet-martin")
    listed = [m["id"] for m in client.get("/api/v1/messages", headers=martin).json["items"]]
    assert routed.message.id in listed
    assert unrouted.message.id not in listed and other_client.message.id not in listed
    assert client.get(f"/api/v1/messages/{routed.message.id}", headers=martin).status_code == 200
    for hidden in (unrouted, other_client):
        response = client.get(f"/api/v1/messages/{hidden.message.id}", headers=martin)
        assert response.status_code == 404 and response.json["error"]["code"] == "not_found"
        assert client.post(f"/api/v1/messages/{hidden.message.id}/dismiss", headers=martin,
                           json={"reason": "spam"}).status_code == 404


def test_an_operator_opens_a_request_from_an_unsure_message(ingest, client, operator, smtp, app):
    outcome = ingest(UNSURE)
    assert outcome.disposition == "needs_triage"
    response = client.post(f"/api/v1/messages/{outcome.message.id}/open", headers=operator,
                           json={"rights": ["access"], "language": "en"})
    assert response.status_code == 201, response.json
    [reference] = response.json["requests"]
    message = response.json["message"]
    assert message["disposition"] == "triaged" and message["request"] == reference
    assert message["triaged_by"] == "operator_agent-op" and message["triaged_at"]
    request = client.get(f"/api/v1/requests/{reference}", headers=operator).json
    assert request["rights"] == ["access"] and request["channel"] == "email"
    assert request["identities"] == [{"type": "email", "value": "petra.novak@mail.example"},  # the sender first
                                     {"type": "name", "value": "Petra Novak"}]
    # The clock runs from the email's arrival, not from the triage.
    assert request["received_at"] == message["at"]
    assert request["timeline"][0]["actor"] == "operator_agent:operator:operator_agent-op"
    [ack] = smtp.messages
    assert ack.rcpt_tos == ["petra.novak@mail.example"] and ack.message["In-Reply-To"] == "<unsure-1@mail.example>"
    again = client.post(f"/api/v1/messages/{outcome.message.id}/open", headers=operator, json={"rights": ["access"]})
    assert again.status_code == 409 and "already belongs" in again.json["error"]["message"]


def test_open_can_name_the_controller_and_the_identities(ingest, client, operator, smtp):
    outcome = ingest(UNSURE)
    response = client.post(f"/api/v1/messages/{outcome.message.id}/open", headers=operator, json={
        "rights": ["erasure"], "controller": "notaria-serrano",
        "identities": [{"type": "email", "value": "petra@other.example"}, {"type": "name", "value": "Petra Novak"}]})
    assert response.status_code == 201, response.json
    request = client.get(f"/api/v1/requests/{response.json['requests'][0]}", headers=operator).json
    assert request["controller"] == "notaria-serrano"
    assert [i["value"] for i in request["identities"]] == ["petra@other.example", "Petra Novak"]


@pytest.mark.parametrize("body", [{}, {"rights": []}, {"rights": ["telepathy"]}, {"rights": ["access", "access"]},
                                  {"rights": ["access"], "identities": [{"type": "email", "value": "nope"}]}])
def test_open_refuses_bad_input(ingest, client, operator, body):
    outcome = ingest(UNSURE)
    response = client.post(f"/api/v1/messages/{outcome.message.id}/open", headers=operator, json=body)
    assert response.status_code == 422


def test_a_controller_cannot_triage(ingest, client, token):
    routed = ingest(load("access_fr_alias.eml"))
    martin = token("controller_admin", "cabinet-martin")
    response = client.post(f"/api/v1/messages/{routed.message.id}/dismiss", headers=martin, json={"reason": "x"})
    assert response.status_code == 403


def test_an_operator_attaches_a_message_to_its_request(ingest, client, operator, smtp):
    request = ingest(load("access_fr_alias.eml")).requests[0]
    stray = ingest(make(sender="Camille Durand <camille.d@work.example>", message_id="<stray@work.example>",
                        subject="Question", body="Hello, I have a question about the GDPR and my personal data.\n"))
    assert stray.disposition == "needs_triage"
    response = client.post(f"/api/v1/messages/{stray.message.id}/attach", headers=operator,
                           json={"reference": request.reference})
    assert response.status_code == 200, response.json
    assert response.json["requests"] == [request.reference]
    assert response.json["message"]["disposition"] == "triaged"
    event = client.get(f"/api/v1/requests/{request.reference}", headers=operator).json["timeline"][-1]
    assert event["kind"] == "message_received" and event["data"]["message"] == stray.message.id
    assert event["actor"].startswith("operator_agent:")
    missing = client.post(f"/api/v1/messages/{stray.message.id}/attach", headers=operator,
                          json={"reference": "DSR-0000-0000"})
    assert missing.status_code == 409  # already attached


def test_attach_to_an_unknown_request_is_a_404(ingest, client, operator):
    stray = ingest(UNSURE)
    response = client.post(f"/api/v1/messages/{stray.message.id}/attach", headers=operator,
                           json={"reference": "DSR-0000-0000"})
    assert response.status_code == 404


def test_an_operator_dismisses_a_message(ingest, client, operator, app):
    stray = ingest(UNSURE)
    assert client.post(f"/api/v1/messages/{stray.message.id}/dismiss", headers=operator, json={}).status_code == 422
    response = client.post(f"/api/v1/messages/{stray.message.id}/dismiss", headers=operator,
                           json={"reason": "a question, answered by phone"})
    assert response.status_code == 200
    message = response.json["message"]
    assert message["disposition"] == "triaged" and message["request"] is None
    assert message["understanding"]["triage"] == {"action": "dismissed", "reason": "a question, answered by phone"}
    again = client.post(f"/api/v1/messages/{stray.message.id}/dismiss", headers=operator, json={"reason": "x"})
    assert again.status_code == 409
    queue = client.get("/api/v1/messages?disposition=needs_triage", headers=operator).json["items"]
    assert queue == []


def test_the_messages_api_is_documented(client):
    spec = client.get("/api/v1/openapi.json").json
    assert {"/messages", "/messages/{message_id}", "/messages/{message_id}/open",
            "/messages/{message_id}/attach", "/messages/{message_id}/dismiss"} <= set(spec["paths"])
    assert "needs_triage" in spec["components"]["schemas"]["Message"]["properties"]["disposition"]["enum"]
    assert spec["paths"]["/messages/{message_id}/open"]["post"]["responses"]["201"]


_text = st.text(max_size=20) | st.sampled_from(["\x00", "\ud800", "DSR-0000-0000", "access", "email"])
_json = st.recursive(st.none() | st.booleans() | st.integers() | _text,
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3),
                     max_leaves=8)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(action=st.sampled_from(["open", "attach", "dismiss"]),
       body=_json | st.fixed_dictionaries({"rights": st.lists(_text, max_size=2)},
                                          optional={"identities": _json, "controller": _json, "language": _json}))
def test_triage_actions_never_fail_with_a_500(app, ingest, client, operator, action, body):
    from dsar.extensions import db
    from dsar.models import Message

    with app.app_context():
        message = db.session.scalars(select(Message).where(Message.message_id == "unsure-1@mail.example")).first()
    message_id = message.id if message else ingest(UNSURE).message.id
    response = client.post(f"/api/v1/messages/{message_id}/{action}", headers=operator, json=body)
    assert response.status_code < 500, response.get_data(as_text=True)
    if response.status_code >= 400:
        assert response.json["error"]["code"]
