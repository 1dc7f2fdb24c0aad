"""Postmark's inbound webhook: Basic auth, RawEmail or rebuilt source, one request per message."""
from __future__ import annotations

import base64
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from emails_intake import load, make, postmark_json, with_headers

URL = "/inbound/postmark"
USER, PASSWORD = "postmark", "correct horse battery staple"
ERASURE = load("erasure_en_named.eml")


def basic(user: str = USER, password: str = PASSWORD) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


@pytest.fixture
def webhook(app):
    app.config.update(POSTMARK_INBOUND_USERNAME=USER, POSTMARK_INBOUND_PASSWORD=PASSWORD)
    return app


def post(client, body, headers=None):
    data = body if isinstance(body, bytes | str) else json.dumps(body)
    return client.post(URL, data=data, content_type="application/json", headers=headers or basic())


def stored(app):
    from sqlalchemy.orm import selectinload

    from dsar.extensions import db
    from dsar.models import Message

    with app.app_context():
        return db.session.scalars(select(Message).where(Message.direction == "in")
                                  .options(selectinload(Message.attachments)).order_by(Message.id)).all()


def test_the_webhook_is_off_until_it_has_credentials(client):
    response = post(client, postmark_json(ERASURE, with_raw=True))
    assert response.status_code == 404 and response.json["error"]["code"] == "not_found"


@pytest.mark.parametrize("headers", [{}, basic(password="wrong"), basic(user="other"),
                                     {"Authorization": "Bearer dsar_x"}, {"Authorization": "Basic !!!"}])
def test_no_or_wrong_credentials_get_a_401(webhook, client, headers):
    response = client.post(URL, json=postmark_json(ERASURE, with_raw=True), headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic ")
    assert response.json["error"]["code"] == "unauthorized"
    assert stored(webhook) == []


@pytest.mark.parametrize("with_raw", [True, False], ids=["RawEmail", "rebuilt"])
def test_a_posted_email_opens_one_request_and_a_retry_opens_nothing(webhook, client, token, with_raw):
    payload = postmark_json(ERASURE, with_raw=with_raw)
    first = post(client, payload)
    assert first.status_code == 200, first.json
    assert first.json["disposition"] == "opened" and first.json["duplicate"] is False
    [reference] = first.json["requests"]
    again = post(client, payload)  # Postmark retries when it did not see our 200
    assert again.status_code == 200
    assert again.json == first.json | {"duplicate": True}
    listed = client.get("/api/v1/requests", headers=token("operator_admin")).json["items"]
    assert [r["reference"] for r in listed] == [reference]
    request = listed[0]
    assert request["controller"] == "kanzlei-huber"  # named in the text
    assert {"erasure", "objection"} <= set(request["rights"]) and request["language"] == "en"
    [message] = stored(webhook)
    assert message.source == "postmark"
    # The sender's own Message-ID, never Postmark's id for the delivery.
    assert message.message_id == "20260203180244.erasure-en@mail.example"
    assert b"73e6d360" not in message.raw


def test_a_rebuilt_message_keeps_headers_bodies_and_attachments(webhook, client):
    raw = make(sender="Nora Vidal <nora.vidal@mail.example>", to="notaria-serrano@dsar.septeo.example",
               subject="Derecho de acceso", message_id="<with-attachment@mail.example>",
               body="Solicito el acceso a mis datos personales conforme al artículo 15 del RGPD.\n\nNora Vidal\n",
               In_Reply_To="<earlier@mail.example>")
    payload = postmark_json(raw, with_raw=False)
    payload["HtmlBody"] = "<p>Solicito el acceso a mis datos personales.</p>"
    payload["Date"] = "Fri, 1 Aug 2014 16:45:32 -04:00"  # Postmark's own format
    payload["Attachments"] = [{"Name": "dni.pdf", "Content": base64.b64encode(b"%PDF-1.4 fake").decode(),
                               "ContentType": "application/pdf", "ContentLength": 13, "ContentID": ""}]
    response = post(client, payload)
    assert response.status_code == 200, response.json
    [message] = stored(webhook)
    assert message.message_id == "with-attachment@mail.example"
    assert message.in_reply_to == "earlier@mail.example"
    assert message.sender == "nora.vidal@mail.example" and "notaria-serrano@dsar.septeo.example" in message.recipients
    assert [(a.filename, a.content_type, a.data) for a in message.attachments] == [
        ("dni.pdf", "application/pdf", b"%PDF-1.4 fake")]
    assert b"text/html" in message.raw and b"Delivered-To: notaria-serrano@dsar.septeo.example" in message.raw
    assert b"Date: Fri, 01 Aug 2014 16:45:32 -0400" in message.raw


def test_the_same_email_by_imap_then_postmark_is_one_message(webhook, client):
    from dsar.intake.pipeline import ingest

    with webhook.app_context():
        first = ingest(ERASURE, source="imap")
    response = post(client, postmark_json(ERASURE, with_raw=False))
    assert response.status_code == 200 and response.json["duplicate"] is True
    assert response.json["requests"] == [r.reference for r in first.requests]


@pytest.mark.parametrize("body", [
    b"{not json", b"\xff\xfe\x00garbage", b"[1, 2, 3]", b'"a string"',
    json.dumps({"Headers": "not a list", "From": "a@b.example"}),
    json.dumps({"MessageStream": "inbound"}),
    json.dumps({"From": "a@b.example", "TextBody": "hi",
                "Attachments": [{"Name": "x.pdf", "Content": "not base64!", "ContentType": "application/pdf"}]}),
], ids=["truncated", "binary", "list", "string", "headers", "empty", "attachment"])
def test_a_broken_body_gets_a_400_and_is_kept_once(webhook, client, token, body):
    first = post(client, body)
    assert first.status_code == 400
    assert first.json["error"]["code"] == "bad_request" and "kept as message" in first.json["error"]["message"]
    assert post(client, body).status_code == 400  # the retry is not stored again
    [message] = stored(webhook)
    expected = body.encode() if isinstance(body, str) else body
    assert message.raw == expected and message.disposition == "needs_triage"
    assert message.understanding["error"]
    queue = client.get("/api/v1/messages?disposition=needs_triage", headers=token("operator_admin")).json
    assert [m["id"] for m in queue["items"]] == [message.id]


def test_bodies_over_one_mib_are_taken_and_over_the_intake_limit_refused(webhook, client):
    webhook.config["INBOUND_MAX_BYTES"] = 2 * 1024 * 1024
    raw = make(sender="Big Sender <big@mail.example>", message_id="<big@mail.example>",
               subject="Access request", body="I ask for a copy of my personal data (Art. 15 GDPR).\n" + "x" * 1_500_000)
    response = post(client, postmark_json(raw, with_raw=True))  # over the app's 1 MiB, under this limit
    assert response.status_code == 200, response.json
    huge = json.dumps(postmark_json(raw, with_raw=True) | {"HtmlBody": "y" * 7 * 1024 * 1024})
    response = post(client, huge)
    assert response.status_code == 413 and response.json["error"]["code"] == "payload_too_large"


def test_header_injection_and_script_in_the_json_stay_data(webhook, client, token):
    raw = with_headers(ERASURE, Message_ID="<injection@mail.example>")
    payload = postmark_json(raw, with_raw=False)
    payload["Subject"] = "Erasure\r\nBcc: victim@elsewhere.example"
    payload["FromName"] = payload["FromFull"]["Name"] = "<script>alert(1)</script>\r\nX-Evil: 1"
    payload["Headers"].append({"Name": "X-Bad\r\nBcc", "Value": "victim@elsewhere.example"})
    payload["Headers"].append({"Name": "X-Note", "Value": "one\nBcc: victim@elsewhere.example"})
    response = post(client, payload)
    assert response.status_code == 200, response.json
    [message] = stored(webhook)
    assert b"\nBcc:" not in message.raw and b"\nX-Evil" not in message.raw
    assert "\n" not in message.subject and "\r" not in message.subject
    detail = client.get(f"/api/v1/messages/{message.id}", headers=token("operator_admin"))
    assert detail.status_code == 200
    assert all(h["name"].lower() != "bcc" for h in detail.json["headers"])
    assert any("<script>" in h["value"] for h in detail.json["headers"] if h["name"] == "From")


# Whatever a caller with the credentials posts: a 200 or a 400, never a 500, never lost.
_text = st.text(max_size=30) | st.sampled_from(["\x00", "\ud800", "a\r\nBcc: x@y.example", "=?utf-8?q?=0D=0A?=", "é" * 300])
_json = st.recursive(st.none() | st.booleans() | st.integers() | _text,
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3),
                     max_leaves=10)
_FIELDS = ["From", "FromName", "FromFull", "To", "ToFull", "Cc", "Subject", "Date", "TextBody", "HtmlBody",
           "Headers", "Attachments", "RawEmail", "OriginalRecipient", "ReplyTo"]


@st.composite
def _payloads(draw):
    payload = postmark_json(ERASURE, with_raw=draw(st.booleans()))
    for name in draw(st.lists(st.sampled_from(_FIELDS), min_size=1, max_size=3, unique=True)):
        payload[name] = draw(_json | st.lists(st.fixed_dictionaries({"Name": _text, "Value": _text}), max_size=2))
    return payload


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=_payloads() | _json)
def test_any_body_gets_a_200_or_a_400_and_is_kept(webhook, client, body):
    from dsar.extensions import db
    from dsar.models import Message

    response = post(client, json.dumps(body))  # a str body is JSON too (post() sends str as is)
    assert response.status_code in (200, 400), response.get_data(as_text=True)
    with webhook.app_context():
        assert db.session.get(Message, response.json["message"] if response.status_code == 200 else
                              int(response.json["error"]["message"].rsplit("message ", 1)[1].split()[0]))
